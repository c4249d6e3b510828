//! The dispatcher: routes every stored alert through the routing tree into
//! aggregation groups, one per (route, group labels), each with its own task
//! running Alertmanager 0.25's `aggrGroup.run` timers: the first flush
//! `group_wait` after the group was created (at once if its alert started
//! longer ago than that), then one every `group_interval`. A flush sends the
//! group's alerts down the notification pipeline; after a successful one the
//! resolved alerts that were not updated meanwhile leave the group, and an
//! empty group ends.
//!
//! A dispatcher belongs to one configuration: a reload stops it (aborting the
//! group tasks) and starts a new one that re-routes every stored alert, as
//! Alertmanager does; the notification log keeps the new groups from
//! re-sending what was already sent.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

use argus_model::Labels;
use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use crate::alert::{Alert, Fingerprint, now_ms};
use crate::manager::{Runtime, Shared};
use crate::route::{Route, RouteOpts};

/// The alerts of one (route, group labels) pair.
pub(crate) struct AggrGroup {
    pub route_id: usize,
    pub key: String,
    pub labels: Labels,
    pub opts: RouteOpts,
    alerts: Mutex<HashMap<Fingerprint, Alert>>,
    has_flushed: AtomicBool,
    flush_now: Notify,
    task: Mutex<Option<AbortHandle>>,
}

impl AggrGroup {
    fn insert(&self, alert: Alert, now_ms: i64) {
        let starts = alert.starts_at_ms;
        self.alerts.lock().insert(alert.fingerprint(), alert);
        // Flush at once if this alert has already waited longer than group_wait.
        let wait_ms = i64::try_from(self.opts.group_wait.as_millis()).unwrap_or(i64::MAX);
        if !self.has_flushed.load(AtomicOrdering::SeqCst) && starts.saturating_add(wait_ms) < now_ms {
            self.flush_now.notify_one();
        }
    }

    /// A copy of the group's alerts.
    pub(crate) fn alerts(&self) -> Vec<Alert> {
        self.alerts.lock().values().cloned().collect()
    }
}

/// Routes alerts into aggregation groups for one configuration.
pub(crate) struct Dispatcher {
    shared: Arc<Shared>,
    pub runtime: Arc<Runtime>,
    groups: Mutex<HashMap<(usize, String), Arc<AggrGroup>>>,
    stopped: AtomicBool,
}

/// The position of `r` in a depth-first walk of `root`: a route's identity
/// (two routes may have equal keys).
fn route_id(root: &Route, r: &Route) -> usize {
    let mut id = 0;
    let mut i = 0;
    root.walk(&mut |n| {
        if std::ptr::eq(n, r) {
            id = i;
        }
        i += 1;
    });
    id
}

/// Alertmanager's `AlertSlice` order: by `job`, then `instance` (alerts that
/// have the label first), then by label set.
pub(crate) fn alert_order(a: &Alert, b: &Alert) -> Ordering {
    for key in ["job", "instance"] {
        match (a.labels.get(key), b.labels.get(key)) {
            (None, None) => continue,
            (None, Some(_)) => return Ordering::Greater,
            (Some(_), None) => return Ordering::Less,
            (Some(x), Some(y)) if x != y => return x.cmp(y),
            _ => {}
        }
    }
    a.labels
        .len()
        .cmp(&b.labels.len())
        .then_with(|| a.labels.iter().map(|l| (&l.name, &l.value)).cmp(b.labels.iter().map(|l| (&l.name, &l.value))))
}

impl Dispatcher {
    pub(crate) fn new(shared: Arc<Shared>, runtime: Arc<Runtime>) -> Arc<Self> {
        Arc::new(Dispatcher { shared, runtime, groups: Mutex::new(HashMap::new()), stopped: AtomicBool::new(false) })
    }

