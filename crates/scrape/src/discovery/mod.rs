//! Service discovery: where targets come from. A discoverer yields
//! [`TargetGroup`]s (Prometheus' `targetgroup.Group`): label sets with an
//! `__address__` each, labels shared by the group, and a source naming the
//! group so an update can replace it. `static_configs` are groups written in
//! prometheus.yml ([`static_groups`]); `file_sd_configs` read them from JSON or
//! YAML files ([`file`]). Turning groups into scrape targets is
//! [`crate::target`]'s job.

pub mod file;

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
