//! From discovered target groups to scrape targets, exactly as Prometheus
//! 2.42's `PopulateLabels` and `TargetsFromGroup` do: job, interval, timeout,
//! metrics path, scheme and `__param_*` defaults are added, target relabeling
//! runs, a default port is added to a bare host (`:80`/`:443`), `__meta_*`
//! labels go, `instance` defaults to `__address__`. A target relabeled away is
//! kept as dropped, with its discovered labels, for the targets API.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::time::Duration;

use argus_model::{Labels, LabelsBuilder};

use crate::config::{ScrapeConfig, format_duration, parse_duration};
use crate::discovery::{ADDRESS_LABEL, TargetGroup};
use crate::limits::{LimitError, check_target_limit};
use crate::relabel;

/// `__scheme__`.
pub const SCHEME_LABEL: &str = "__scheme__";
/// `__metrics_path__`.
pub const METRICS_PATH_LABEL: &str = "__metrics_path__";
/// `__scrape_interval__`.
pub const SCRAPE_INTERVAL_LABEL: &str = "__scrape_interval__";
/// `__scrape_timeout__`.
pub const SCRAPE_TIMEOUT_LABEL: &str = "__scrape_timeout__";
/// Prefix of labels that become URL parameters.
pub const PARAM_LABEL_PREFIX: &str = "__param_";
/// Prefix of discovery metadata labels, removed after target relabeling.
pub const META_LABEL_PREFIX: &str = "__meta_";
/// Prefix of labels that never reach stored series.
pub const RESERVED_LABEL_PREFIX: &str = "__";
/// `job`.
pub const JOB_LABEL: &str = "job";
/// `instance`.
pub const INSTANCE_LABEL: &str = "instance";

/// Why a discovered target could not become a scrape target. Messages are
/// Prometheus'; `group` and `index` locate it as Prometheus' log line does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("instance {index} in group {group}: {message}")]
pub struct TargetError {
    /// The target group's source.
    pub group: String,
    /// The target's index in its group.
    pub index: usize,
    /// Prometheus' message (`no address`, `"x" is not a valid hostname`, ...).
    pub message: String,
}

/// A scrape target: its final labels (including `__address__`, `__scheme__`,
/// `__metrics_path__`, `__param_*`), the labels it was discovered with, and the
/// job's `params`.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    labels: Labels,
    discovered_labels: Labels,
    params: BTreeMap<String, Vec<String>>,
}

impl Target {
    /// A target from final labels, discovered labels and the job's params.
    pub fn new(labels: Labels, discovered_labels: Labels, params: BTreeMap<String, Vec<String>>) -> Self {
        Target { labels, discovered_labels, params }
    }

    /// Whether relabeling dropped it (it is then listed as a dropped target).
    pub fn is_dropped(&self) -> bool {
        self.labels.is_empty()
    }

    /// The labels attached to every scraped series: the final labels without
    /// the `__`-prefixed ones.
    pub fn labels(&self) -> Labels {
        Labels::from_sorted(
            self.labels.iter().filter(|l| !l.name.starts_with(RESERVED_LABEL_PREFIX)).cloned().collect(),
        )
    }

    /// All final labels, internal ones included.
    pub fn all_labels(&self) -> &Labels {
        &self.labels
    }

    /// The labels before relabeling (`discoveredLabels` in the API).
    pub fn discovered_labels(&self) -> &Labels {
        &self.discovered_labels
    }

    /// The scrape interval, from `__scrape_interval__` (relabeling may change it).
    pub fn scrape_interval(&self) -> Option<Duration> {
        self.labels.get(SCRAPE_INTERVAL_LABEL).and_then(|s| parse_duration(s).ok())
    }

    /// The scrape timeout, from `__scrape_timeout__`.
    pub fn scrape_timeout(&self) -> Option<Duration> {
        self.labels.get(SCRAPE_TIMEOUT_LABEL).and_then(|s| parse_duration(s).ok())
    }

