//! Alerts as the alert manager holds them, and Alertmanager's fingerprints.

use std::collections::BTreeMap;

use argus_model::Labels;

/// An alert: labels identify it, annotations describe it, and it is resolved once
/// `ends_at` has passed.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Identifying labels.
    pub labels: Labels,
    /// Annotations (summary, description, runbook_url, ...).
    pub annotations: BTreeMap<String, String>,
    /// When the alert started, Unix milliseconds.
    pub starts_at_ms: i64,
    /// When the alert ends (or ended), Unix milliseconds; `None` while open-ended.
    pub ends_at_ms: Option<i64>,
    /// Where it came from (the rule's expression browser link).
    pub generator_url: String,
    /// When the alert manager last received it, Unix milliseconds.
    pub updated_at_ms: i64,
    /// `ends_at_ms` was filled in from `resolve_timeout` rather than sent.
    pub timeout: bool,
}

impl Alert {
    /// A firing alert with no annotations and no end.
    pub fn new(labels: Labels, starts_at_ms: i64) -> Self {
        Alert {
            labels,
            annotations: BTreeMap::new(),
            starts_at_ms,
            ends_at_ms: None,
            generator_url: String::new(),
            updated_at_ms: starts_at_ms,
            timeout: false,
        }
    }

    /// Merges `self` (the stored alert) with `o` (a newer report of the same
    /// alert) as Alertmanager's `types.Alert.Merge`: the younger report wins,
    /// the earliest start is kept, and an explicit end beats a timeout.
    pub fn merge(&self, o: &Alert) -> Alert {
        if o.updated_at_ms < self.updated_at_ms {
            return o.merge(self);
        }
        let mut res = o.clone();
        if self.starts_at_ms < o.starts_at_ms {
            res.starts_at_ms = self.starts_at_ms;
        }
        let now = now_ms();
        let (a_end, o_end) = (self.ends_at_ms.unwrap_or(0), o.ends_at_ms.unwrap_or(0));
        if o.resolved_at(now) {
            // The latest explicit resolve time wins when both are resolved.
            if self.resolved_at(now) && a_end > o_end {
                res.ends_at_ms = self.ends_at_ms;
            }
        } else if a_end > o_end && !self.timeout {
            // A sent (non-timeout) end always rules if it is the latest.
            res.ends_at_ms = self.ends_at_ms;
        }
        res
    }

    /// `firing` or `resolved` at `now_ms`.
    pub fn status_at(&self, now_ms: i64) -> &'static str {
        if self.resolved_at(now_ms) { "resolved" } else { "firing" }
    }

    /// Whether the alert is resolved at `now_ms` (its end is set and not in the future).
    pub fn resolved_at(&self, now_ms: i64) -> bool {
        self.ends_at_ms.is_some_and(|e| e <= now_ms)
    }

    /// Alertmanager's fingerprint of the alert's labels.
    pub fn fingerprint(&self) -> Fingerprint {
        fingerprint(&self.labels)
    }
}

/// The current wall-clock time in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A label set's 64-bit identity as Prometheus' `model.LabelSet.Fingerprint`
/// computes it (FNV-1a over sorted names and values, each followed by `0xff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub u64);

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Computes the fingerprint of `labels`.
pub fn fingerprint(labels: &Labels) -> Fingerprint {
    const OFFSET: u64 = 14695981039346656037;
    const PRIME: u64 = 1099511628211;
    let mut h = OFFSET;
    let mut add = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(PRIME);
    };
    for l in labels.iter() {
        l.name.bytes().for_each(&mut add);
        add(0xff);
        l.value.bytes().for_each(&mut add);
        add(0xff);
    }
    Fingerprint(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: i64, end: Option<i64>, updated: i64, timeout: bool) -> Alert {
        let mut a = Alert::new(Labels::from_pairs([("a", "b")]), start);
        a.ends_at_ms = end;
        a.updated_at_ms = updated;
        a.timeout = timeout;
        a
    }

    #[test]
    fn merge_rules() {
        let now = now_ms();
        // Earliest start kept; younger report's end wins when firing.
        let m = at(100, Some(now + 10_000), 1, false).merge(&at(200, Some(now + 20_000), 2, false));
        assert_eq!((m.starts_at_ms, m.ends_at_ms), (100, Some(now + 20_000)));
        // An older explicit later end beats the younger one's earlier end...
        let m = at(100, Some(now + 30_000), 1, false).merge(&at(100, Some(now + 20_000), 2, true));
        assert_eq!(m.ends_at_ms, Some(now + 30_000));
        // ...but not when it was itself a timeout.
        let m = at(100, Some(now + 30_000), 1, true).merge(&at(100, Some(now + 20_000), 2, true));
        assert_eq!(m.ends_at_ms, Some(now + 20_000));
        // Both resolved: the latest resolve time wins.
        let m = at(100, Some(500), 1, false).merge(&at(100, Some(300), 2, false));
        assert_eq!(m.ends_at_ms, Some(500));
        // Argument order does not matter: the younger is always `o`.
        let m = at(100, Some(300), 2, false).merge(&at(50, Some(500), 1, false));
        assert_eq!((m.starts_at_ms, m.ends_at_ms, m.updated_at_ms), (50, Some(500), 2));
    }

    #[test]
    fn fingerprints_match_prometheus() {
        // Values from prometheus/common model/signature_test.go.
        assert_eq!(fingerprint(&Labels::empty()).0, 14695981039346656037);
        assert_eq!(
            fingerprint(&Labels::from_pairs([("name", "garland, briggs"), ("fear", "love is not enough")])).0,
            5799056148416392346
        );
    }
}
