//! The shard count, as Prometheus 2.42's `calculateDesiredShards`: every
//! [`UPDATE_INTERVAL`] the rates of samples read, sent and the time spent
//! sending (exponentially weighted) give the shards needed to keep up, plus
//! 5% of the backlog per second; changes within ±30% of the current count
//! are ignored, the count never drops while the queue is more than 10 s
//! behind, and it stays put while sends are failing.

use std::sync::atomic::Ordering;
use std::time::Duration;

use argus_scrape::config::QueueConfig;

use crate::queue::Rates;

/// How often the shard count is reconsidered (Prometheus' `shardUpdateDuration`).
pub(crate) const UPDATE_INTERVAL: Duration = Duration::from_secs(10);

const EWMA_WEIGHT: f64 = 0.2;
const TOLERANCE: f64 = 0.3;

#[derive(Default)]
struct Ewma {
    rate: Option<f64>,
    last_total: u64,
}

impl Ewma {
    fn tick(&mut self, total: u64, secs: f64) -> f64 {
        let inst = total.saturating_sub(self.last_total) as f64 / secs;
        self.last_total = total;
        let r = match self.rate {
            Some(r) => r + EWMA_WEIGHT * (inst - r),
            None => inst,
        };
        self.rate = Some(r);
        r
    }
}

/// Keeps the smoothed rates between updates.
pub(crate) struct ShardCount {
    min: usize,
    max: usize,
    data_in: Ewma,
    data_out: Ewma,
    out_nanos: Ewma,
}

impl ShardCount {
    pub(crate) fn new(q: &QueueConfig) -> ShardCount {
        let min = (q.min_shards as usize).max(1);
        ShardCount {
            min,
            max: (q.max_shards as usize).max(min),
            data_in: Ewma::default(),
            data_out: Ewma::default(),
            out_nanos: Ewma::default(),
        }
    }

    /// The new shard count if it should change, from the counters in `r`.
    pub(crate) fn update(&mut self, r: &Rates, current: usize) -> Option<usize> {
        let secs = UPDATE_INTERVAL.as_secs_f64();
        let input = self.data_in.tick(r.samples_in.load(Ordering::Relaxed), secs);
        let out = self.data_out.tick(r.samples_out.load(Ordering::Relaxed), secs);
        let dur = self.out_nanos.tick(r.send_nanos.load(Ordering::Relaxed), secs) / 1e9;
        if self.min == self.max || current == 0 || r.last_send_failed.load(Ordering::Relaxed) {
            return None;
        }
        let delay = (r.highest_in_ms.load(Ordering::Relaxed) - r.highest_sent_ms.load(Ordering::Relaxed)).max(0) as f64
            / 1000.0;
        let n = desired(input, out, dur, delay, current, self.min, self.max);
        (n != current).then_some(n)
    }
}

/// Prometheus' formula; `input` and `out` in samples/s, `dur` in seconds
/// spent sending per second, `delay` in seconds behind.
pub(crate) fn desired(input: f64, out: f64, dur: f64, delay: f64, current: usize, min: usize, max: usize) -> usize {
    if out <= 0.0 {
        return current;
    }
    let pending = delay * input;
    let time_per_sample = dur / out;
    let want = (time_per_sample * (input + 0.05 * pending)).ceil();
    let (lo, hi) = (current as f64 * (1.0 - TOLERANCE), current as f64 * (1.0 + TOLERANCE));
    if lo <= want && want <= hi {
        return current;
    }
    let n = want.max(0.0) as usize;
    if n < current && delay > 10.0 {
        return current;
    }
    n.clamp(min, max)
}

#[cfg(test)]
mod tests {
    use super::desired;

    #[test]
    fn desired_shards() {
        let check = |input, out, dur, delay, current, want| {
            assert_eq!(desired(input, out, dur, delay, current, 1, 10), want, "{input} {out} {dur} {delay} {current}");
        };
        // Nothing sent yet: keep.
        check(1000.0, 0.0, 0.0, 0.0, 1, 1);
        // One shard busy 100% of the time for 1000/s while 3000/s come in: 3 shards.
        check(3000.0, 1000.0, 1.0, 0.0, 1, 3);
        // Within tolerance: keep.
        check(1000.0, 1000.0, 1.2, 0.0, 2, 2);
        // Idle: go down to the minimum...
        check(100.0, 100.0, 0.01, 0.0, 4, 1);
        // ...but not while far behind.
        check(100.0, 100.0, 0.01, 30.0, 4, 4);
        // Clamped to max_shards.
        check(100000.0, 1000.0, 1.0, 0.0, 1, 10);
    }
}
