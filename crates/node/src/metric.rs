//! The collectors' output: const metrics as client_golang's `MustNewConstMetric`
//! makes them, and the gatherer that merges them into families.
//!
//! Every collector emits [`Metric`]s, each carrying its own name, help and
//! type, exactly as node_exporter's collectors send `prometheus.Metric`s on a
//! channel. [`Gatherer`] then does what client_golang's `Registry.Gather`
//! does with `ContinueOnError`: it merges metrics into families, rejects a
//! metric whose help or type disagrees with the family it joins, whose name
//! collides with a summary or histogram, or whose label values repeat a metric
//! already gathered (logging each rejection), and sorts families by name and
//! metrics by label values. Label values may be empty, as in client_golang.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

use argus_model::exposition::MetricType;

/// A metric's value: a single number, or a summary's or histogram's parts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// Counter, gauge or untyped value.
    Single(f64),
    /// A summary: count, sum and (quantile, value) pairs sorted by quantile.
    Summary { count: u64, sum: f64, quantiles: Vec<(f64, f64)> },
    /// A histogram: count, sum and (upper bound, cumulative count) sorted by bound.
    Histogram { count: u64, sum: f64, buckets: Vec<(f64, u64)> },
}

/// One const metric: its family's name, help and type travel with it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Metric {
    pub name: Cow<'static, str>,
    pub help: Cow<'static, str>,
    pub kind: MetricType,
    /// Label pairs sorted by name; values may be empty.
    pub labels: Vec<(Cow<'static, str>, String)>,
    pub value: Value,
}

