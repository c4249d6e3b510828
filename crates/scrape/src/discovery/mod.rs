//! Service discovery: where targets come from. A discoverer yields
//! [`TargetGroup`]s (Prometheus' `targetgroup.Group`): label sets with an
//! `__address__` each, labels shared by the group, and a source naming the
//! group so an update can replace it. `static_configs` are groups written in
//! prometheus.yml ([`static_groups`]); `file_sd_configs` read them from JSON or
//! YAML files ([`file`]); [`http`] parses HTTP SD responses, [`dns`] turns
//! DNS answers into groups and [`dns_client`] asks name servers for SRV and
//! MX records; the scrape manager runs the fetching and resolving.
//! [`GroupSet`] merges updates by source. Turning groups into scrape targets
//! is [`crate::target`]'s job.

pub mod dns;
pub mod dns_client;
pub mod file;
pub mod http;

use std::collections::BTreeMap;

use argus_model::{Labels, LabelsBuilder};

use crate::config::raw;

/// The label holding a target's address.
pub const ADDRESS_LABEL: &str = "__address__";

/// A group of targets from one source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetGroup {
    /// Identifies the group within its discoverer (e.g. `"0"`, `"file.yml:1"`).
    pub source: String,
    /// One label set per target, each with `__address__` (unless empty).
    pub targets: Vec<Labels>,
    /// Labels every target gets unless it sets them itself.
    pub labels: Labels,
}

impl TargetGroup {
    /// Builds a group from its raw form (addresses become `__address__`).
    pub fn from_raw(raw: &raw::TargetGroup, source: String) -> Self {
        let targets = raw
            .targets
            .iter()
            .flatten()
            .map(|t| {
                let mut b = LabelsBuilder::new();
                b.set(ADDRESS_LABEL, t.0.clone());
                b.build()
            })
            .collect();
        let labels = raw.labels.as_ref().map(|l| Labels::from_pairs(l.0.clone())).unwrap_or_default();
        TargetGroup { source, targets, labels }
    }
}

/// The target groups of `static_configs`, with sources `"0"`, `"1"`, ... as in Prometheus.
pub fn static_groups(raw: &[raw::TargetGroup]) -> Vec<TargetGroup> {
    raw.iter().enumerate().map(|(i, g)| TargetGroup::from_raw(g, i.to_string())).collect()
}

/// The current target groups of one scrape pool, keyed by
/// (discoverer index, source): an update replaces the groups with the same
/// source, and a group with no targets removes it, as Prometheus' discovery
/// manager does.
#[derive(Debug, Clone, Default)]
pub struct GroupSet {
    groups: BTreeMap<(usize, String), TargetGroup>,
}

impl GroupSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies an update from discoverer `provider` (e.g. the index of a
    /// `file_sd_configs` entry; static configs can use their own index).
    pub fn apply(&mut self, provider: usize, update: impl IntoIterator<Item = TargetGroup>) {
        for g in update {
            let key = (provider, g.source.clone());
            if g.targets.is_empty() {
                self.groups.remove(&key);
            } else {
                self.groups.insert(key, g);
            }
        }
    }

    /// Replaces everything discoverer `provider` contributed with `groups`.
    pub fn replace(&mut self, provider: usize, groups: impl IntoIterator<Item = TargetGroup>) {
        self.groups.retain(|(p, _), _| *p != provider);
        self.apply(provider, groups);
    }

    /// All current groups, ordered by provider then source.
    pub fn groups(&self) -> impl Iterator<Item = &TargetGroup> {
        self.groups.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(source: &str, addrs: &[&str]) -> TargetGroup {
        TargetGroup {
            source: source.to_string(),
            targets: addrs.iter().map(|a| Labels::from_pairs([(ADDRESS_LABEL, *a)])).collect(),
            labels: Labels::empty(),
        }
    }

    #[test]
    fn group_set_updates_by_source() {
        let mut s = GroupSet::new();
        s.apply(0, [group("f:0", &["a:1"]), group("f:1", &["b:1"])]);
        s.apply(1, [group("f:0", &["c:1"])]);
        assert_eq!(s.groups().count(), 3);
        s.apply(0, [group("f:1", &[])]);
        let addrs: Vec<_> = s.groups().flat_map(|g| g.targets.iter().filter_map(|t| t.get(ADDRESS_LABEL))).collect();
        assert_eq!(addrs, ["a:1", "c:1"]);
        s.replace(1, []);
        assert_eq!(s.groups().count(), 1);
    }
}