    /// The scrape URL as Go's `url.URL.String` prints Prometheus' `Target.URL`:
    /// `__scheme__://__address____metrics_path__?params`, where `__param_<k>`
    /// replaces the first value of param `k`, keys sorted, values query-escaped.
    pub fn url(&self) -> String {
        let mut params = self.params.clone();
        for l in self.labels.iter() {
            if let Some(k) = l.name.strip_prefix(PARAM_LABEL_PREFIX) {
                match params.get_mut(k).and_then(|v| v.first_mut()) {
                    Some(first) => *first = l.value.to_string(),
                    None => {
                        params.insert(k.to_string(), vec![l.value.to_string()]);
                    }
                }
            }
        }
        let scheme = self.labels.get(SCHEME_LABEL).unwrap_or("");
        let host = self.labels.get(ADDRESS_LABEL).unwrap_or("");
        let path = self.labels.get(METRICS_PATH_LABEL).unwrap_or("");
        let mut out = String::new();
        if !scheme.is_empty() {
            out.push_str(scheme);
            out.push(':');
        }
        if !scheme.is_empty() || !host.is_empty() {
            out.push_str("//");
            out.push_str(host);
        }
        if !path.is_empty() && !path.starts_with('/') && !host.is_empty() {
            out.push('/');
        }
        out.push_str(&escape(path, false));
        let mut first = true;
        for (k, vs) in &params {
            for v in vs {
                out.push(if first { '?' } else { '&' });
                first = false;
                let _ = write!(out, "{}={}", escape(k, true), escape(v, true));
            }
        }
        out
    }
}

/// Go's `url.PathEscape`-for-`URL.String` (`query = false`) and `QueryEscape` (`query = true`).
fn escape(s: &str, query: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (!query && matches!(b, b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'@'));
        if keep {
            out.push(b as char);
        } else if query && b == b' ' {
            out.push('+');
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Go's `net.SplitHostPort` success test.
fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        if port.contains(':') || host.contains('[') || port.contains(']') {
            return None;
        }
        return Some((host, port));
    }
    let (host, port) = s.rsplit_once(':')?;
    if host.contains(':') || host.contains('[') || host.contains(']') || port.contains('[') || port.contains(']') {
        return None;
    }
    Some((host, port))
}

/// Prometheus' `PopulateLabels`: returns (final labels, discovered labels).
/// Final labels are empty when relabeling dropped the target; both are empty
/// on error. `no_default_port` is the `no-default-scrape-port` feature flag.
pub fn populate_labels(lset: &Labels, cfg: &ScrapeConfig, no_default_port: bool) -> Result<(Labels, Labels), String> {
    let interval_str = format_duration(cfg.scrape_interval);
    let timeout_str = format_duration(cfg.scrape_timeout);
    let mut lb = lset.builder();
    for (name, value) in [
        (JOB_LABEL, cfg.job_name.as_str()),
        (SCRAPE_INTERVAL_LABEL, interval_str.as_str()),
        (SCRAPE_TIMEOUT_LABEL, timeout_str.as_str()),
        (METRICS_PATH_LABEL, cfg.metrics_path.as_str()),
        (SCHEME_LABEL, cfg.scheme.as_str()),
    ] {
        if lset.get(name).unwrap_or("").is_empty() {
            lb.set(name, value);
        }
    }
    for (k, v) in &cfg.params {
        if let Some(first) = v.first() {
            lb.set(format!("{PARAM_LABEL_PREFIX}{k}"), first.clone());
        }
    }
    let pre = lb.build();
    let Some(lset) = relabel::process(&pre, &cfg.relabel_configs) else {
        return Ok((Labels::empty(), pre));
    };
    let Some(mut addr) = lset.get(ADDRESS_LABEL).map(str::to_string) else {
        return Err("no address".to_string());
    };
    let mut lb: LabelsBuilder = lset.builder();
    let scheme = lset.get(SCHEME_LABEL).unwrap_or("");
    let (host, port, add) = match split_host_port(&addr) {
        Some((h, p)) => (h.to_string(), p.to_string(), false),
        None => (String::new(), String::new(), split_host_port(&format!("{addr}:1234")).is_some()),
    };
    if !no_default_port && add {
        match scheme {
            "http" | "" => addr.push_str(":80"),
            "https" => addr.push_str(":443"),
            _ => return Err(format!("invalid scheme: {:?}", cfg.scheme)),
        }
        lb.set(ADDRESS_LABEL, addr.clone());
    }
    if no_default_port && ((port == "80" && scheme == "http") || (port == "443" && scheme == "https")) {
        lb.set(ADDRESS_LABEL, host);
    }
    crate::config::check_target_address(&addr)?;

    let interval = lset.get(SCRAPE_INTERVAL_LABEL).unwrap_or("");
    let mut interval_d = Duration::ZERO;
    if interval != interval_str {
        interval_d = parse_duration(interval).map_err(|e| format!("error parsing scrape interval: {e}"))?;
        if interval_d.is_zero() {
            return Err("scrape interval cannot be 0".to_string());
        }
    }
    let timeout = lset.get(SCRAPE_TIMEOUT_LABEL).unwrap_or("");
    let mut timeout_d = Duration::ZERO;
    if timeout != timeout_str {
        timeout_d = parse_duration(timeout).map_err(|e| format!("error parsing scrape timeout: {e}"))?;
        if timeout_d.is_zero() {
            return Err("scrape timeout cannot be 0".to_string());
        }
    }
    // As in Prometheus, only relabeled values are compared (an unchanged one counts as 0).
    if timeout_d > interval_d {
        return Err(format!("scrape timeout cannot be greater than scrape interval ({timeout:?} > {interval:?})"));
    }
    lb.retain(|l| !l.name.starts_with(META_LABEL_PREFIX));
    if lset.get(INSTANCE_LABEL).unwrap_or("").is_empty() {
        lb.set(INSTANCE_LABEL, addr);
    }
    Ok((lb.build(), pre))
}