impl Metric {
    /// A counter, gauge or untyped metric; `labels` need not be sorted.
    pub(crate) fn new(
        name: impl Into<Cow<'static, str>>,
        help: impl Into<Cow<'static, str>>,
        kind: MetricType,
        labels: Vec<(Cow<'static, str>, String)>,
        value: f64,
    ) -> Self {
        Metric::with_value(name, help, kind, labels, Value::Single(value))
    }

    /// A metric of any value kind; `labels` need not be sorted.
    pub(crate) fn with_value(
        name: impl Into<Cow<'static, str>>,
        help: impl Into<Cow<'static, str>>,
        kind: MetricType,
        mut labels: Vec<(Cow<'static, str>, String)>,
        value: Value,
    ) -> Self {
        labels.sort_by(|a, b| a.0.cmp(&b.0));
        Metric { name: name.into(), help: help.into(), kind, labels, value }
    }
}

/// Shorthand for building label pairs from static names.
pub(crate) fn labels<const N: usize>(pairs: [(&'static str, String); N]) -> Vec<(Cow<'static, str>, String)> {
    pairs.into_iter().map(|(n, v)| (Cow::Borrowed(n), v)).collect()
}

/// Label pairs sorted by name; values may be empty.
pub(crate) type LabelPairs = Vec<(Cow<'static, str>, String)>;

/// A gathered family: all metrics sharing a name.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Family {
    pub name: String,
    pub help: String,
    pub kind: MetricType,
    pub metrics: Vec<GatheredMetric>,
}

/// A metric inside a [`Family`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GatheredMetric {
    pub labels: Vec<(Cow<'static, str>, String)>,
    pub value: Value,
}

/// Merges metrics into families as client_golang's `Gather` does.
#[derive(Debug, Default)]
pub(crate) struct Gatherer {
    families: BTreeMap<String, Family>,
    seen: HashSet<(String, LabelPairs)>,
}

impl Gatherer {
    /// Adds one metric; on an inconsistency the metric is dropped and the
    /// reason returned (worded as client_golang words it).
    pub(crate) fn add(&mut self, m: Metric) -> Result<(), String> {
        let shape_ok = matches!(
            (&m.value, m.kind),
            (Value::Summary { .. }, MetricType::Summary)
                | (Value::Histogram { .. }, MetricType::Histogram)
                | (Value::Single(_), MetricType::Counter | MetricType::Gauge | MetricType::Unknown)
        );
        if !argus_model::is_valid_metric_name(&m.name) {
            return Err(format!("collected metric named {:?} is not a valid metric name", m.name));
        }
        if !shape_ok {
            return Err(format!("collected metric {} has a value that does not fit its type", m.name));
        }
        for (name, value) in &m.labels {
            if !argus_model::is_valid_label_name(name) || name.starts_with("__") {
                return Err(format!("{name:?} is not a valid label name for metric {:?}", m.name));
            }
            let reserved = match m.kind {
                MetricType::Summary => name == "quantile",
                MetricType::Histogram => name == "le",
                _ => false,
            };
            if reserved {
                return Err(format!("collected metric {:?} has label {name:?} which is reserved", m.name));
            }
            let _ = value;
        }
        if let Some(f) = self.families.get(m.name.as_ref()) {
            if f.help != m.help {
                return Err(format!("collected metric {} has help {:?} but should have {:?}", m.name, m.help, f.help));
            }
            if f.kind != m.kind {
                return Err(format!("collected metric {} should be a {}", m.name, type_word(f.kind)));
            }
        } else {
            self.check_suffix_collisions(&m.name, m.kind)?;
        }
        let key = (m.name.to_string(), m.labels.clone());
        if self.seen.contains(&key) {
            return Err(format!(
                "collected metric {:?} {{ {} }} was collected before with the same name and label values",
                m.name,
                m.labels.iter().map(|(n, v)| format!("label:<name:{n:?} value:{v:?} >")).collect::<Vec<_>>().join(" ")
            ));
        }
        self.seen.insert(key);
        let family = self.families.entry(m.name.to_string()).or_insert_with(|| Family {
            name: m.name.to_string(),
            help: m.help.to_string(),
            kind: m.kind,
            metrics: Vec::new(),
        });
        family.metrics.push(GatheredMetric { labels: m.labels, value: m.value });
        Ok(())
    }

    /// client_golang's `checkSuffixCollisions` for a family seen for the first time.
    fn check_suffix_collisions(&self, name: &str, kind: MetricType) -> Result<(), String> {
        let base = ["_count", "_sum", "_bucket"].iter().find_map(|s| name.strip_suffix(s));
        if let Some(existing) = base.and_then(|b| self.families.get(b)) {
            match existing.kind {
                MetricType::Summary if !name.ends_with("_bucket") => {
                    return Err(format!(
                        "collected metric named {name:?} collides with previously collected summary named {:?}",
                        existing.name
                    ));
                }
                MetricType::Histogram => {
                    return Err(format!(
                        "collected metric named {name:?} collides with previously collected histogram named {:?}",
                        existing.name
                    ));
                }
                _ => {}
            }
        }
        let mut suffixes: Vec<&str> = Vec::new();
        if matches!(kind, MetricType::Summary | MetricType::Histogram) {
            suffixes.extend(["_count", "_sum"]);
        }
        if kind == MetricType::Histogram {
            suffixes.push("_bucket");
        }
        for s in suffixes {
            let other = format!("{name}{s}");
            if self.families.contains_key(&other) {
                return Err(format!(
                    "collected histogram or summary named {name:?} collides with previously collected metric named {other:?}"
                ));
            }
        }
        Ok(())
    }

    /// The families sorted by name, each with its metrics sorted by label values.
    pub(crate) fn finish(self) -> Vec<Family> {
        let mut out: Vec<Family> = self.families.into_values().collect();
        for f in &mut out {
            f.metrics.sort_by(compare_metrics);
        }
        out
    }
}

/// client_golang's `metricSorter`: fewer labels first, then label values in order.
fn compare_metrics(a: &GatheredMetric, b: &GatheredMetric) -> Ordering {
    a.labels.len().cmp(&b.labels.len()).then_with(|| {
        a.labels.iter().zip(&b.labels).map(|(x, y)| x.1.cmp(&y.1)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
    })
}

fn type_word(kind: MetricType) -> &'static str {
    match kind {
        MetricType::Counter => "Counter",
        MetricType::Gauge => "Gauge",
        MetricType::Summary => "Summary",
        MetricType::Histogram => "Histogram",
        _ => "Untyped",
    }
}
