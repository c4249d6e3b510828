//! The alerts provider: every alert the alert manager knows, keyed by
//! fingerprint, with Alertmanager 0.25's rules for accepting a new report of
//! an alert it already holds (`provider/mem`), and the garbage collection of
//! resolved alerts.
//!
//! The store is shared by the dispatcher (which routes each stored alert) and
//! the API (which lists them); one mutex guards it because both sides only do
//! short map operations under it.

use std::collections::HashMap;

use argus_model::alerting::PostableAlert;
use argus_model::{Labels, is_valid_label_name};
use parking_lot::Mutex;

use crate::alert::{Alert, Fingerprint};

/// All alerts by fingerprint.
#[derive(Debug, Default)]
pub(crate) struct AlertStore {
    alerts: Mutex<HashMap<Fingerprint, Alert>>,
}

impl AlertStore {
    /// Stores `alert`, merging it with the stored alert of the same
    /// fingerprint when their activity ranges overlap; returns what was stored.
    pub(crate) fn put(&self, mut alert: Alert) -> Alert {
        let fp = alert.fingerprint();
        let mut alerts = self.alerts.lock();
        if let Some(old) = alerts.get(&fp) {
            let (old_end, end) = (old.ends_at_ms.unwrap_or(0), alert.ends_at_ms.unwrap_or(0));
            if (end > old.starts_at_ms && end < old_end)
                || (alert.starts_at_ms > old.starts_at_ms && alert.starts_at_ms < old_end)
            {
                alert = old.merge(&alert);
            }
        }
        alerts.insert(fp, alert.clone());
        alert
    }

    /// The alert with fingerprint `fp`.
    pub(crate) fn get(&self, fp: Fingerprint) -> Option<Alert> {
        self.alerts.lock().get(&fp).cloned()
    }

    /// A copy of every stored alert.
    pub(crate) fn list(&self) -> Vec<Alert> {
        self.alerts.lock().values().cloned().collect()
    }

    /// Removes the alerts resolved at `now_ms`; returns their fingerprints.
    pub(crate) fn gc(&self, now_ms: i64) -> Vec<Fingerprint> {
        let mut removed = Vec::new();
        self.alerts.lock().retain(|fp, a| {
            let keep = !a.resolved_at(now_ms);
            if !keep {
                removed.push(*fp);
            }
            keep
        });
        removed
    }
}

/// Turns a posted alert into a stored one as Alertmanager's API does: the
/// receive time becomes `updatedAt`, a missing start becomes now (or the end),
/// a missing end becomes now + `resolve_timeout` (marked as a timeout), empty
/// label values are dropped, and the result is validated with Alertmanager's
/// wording.
pub(crate) fn accept(p: PostableAlert, now_ms: i64, resolve_timeout_ms: i64) -> Result<Alert, String> {
    let labels =
        Labels::from_pairs(p.labels.iter().filter(|l| !l.value.is_empty()).map(|l| (l.name.clone(), l.value.clone())));
    let ends = p.ends_at_ms.filter(|e| *e != 0);
    let starts = match p.starts_at_ms {
        0 => ends.unwrap_or(now_ms),
        s => s,
    };
    let mut a = Alert::new(labels, starts);
    a.annotations = p.annotations;
    a.generator_url = p.generator_url;
    a.updated_at_ms = now_ms;
    match ends {
        Some(e) => a.ends_at_ms = Some(e),
        None => {
            a.timeout = true;
            a.ends_at_ms = Some(now_ms.saturating_add(resolve_timeout_ms));
        }
    }
    validate(&a)?;
    Ok(a)
}

/// Alertmanager's `types.Alert.Validate`.
fn validate(a: &Alert) -> Result<(), String> {
    if a.starts_at_ms == 0 {
        return Err("start time missing".into());
    }
    if a.ends_at_ms.is_some_and(|e| e < a.starts_at_ms) {
        return Err("start time must be before end time".into());
    }
    for l in a.labels.iter() {
        if !is_valid_label_name(&l.name) {
            return Err(format!("invalid label set: invalid name {:?}", l.name));
        }
    }
    if a.labels.is_empty() {
        return Err("at least one label pair required".into());
    }
    for k in a.annotations.keys() {
        if !is_valid_label_name(k) {
            return Err(format!("invalid annotations: invalid name {k:?}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn posted(labels: &[(&str, &str)], start: i64, end: Option<i64>) -> PostableAlert {
        PostableAlert {
            labels: Labels::from_pairs(labels.iter().copied()),
            annotations: BTreeMap::new(),
            starts_at_ms: start,
            ends_at_ms: end,
            generator_url: String::new(),
        }
    }

    #[test]
    fn accept_fills_times_and_validates() {
        let a = accept(posted(&[("alertname", "A"), ("empty", "")], 0, None), 1_000, 300_000).unwrap();
        assert_eq!((a.starts_at_ms, a.ends_at_ms, a.timeout), (1_000, Some(301_000), true));
        assert_eq!(a.labels.len(), 1, "empty label values are dropped");
        let a = accept(posted(&[("alertname", "A")], 0, Some(500)), 1_000, 300_000).unwrap();
        assert_eq!((a.starts_at_ms, a.ends_at_ms, a.timeout), (500, Some(500), false));
        assert_eq!(
            accept(posted(&[("alertname", "A")], 900, Some(500)), 1_000, 1).unwrap_err(),
            "start time must be before end time"
        );
        assert_eq!(accept(posted(&[], 900, None), 1_000, 1).unwrap_err(), "at least one label pair required");
        assert!(accept(posted(&[("0bad", "x")], 900, None), 1_000, 1).unwrap_err().starts_with("invalid label set"));
    }

    #[test]
    fn put_merges_overlapping_and_gc_drops_resolved() {
        let s = AlertStore::default();
        let now = crate::alert::now_ms();
        let first = accept(posted(&[("alertname", "A")], now - 10_000, None), now - 5_000, 300_000).unwrap();
        s.put(first);
        // A later report with a later start inside the first range keeps the earliest start.
        let second = accept(posted(&[("alertname", "A")], now - 1_000, Some(now + 60_000)), now, 300_000).unwrap();
        let stored = s.put(second);
        assert_eq!(stored.starts_at_ms, now - 10_000);
        assert_eq!(stored.ends_at_ms, Some(now + 60_000));
        // Resolve it, then GC removes it.
        let resolved = accept(posted(&[("alertname", "A")], now - 1_000, Some(now - 1)), now, 300_000).unwrap();
        s.put(resolved);
        assert_eq!(s.gc(now).len(), 1);
        assert!(s.list().is_empty());
    }
}
