//! A rule group and its evaluation step (Prometheus' `Group.Eval`).
//!
//! Rules run in file order; each rule's output is committed before the
//! next rule runs, so later rules see it. The group remembers which series
//! each rule wrote last time and writes staleness markers for those a rule
//! stops producing. A failing rule only marks itself unhealthy.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use argus_model::storage::{Appendable, StorageError};
use argus_model::{Labels, stale_nan};
use parking_lot::Mutex;

use crate::metrics::GroupMetrics;
use crate::rule::{Health, NotifyFn, QueryFn, Rule};

/// What a group needs from the outside.
#[derive(Clone)]
pub struct GroupOptions {
    /// Runs instant queries.
    pub query: QueryFn,
    /// Where rule outputs are written.
    pub appendable: Arc<dyn Appendable>,
    /// Receives alerts that need sending; `None` drops them (unit tests).
    pub notify: Option<NotifyFn>,
    /// Minimum time between re-sends of a firing alert (default 1m).
    pub resend_delay_ms: i64,
}

/// A loaded rule group.
pub struct Group {
    pub(crate) name: String,
    pub(crate) file: String,
    pub(crate) interval_ms: i64,
    pub(crate) limit: usize,
    pub(crate) rules: Vec<Rule>,
    pub(crate) opts: GroupOptions,
    pub(crate) prev_series: Mutex<Vec<HashSet<Labels>>>,
    pub(crate) last_eval: Mutex<(Option<i64>, f64)>,
    pub(crate) metrics: Option<Arc<GroupMetrics>>,
    /// Series of rules removed by a reload, marked stale at the next evaluation.
    pub(crate) stale_series: Mutex<Vec<Labels>>,
    /// Held while the scheduler evaluates; a reload takes it (after setting
    /// `stopped`) so state is copied only once the old group is idle.
    pub(crate) eval_lock: Mutex<()>,
    pub(crate) stopped: std::sync::atomic::AtomicBool,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Group {
    /// A group of `rules` from `file`.
    pub fn new(
        name: String,
        file: String,
        interval_ms: i64,
        limit: usize,
        rules: Vec<Rule>,
        opts: GroupOptions,
    ) -> Group {
        let n = rules.len();
        Group {
            name,
            file,
            interval_ms,
            limit,
            rules,
            opts,
            prev_series: Mutex::new(vec![HashSet::new(); n]),
            last_eval: Mutex::new((None, 0.0)),
            metrics: None,
            stale_series: Mutex::new(Vec::new()),
            eval_lock: Mutex::new(()),
            stopped: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The group's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file it came from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Evaluation interval in ms.
    pub fn interval_ms(&self) -> i64 {
        self.interval_ms
    }

    /// The rules in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The key Prometheus identifies groups by: `file;name`.
    pub fn key(&self) -> String {
        format!("{};{}", self.file, self.name)
    }

    /// Evaluates every rule at `ts` (Unix ms). Blocking: runs queries and
    /// storage appends on the calling thread.
    pub fn eval(&self, ts: i64) {
        let start = Instant::now();
        let wall = now_ms();
        for (i, rule) in self.rules.iter().enumerate() {
            self.eval_rule(i, rule, ts);
        }
        self.cleanup_stale_series(ts);
        *self.last_eval.lock() = (Some(wall), start.elapsed().as_secs_f64());
        if let Some(m) = &self.metrics {
            m.last_duration(&self.key(), start.elapsed().as_secs_f64());
        }
    }

    fn eval_rule(&self, i: usize, rule: &Rule, ts: i64) {
        let start = Instant::now();
        let wall = now_ms();
        if let Some(m) = &self.metrics {
            m.eval(&self.key());
        }
        let res = rule.eval(ts, &self.opts.query, self.limit);
        let set_status = |health: Health, err: Option<String>| {
            let mut st = rule.status_lock().lock();
            st.health = health;
            st.last_error = err;
            st.last_evaluation = Some(wall);
            st.evaluation_time = start.elapsed().as_secs_f64();
        };
        let vector = match res {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(group = %self.name, name = rule.name(), index = i, err = %e, "evaluating rule failed");
                set_status(Health::Bad, Some(e.to_string()));
                if let Some(m) = &self.metrics {
                    m.failure(&self.key());
                }
                return;
            }
        };
        set_status(Health::Good, None);
        if let (Rule::Alerting(ar), Some(notify)) = (rule, &self.opts.notify) {
            let alerts = ar.alerts_to_send(ts, self.opts.resend_delay_ms, self.interval_ms);
            if !alerts.is_empty() {
                notify(&ar.query, alerts);
            }
        }
        let mut app = self.opts.appendable.appender();
        let mut returned = HashSet::with_capacity(vector.len());
        let mut last_err = None;
        for s in &vector {
            match app.append(0, &s.labels, s.t, s.v) {
                Ok(_) => {
                    returned.insert(s.labels.clone());
                }
                Err(e) => last_err = Some(e),
            }
        }
        if let Some(e) = last_err {
            set_status(Health::Bad, Some(e.to_string()));
        }
        let mut prev = self.prev_series.lock();
        if let Some(p) = prev.get(i) {
            for lset in p.difference(&returned) {
                match app.append(0, lset, ts, stale_nan()) {
                    Ok(_) | Err(StorageError::OutOfOrderSample | StorageError::DuplicateSampleForTimestamp) => {}
                    Err(e) => tracing::warn!(series = %lset, err = %e, "adding stale sample failed"),
                }
            }
        }
        match app.commit() {
            Ok(()) => {
                if let Some(p) = prev.get_mut(i) {
                    *p = returned;
                }
            }
            Err(e) => {
                set_status(Health::Bad, Some(e.to_string()));
                if let Some(m) = &self.metrics {
                    m.failure(&self.key());
                }
            }
        }
    }

    fn cleanup_stale_series(&self, ts: i64) {
        let series = std::mem::take(&mut *self.stale_series.lock());
        if series.is_empty() {
            return;
        }
        let mut app = self.opts.appendable.appender();
        for l in &series {
            // Out-of-order and duplicates are expected when another rule now writes the series.
            let _ = app.append(0, l, ts, stale_nan());
        }
        if let Err(e) = app.commit() {
            tracing::warn!(group = %self.name, err = %e, "writing stale markers failed");
        }
    }

    /// Writes staleness markers at `ts` for every series the group wrote last
    /// time (used when a group is removed on reload).
    pub fn mark_stale(&self, ts: i64) {
        let mut prev = self.prev_series.lock();
        let mut app = self.opts.appendable.appender();
        for set in prev.iter() {
            for l in set {
                let _ = app.append(0, l, ts, stale_nan());
            }
        }
        if let Err(e) = app.commit() {
            tracing::warn!(group = %self.name, err = %e, "writing stale markers failed");
        }
        prev.iter_mut().for_each(HashSet::clear);
    }

    /// Stops scheduled evaluations: the scheduler skips a stopped group.
    pub fn stop(&self) {
        self.stopped.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Evaluates at `ts` unless stopped, serialised with [`Group::copy_state`].
    pub(crate) fn eval_scheduled(&self, ts: i64) -> bool {
        let _g = self.eval_lock.lock();
        if self.stopped.load(std::sync::atomic::Ordering::SeqCst) {
            return false;
        }
        self.eval(ts);
        true
    }

    /// When the group was last evaluated (wall clock ms) and how long it took (s).
    pub fn last_evaluation(&self) -> (Option<i64>, f64) {
        *self.last_eval.lock()
    }

    /// Prometheus' evaluation timestamp alignment (`Group.EvalTimestamp`):
    /// the latest `t <= now_ms` with `t ≡ offset (mod interval)`, where the
    /// offset spreads groups by a hash of name and file.
    pub fn eval_timestamp(&self, now_ms: i64) -> i64 {
        // Prometheus works in nanoseconds; its sample timestamps are the
        // truncated milliseconds, which this computes directly.
        let interval = self.interval_ms.max(1);
        let offset = ((self.hash() % (interval as u64 * 1_000_000)) / 1_000_000) as i64;
        let adj = now_ms - offset;
        adj - adj.rem_euclid(interval) + offset
    }

    /// xxhash64 of the label set `{file=..., name=...}` like Prometheus' `labels.Hash`.
    fn hash(&self) -> u64 {
        let mut b = Vec::new();
        for (k, v) in [("file", &self.file), ("name", &self.name)] {
            b.extend_from_slice(k.as_bytes());
            b.push(0xff);
            b.extend_from_slice(v.as_bytes());
            b.push(0xff);
        }
        xxhash_rust::xxh64::xxh64(&b, 0)
    }

    /// Carries state over from `old` (Prometheus' `CopyState`): rules are
    /// matched by name and labels (the expression may change), in order for
    /// duplicates; matched alerting rules keep their alerts, matched rules
    /// their staleness bookkeeping, and series of unmatched old rules are
    /// marked stale at the next evaluation.
    pub fn copy_state(&self, old: &Group) {
        // Wait for an in-flight scheduled evaluation of the old group.
        old.stop();
        let _idle = old.eval_lock.lock();
        *self.last_eval.lock() = *old.last_eval.lock();
        let old_prev = old.prev_series.lock();
        let mut prev = self.prev_series.lock();
        let key = |r: &Rule| (r.name().to_string(), r.labels());
        let mut unmatched: Vec<Option<usize>> = (0..old.rules.len()).map(Some).collect();
        for (i, rule) in self.rules.iter().enumerate() {
            let k = key(rule);
            let Some(j) = unmatched.iter().flatten().copied().find(|&j| old.rules.get(j).is_some_and(|r| key(r) == k))
            else {
                continue;
            };
            if let Some(u) = unmatched.get_mut(j) {
                *u = None;
            }
            if let (Some(p), Some(op)) = (prev.get_mut(i), old_prev.get(j)) {
                *p = op.clone();
            }
            if let (Rule::Alerting(new), Some(Rule::Alerting(o))) = (rule, old.rules.get(j)) {
                new.active.lock().extend(o.active.lock().iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        let mut stale = self.stale_series.lock();
        stale.extend(old.stale_series.lock().iter().cloned());
        for j in unmatched.into_iter().flatten() {
            if let Some(s) = old_prev.get(j) {
                stale.extend(s.iter().cloned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argus_model::storage::MemStorage;

    #[test]
    fn eval_timestamp_matches_prometheus() {
        let st = MemStorage::new();
        let opts = GroupOptions {
            query: crate::engine_query_fn(argus_promql::Engine::default(), Arc::new(st.clone())),
            appendable: Arc::new(st),
            notify: None,
            resend_delay_ms: 60_000,
        };
        let g = Group::new("g".into(), "rules.yml".into(), 7000, 0, vec![], opts);
        // Prometheus 2.42 wrote this group's `r` sample at 1796218640.632 s.
        let t = 1_796_218_640_632;
        assert_eq!(g.eval_timestamp(t), t);
        assert_eq!(g.eval_timestamp(t + 6999), t);
        assert_eq!(g.eval_timestamp(t + 7000), t + 7000);
        assert_eq!(g.eval_timestamp(t - 1), t - 7000);
    }
}
