//! Scrape-time limits and label handling as pure functions, with Prometheus
//! 2.42's error messages: the label a scraped series ends up with
//! ([`mutate_sample_labels`], honoring or renaming to `exported_*`), label
//! limits ([`verify_label_limits`]), `sample_limit`, `body_size_limit`,
//! `target_limit`, and which timestamp a sample gets ([`sample_timestamp`]).

use argus_model::{Label, Labels, METRIC_NAME};

use crate::relabel::{self, RelabelConfig};

/// Prefix given to scraped labels that clash with target labels.
pub const EXPORTED_LABEL_PREFIX: &str = "exported_";

/// A scrape limit was exceeded. The Display text is Prometheus' (it becomes
/// the target's `lastError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitError {
    /// More samples than `sample_limit` after metric relabeling.
    #[error("sample limit exceeded")]
    SampleLimit,
    /// Metric relabeling removed `__name__` from a series.
    #[error("missing metric name (__name__ label)")]
    NameLabelMissing,
    /// A body larger than `body_size_limit`.
    #[error("body size limit exceeded")]
    BodySizeLimit,
    /// More active targets than `target_limit`.
    #[error("target_limit exceeded (number of targets: {targets}, limit: {limit})")]
    TargetLimit {
        /// Active targets.
        targets: usize,
        /// The limit.
        limit: u64,
    },
    /// A series with more labels than `label_limit`.
    #[error("label_limit exceeded (metric: {metric}, number of labels: {labels}, limit: {limit})")]
    LabelLimit {
        /// The metric name (at most 50 characters).
        metric: String,
        /// Its label count.
        labels: usize,
        /// The limit.
        limit: u64,
    },
    /// A label name longer than `label_name_length_limit`.
    #[error(
        "label_name_length_limit exceeded (metric: {metric}, label name: {name}, length: {length}, limit: {limit})"
    )]
    LabelNameLength {
        /// The metric name (at most 50 characters).
        metric: String,
        /// The label name (at most 50 characters).
        name: String,
        /// Its length in bytes.
        length: usize,
        /// The limit.
        limit: u64,
    },
    /// A label value longer than `label_value_length_limit`.
    #[error(
        "label_value_length_limit exceeded (metric: {metric}, label name: {name}, value: {value}, length: {length}, limit: {limit})"
    )]
    LabelValueLength {
        /// The metric name (at most 50 characters).
        metric: String,
        /// The label name (at most 50 characters).
        name: String,
        /// The value, quoted, at most 50 characters before quoting.
        value: String,
        /// Its length in bytes.
        length: usize,
        /// The limit.
        limit: u64,
    },
}

/// Label limits of a scrape job; 0 means no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabelLimits {
    /// `label_limit`.
    pub label_limit: u64,
    /// `label_name_length_limit`.
    pub label_name_length_limit: u64,
    /// `label_value_length_limit`.
    pub label_value_length_limit: u64,
}

impl From<&crate::config::ScrapeConfig> for LabelLimits {
    fn from(c: &crate::config::ScrapeConfig) -> Self {
        LabelLimits {
            label_limit: c.label_limit,
            label_name_length_limit: c.label_name_length_limit,
            label_value_length_limit: c.label_value_length_limit,
        }
    }
}

/// Go's `%.50s`: at most 50 characters.
fn trunc50(s: &str) -> String {
    s.chars().take(50).collect()
}

/// Go's `%.50q`: truncated to 50 characters, then quoted.
fn quote50(s: &str) -> String {
    argus_model::exposition::go_quote(trunc50(s).as_bytes())
}

/// Prometheus' `verifyLabelLimits`, run on each series after metric relabeling.
pub fn verify_label_limits(lset: &Labels, limits: &LabelLimits) -> Result<(), LimitError> {
    let metric = lset.get(METRIC_NAME).unwrap_or("");
    if limits.label_limit > 0 && lset.len() as u64 > limits.label_limit {
        return Err(LimitError::LabelLimit { metric: trunc50(metric), labels: lset.len(), limit: limits.label_limit });
    }
    for l in lset.iter() {
        if limits.label_name_length_limit > 0 && l.name.len() as u64 > limits.label_name_length_limit {
            return Err(LimitError::LabelNameLength {
                metric: trunc50(metric),
                name: trunc50(&l.name),
                length: l.name.len(),
                limit: limits.label_name_length_limit,
            });
        }
        if limits.label_value_length_limit > 0 && l.value.len() as u64 > limits.label_value_length_limit {
            return Err(LimitError::LabelValueLength {
                metric: trunc50(metric),
                name: trunc50(&l.name),
                value: quote50(&l.value),
                length: l.value.len(),
                limit: limits.label_value_length_limit,
            });
        }
    }
    Ok(())
}

