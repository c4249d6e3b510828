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
}

impl Alert {
    /// A firing alert with no annotations and no end.
    pub fn new(labels: Labels, starts_at_ms: i64) -> Self {
        Alert { labels, annotations: BTreeMap::new(), starts_at_ms, ends_at_ms: None, generator_url: String::new() }
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