    /// Routes `alert` into its groups, creating (and starting) groups as needed.
    pub(crate) fn process(self: &Arc<Self>, alert: &Alert) {
        if self.stopped.load(AtomicOrdering::SeqCst) {
            return;
        }
        let now = now_ms();
        let root = &self.runtime.config.route;
        for r in root.match_labels(&alert.labels) {
            let id = route_id(root, r);
            let key = r.group_key(&alert.labels);
            let mut groups = self.groups.lock();
            let ag = groups.entry((id, key.clone())).or_insert_with(|| {
                let ag = Arc::new(AggrGroup {
                    route_id: id,
                    key,
                    labels: r.group_labels(&alert.labels),
                    opts: r.opts.clone(),
                    alerts: Mutex::new(HashMap::new()),
                    has_flushed: AtomicBool::new(false),
                    flush_now: Notify::new(),
                    task: Mutex::new(None),
                });
                let handle = tokio::spawn(Arc::clone(self).run_group(Arc::clone(&ag)));
                *ag.task.lock() = Some(handle.abort_handle());
                ag
            });
            ag.insert(alert.clone(), now);
        }
    }

    /// Stops every group task; later `process` calls do nothing.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, AtomicOrdering::SeqCst);
        for (_, ag) in self.groups.lock().drain() {
            if let Some(h) = ag.task.lock().take() {
                h.abort();
            }
        }
    }

    /// The current groups, sorted by route then group key.
    pub(crate) fn groups(&self) -> Vec<Arc<AggrGroup>> {
        let mut v: Vec<Arc<AggrGroup>> = self.groups.lock().values().cloned().collect();
        v.sort_by(|a, b| (a.route_id, &a.key).cmp(&(b.route_id, &b.key)));
        v
    }

    async fn run_group(self: Arc<Self>, ag: Arc<AggrGroup>) {
        let mut next = tokio::time::Instant::now() + ag.opts.group_wait;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(next) => {}
                _ = ag.flush_now.notified() => {}
            }
            ag.has_flushed.store(true, AtomicOrdering::SeqCst);
            next = tokio::time::Instant::now() + ag.opts.group_interval;
            self.flush(&ag, next).await;
            // An empty group ends; the check and removal happen under the
            // groups lock, so no alert can be inserted in between.
            let mut groups = self.groups.lock();
            if ag.alerts.lock().is_empty() {
                groups.remove(&(ag.route_id, ag.key.clone()));
                return;
            }
        }
    }

    async fn flush(&self, ag: &AggrGroup, next_tick: tokio::time::Instant) {
        let now = now_ms();
        let mut alerts: Vec<Alert> = ag
            .alerts()
            .into_iter()
            .map(|mut a| {
                // Alerts do not resolve as time moves on during the pipeline.
                if !a.resolved_at(now) {
                    a.ends_at_ms = None;
                }
                a
            })
            .collect();
        alerts.sort_by(alert_order);
        // Notifications may take until the next flush (at least the minimum
        // timeout) before they are cancelled.
        let min = self.shared.opts.min_flush_timeout;
        let deadline = next_tick.max(tokio::time::Instant::now() + min);
        let ok = crate::pipeline::run(&self.shared, &self.runtime, ag, &alerts, now, deadline).await;
        if ok {
            let mut stored = ag.alerts.lock();
            for a in alerts.iter().filter(|a| a.resolved_at(now)) {
                let fp = a.fingerprint();
                if stored.get(&fp).is_some_and(|s| s.updated_at_ms == a.updated_at_ms) {
                    stored.remove(&fp);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_slice_order() {
        let a = |pairs: &[(&str, &str)]| Alert::new(Labels::from_pairs(pairs.iter().copied()), 0);
        let mut v = [
            a(&[("alertname", "z")]),
            a(&[("job", "b")]),
            a(&[("job", "a"), ("instance", "2")]),
            a(&[("job", "a"), ("instance", "1")]),
        ];
        v.sort_by(alert_order);
        let jobs: Vec<_> = v.iter().map(|x| (x.labels.get("job"), x.labels.get("instance"))).collect();
        assert_eq!(jobs, vec![(Some("a"), Some("1")), (Some("a"), Some("2")), (Some("b"), None), (None, None)]);
    }
}