/// Prometheus' `mutateSampleLabels`: merges the target's public labels into
/// a scraped series and runs `metric_relabel_configs`. With `honor_labels`
/// the scraped value wins; otherwise the target's does and each clashing
/// scraped label is kept as `exported_<name>` (more `exported_` prefixes until
/// the name is free, shortest names first). `None` if relabeling dropped the
/// series or left no labels.
pub fn mutate_sample_labels(
    scraped: &Labels,
    target_labels: &Labels,
    honor_labels: bool,
    metric_relabel_configs: &[RelabelConfig],
) -> Option<Labels> {
    let mut lb = scraped.builder();
    if honor_labels {
        for l in target_labels.iter() {
            if scraped.get(&l.name).is_none() {
                lb.set(l.name.clone(), l.value.clone());
            }
        }
    } else {
        let mut conflicting: Vec<Label> = Vec::new();
        for l in target_labels.iter() {
            if let Some(v) = scraped.get(&l.name) {
                conflicting.push(Label::new(l.name.clone(), v));
            }
            lb.set(l.name.clone(), l.value.clone());
        }
        if !conflicting.is_empty() {
            conflicting.sort_by_key(|l| l.name.len());
            for i in 0..conflicting.len() {
                let Some(mut name) = conflicting.get(i).map(|l| l.name.to_string()) else { continue };
                loop {
                    name = format!("{EXPORTED_LABEL_PREFIX}{name}");
                    let taken = scraped.get(&name).is_some()
                        || target_labels.get(&name).is_some()
                        || conflicting.iter().take(i).any(|c| c.name == name);
                    if !taken {
                        break;
                    }
                }
                if let Some(c) = conflicting.get_mut(i) {
                    c.name = name.into();
                }
            }
            for c in conflicting {
                lb.set(c.name, c.value);
            }
        }
    }
    let res = lb.build();
    let res = if metric_relabel_configs.is_empty() { res } else { relabel::process(&res, metric_relabel_configs)? };
    (!res.is_empty()).then_some(res)
}

/// The per-scrape admission of scraped series, in the order Prometheus' scrape
/// loop applies it: target labels and metric relabeling
/// ([`mutate_sample_labels`]), the `__name__` check, label limits, then
/// `sample_limit` (counted over non-stale samples that reach the appender).
/// A scrape loop makes one per scrape; any `Err` fails the whole scrape
/// (roll back, `up` = 0, the error as `lastError`).
#[derive(Debug, Clone)]
pub struct SampleAdmission<'a> {
    target_labels: Labels,
    honor_labels: bool,
    metric_relabel_configs: &'a [RelabelConfig],
    label_limits: LabelLimits,
    sample_limit: u64,
    samples: u64,
}

impl<'a> SampleAdmission<'a> {
    /// Admission for one scrape of a target with public labels `target_labels`.
    pub fn new(cfg: &'a crate::config::ScrapeConfig, target_labels: Labels) -> Self {
        SampleAdmission {
            target_labels,
            honor_labels: cfg.honor_labels,
            metric_relabel_configs: &cfg.metric_relabel_configs,
            label_limits: LabelLimits::from(cfg),
            sample_limit: cfg.sample_limit,
            samples: 0,
        }
    }

    /// The labels to store a newly seen series under; `Ok(None)` when metric
    /// relabeling drops it (cache that, as Prometheus does).
    pub fn series_labels(&self, scraped: &Labels) -> Result<Option<Labels>, LimitError> {
        let Some(lset) =
            mutate_sample_labels(scraped, &self.target_labels, self.honor_labels, self.metric_relabel_configs)
        else {
            return Ok(None);
        };
        if lset.get(METRIC_NAME).is_none() {
            return Err(LimitError::NameLabelMissing);
        }
        verify_label_limits(&lset, &self.label_limits)?;
        Ok(Some(lset))
    }

    /// Counts a sample about to be appended; `Err(SampleLimit)` once the limit
    /// is passed. Prometheus keeps parsing after that so `scrape_samples_scraped`
    /// stays right, and fails the scrape at the end.
    pub fn admit_sample(&mut self, value: f64) -> Result<(), LimitError> {
        if argus_model::is_stale_nan(value) {
            return Ok(());
        }
        self.samples += 1;
        check_sample_limit(self.samples, self.sample_limit)
    }

    /// Samples counted so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }
}

/// `sample_limit`: call with the number of samples appended so far in this
/// scrape (after metric relabeling); 0 means no limit.
pub fn check_sample_limit(samples: u64, limit: u64) -> Result<(), LimitError> {
    if limit > 0 && samples > limit { Err(LimitError::SampleLimit) } else { Ok(()) }
}

/// `body_size_limit`: call with the bytes read so far; 0 means no limit.
/// Prometheus fails once the body reaches the limit.
pub fn check_body_size(read: u64, limit: u64) -> Result<(), LimitError> {
    if limit > 0 && read >= limit { Err(LimitError::BodySizeLimit) } else { Ok(()) }
}

/// `target_limit` for a scrape pool; 0 means no limit.
pub fn check_target_limit(targets: usize, limit: u64) -> Result<(), LimitError> {
    if limit > 0 && targets as u64 > limit { Err(LimitError::TargetLimit { targets, limit }) } else { Ok(()) }
}

