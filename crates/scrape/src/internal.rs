//! An internal target: a body produced in-process, appended like a scrape
//! through the same core as an HTTP scrape ([`crate::append`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use argus_model::Labels;
use argus_model::exposition::Format;
use argus_model::storage::Appendable;
use tokio::sync::watch;

use crate::append::{AppendOptions, ScrapeReport, SeriesCache, append_scrape};

/// Produces the body to scrape (e.g. argus' own `/metrics`) and its format.
/// Called on tokio's blocking pool.
pub type Source = Arc<dyn Fn() -> (Vec<u8>, Format) + Send + Sync>;

/// An in-process target with `job` and `instance` labels.
pub struct InternalTarget {
    interval: Duration,
    opts: AppendOptions,
    cache: SeriesCache,
}

impl InternalTarget {
    /// A target labelled `job`/`instance`, scraped every `interval`.
    pub fn new(job: &str, instance: &str, interval: Duration) -> Self {
        let opts = AppendOptions {
            target_labels: Labels::from_pairs([("instance", instance), ("job", job)]),
            honor_timestamps: true,
            ..AppendOptions::default()
        };
        InternalTarget { interval, opts, cache: SeriesCache::new() }
    }

    /// Keep labels from the body that clash with target labels (Prometheus'
    /// `honor_labels: true`, what a push gateway target uses).
    pub fn with_honor_labels(mut self, honor: bool) -> Self {
        self.opts.honor_labels = honor;
        self
    }

    /// Appends one scrape of `body` at `t_ms` in one commit: the samples,
    /// staleness markers for series that disappeared, and the synthetic
    /// `up`/`scrape_*` series. A body that fails to parse stores nothing but
    /// `up 0` and the synthetic series, as Prometheus does. Blocking.
    pub fn scrape_once(
        &mut self,
        app: &dyn Appendable,
        body: &[u8],
        format: Format,
        t_ms: i64,
        duration_s: f64,
    ) -> ScrapeReport {
        append_scrape(app, &mut self.cache, &self.opts, Ok((body, format)), t_ms, duration_s)
    }

    /// Scrapes `source` every interval until `stop` turns true.
    pub async fn run(mut self, app: Arc<dyn Appendable>, source: Source, mut stop: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(self.interval.max(Duration::from_millis(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = async { let _ = stop.wait_for(|s| *s).await; } => return,
            }
            let start = Instant::now();
            let t_ms = crate::scrape_loop::now_ms();
            // Producing the body reads files (host metrics) and committing
            // writes the WAL: run the whole scrape off the async workers.
            let (src, store) = (source.clone(), app.clone());
            let res = tokio::task::spawn_blocking(move || {
                let (body, format) = src();
                let dur = start.elapsed().as_secs_f64();
                let r = self.scrape_once(store.as_ref(), &body, format, t_ms, dur);
                (self, r)
            })
            .await;
            let r;
            (self, r) = match res {
                Ok(done) => done,
                Err(e) => {
                    tracing::error!(err = %e, "internal target panicked; it stops");
                    return;
                }
            };
            if let Some(e) = r.error {
                tracing::warn!(labels = %self.opts.target_labels, err = %e, "scrape failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use argus_model::storage::{MemStorage, Queryable, SelectHints};
    use argus_model::{Matcher, is_stale_nan};

    use super::*;

    fn values(st: &MemStorage, name: &str) -> Vec<(Labels, Vec<f64>)> {
        let q = st.querier(0, i64::MAX).unwrap();
        let h = SelectHints { start: 0, end: i64::MAX, ..Default::default() };
        q.select(&[Matcher::equal("__name__", name)], &h)
            .unwrap()
            .map(|s| s.unwrap())
            .map(|s| (s.labels, s.samples.iter().map(|x| x.v).collect()))
            .collect()
    }

    #[test]
    fn labels_synthetic_series_and_staleness() {
        let st = MemStorage::new();
        let mut t = InternalTarget::new("j", "i:1", Duration::from_secs(1));
        let r = t.scrape_once(&st, b"a 1\nb{job=\"x\"} 2\n", Format::PromText, 1000, 0.5);
        assert_eq!((r.samples_scraped, r.samples_appended, r.series_added, r.error), (2, 2, 2, None));
        let b = values(&st, "b");
        assert_eq!(b[0].0.get("exported_job"), Some("x"));
        assert_eq!(b[0].0.get("job"), Some("j"));
        t.scrape_once(&st, b"a 3\n", Format::PromText, 2000, 0.5);
        let b = values(&st, "b");
        assert!(is_stale_nan(b[0].1[1]), "b went away: stale marker");
        assert_eq!(values(&st, "up")[0].1, vec![1.0, 1.0]);
        assert_eq!(values(&st, "scrape_series_added")[0].1, vec![2.0, 0.0]);
    }

    #[test]
    fn broken_body_stores_up_zero_and_marks_stale() {
        let st = MemStorage::new();
        let mut t = InternalTarget::new("j", "i", Duration::from_secs(1));
        t.scrape_once(&st, b"a 1\n", Format::PromText, 1000, 0.1);
        let r = t.scrape_once(&st, b"a 2\na{ 3\n", Format::PromText, 2000, 0.1);
        assert!(r.error.as_deref().unwrap_or("").contains("line 2"), "{r:?}");
        let a = values(&st, "a");
        assert_eq!(a[0].1[0], 1.0);
        assert!(is_stale_nan(a[0].1[1]));
        assert_eq!(values(&st, "up")[0].1, vec![1.0, 0.0]);
    }

    #[test]
    fn honor_labels_keeps_pushed_job() {
        let st = MemStorage::new();
        let mut t = InternalTarget::new("pushgateway", "", Duration::from_secs(1)).with_honor_labels(true);
        t.scrape_once(&st, b"b{job=\"batch\"} 2\n", Format::PromText, 1000, 0.1);
        assert_eq!(values(&st, "b")[0].0.get("job"), Some("batch"));
    }
}