/// Prometheus' `TargetsFromGroup`: one [`Target`] per target of the group
/// (dropped ones included), and the errors of those that failed.
pub fn targets_from_group(
    tg: &TargetGroup,
    cfg: &ScrapeConfig,
    no_default_port: bool,
) -> (Vec<Target>, Vec<TargetError>) {
    let mut targets = Vec::new();
    let mut errors = Vec::new();
    for (index, tlset) in tg.targets.iter().enumerate() {
        let mut lb = tlset.builder();
        for l in tg.labels.iter() {
            if tlset.get(&l.name).is_none() {
                lb.set(l.name.clone(), l.value.clone());
            }
        }
        match populate_labels(&lb.build(), cfg, no_default_port) {
            Ok((labels, discovered)) => {
                if !labels.is_empty() || !discovered.is_empty() {
                    targets.push(Target::new(labels, discovered, cfg.params.clone()));
                }
            }
            Err(message) => errors.push(TargetError { group: tg.source.clone(), index, message }),
        }
    }
    (targets, errors)
}

/// The targets of one scrape pool after a discovery update.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetSet {
    /// Targets to scrape, deduplicated by labels and URL, in discovery order.
    pub active: Vec<Target>,
    /// Targets relabeling dropped (for `/api/v1/targets`).
    pub dropped: Vec<Target>,
    /// Targets that could not be built.
    pub errors: Vec<TargetError>,
    /// Set when `target_limit` is exceeded: every scrape of the pool then
    /// fails with this error (`up` = 0), as in Prometheus.
    pub limit_error: Option<LimitError>,
}

/// Builds the scrape pool's targets from all its groups.
pub fn targets_from_groups<'a>(
    groups: impl IntoIterator<Item = &'a TargetGroup>,
    cfg: &ScrapeConfig,
    no_default_port: bool,
) -> TargetSet {
    let mut set = TargetSet::default();
    let mut seen = HashSet::new();
    for g in groups {
        let (targets, errors) = targets_from_group(g, cfg, no_default_port);
        set.errors.extend(errors);
        for t in targets {
            if t.is_dropped() {
                set.dropped.push(t);
            } else if seen.insert((t.labels.clone(), t.url())) {
                set.active.push(t);
            }
        }
    }
    set.limit_error = check_target_limit(set.active.len(), cfg.target_limit).err();
    set
}

#[cfg(test)]
mod prometheus_diff;
#[cfg(test)]
mod prometheus_scrape_diff;
#[cfg(test)]
mod tests;