/// The timestamp stored for a sample: the exposed one if `honor_timestamps`
/// and present, else the scrape time (milliseconds).
pub fn sample_timestamp(exposed: Option<i64>, scrape_time_ms: i64, honor_timestamps: bool) -> i64 {
    match exposed {
        Some(t) if honor_timestamps => t,
        _ => scrape_time_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn honor_labels_and_exported_prefix() {
        #[track_caller]
        fn check(scraped: &[(&str, &str)], target: &[(&str, &str)], honor: bool, want: &[(&str, &str)]) {
            assert_eq!(mutate_sample_labels(&l(scraped), &l(target), honor, &[]), Some(l(want)));
        }
        let t = &[("job", "j"), ("instance", "i:1")][..];
        check(&[("__name__", "m")], t, false, &[("__name__", "m"), ("instance", "i:1"), ("job", "j")]);
        check(&[("__name__", "m"), ("job", "x")], t, true, &[("__name__", "m"), ("instance", "i:1"), ("job", "x")]);
        check(
            &[("__name__", "m"), ("job", "x")],
            t,
            false,
            &[("__name__", "m"), ("exported_job", "x"), ("instance", "i:1"), ("job", "j")],
        );
        // exported_job is taken by the scraped series: exported_exported_job.
        check(
            &[("__name__", "m"), ("job", "x"), ("exported_job", "y")],
            t,
            false,
            &[
                ("__name__", "m"),
                ("exported_exported_job", "x"),
                ("exported_job", "y"),
                ("instance", "i:1"),
                ("job", "j"),
            ],
        );
        // The target has exported_job too.
        check(
            &[("__name__", "m"), ("job", "x")],
            &[("job", "j"), ("exported_job", "e")],
            false,
            &[("__name__", "m"), ("exported_exported_job", "x"), ("exported_job", "e"), ("job", "j")],
        );
    }

    #[test]
    fn metric_relabeling_can_drop() {
        let raw: Vec<crate::config::raw::RelabelConfig> =
            serde_yaml_ng::from_str("[{source_labels: [__name__], regex: 'go_.*', action: drop}]").unwrap();
        let rc: Vec<_> = raw.iter().map(|r| RelabelConfig::from_raw(r).unwrap()).collect();
        assert_eq!(mutate_sample_labels(&l(&[("__name__", "go_gc")]), &l(&[("job", "j")]), false, &rc), None);
        assert!(mutate_sample_labels(&l(&[("__name__", "up2")]), &l(&[("job", "j")]), false, &rc).is_some());
    }

    #[test]
    fn label_limits() {
        let m = l(&[("__name__", "metric"), ("a", "12345"), ("bbbbbb", "x")]);
        let check = |limits: LabelLimits| verify_label_limits(&m, &limits).map_err(|e| e.to_string());
        assert_eq!(check(LabelLimits::default()), Ok(()));
        assert_eq!(check(LabelLimits { label_limit: 3, ..Default::default() }), Ok(()));
        assert_eq!(
            check(LabelLimits { label_limit: 2, ..Default::default() }),
            Err("label_limit exceeded (metric: metric, number of labels: 3, limit: 2)".to_string())
        );
        assert_eq!(
            check(LabelLimits { label_name_length_limit: 5, ..Default::default() }),
            Err("label_name_length_limit exceeded (metric: metric, label name: __name__, length: 8, limit: 5)"
                .to_string())
        );
        assert_eq!(
            check(LabelLimits { label_value_length_limit: 4, ..Default::default() }),
            Err("label_value_length_limit exceeded (metric: metric, label name: __name__, value: \"metric\", length: 6, limit: 4)".to_string())
        );
        let long = "x".repeat(60);
        let e = verify_label_limits(
            &l(&[("__name__", &long)]),
            &LabelLimits { label_limit: 0, label_name_length_limit: 0, label_value_length_limit: 10 },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains(&format!("metric: {}, ", "x".repeat(50))), "{e}");
    }

    #[test]
    fn sample_body_target_limits() {
        assert_eq!(check_sample_limit(10, 0), Ok(()));
        assert_eq!(check_sample_limit(10, 10), Ok(()));
        assert_eq!(check_sample_limit(11, 10).unwrap_err().to_string(), "sample limit exceeded");
        assert_eq!(check_body_size(99, 100), Ok(()));
        assert_eq!(check_body_size(100, 100).unwrap_err().to_string(), "body size limit exceeded");
        assert_eq!(
            check_target_limit(3, 2).unwrap_err().to_string(),
            "target_limit exceeded (number of targets: 3, limit: 2)"
        );
        assert_eq!(sample_timestamp(Some(5), 9, true), 5);
        assert_eq!(sample_timestamp(Some(5), 9, false), 9);
        assert_eq!(sample_timestamp(None, 9, true), 9);
    }
}
