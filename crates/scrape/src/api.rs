//! Snapshots of the scrape manager for the HTTP API, serialising to exactly
//! Prometheus 2.42's JSON: `/api/v1/targets` ([`TargetDiscovery`]),
//! `/api/v1/scrape_pools` and `/api/v1/targets/metadata` ([`TargetMetadata`]).
//! Argument parsing (the `match_target` selector, `limit`) and the "not
//! found" errors stay with the web crate.

use std::collections::BTreeMap;
use std::time::SystemTime;

use argus_model::{Labels, Matcher};
use serde::Serialize;

use crate::manager::{GlobalUrlOptions, ScrapeManager};
use crate::scrape_loop::Health;
use crate::target::{SCRAPE_INTERVAL_LABEL, SCRAPE_TIMEOUT_LABEL};

/// Which targets `/api/v1/targets` lists (`state=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TargetState {
    /// `active`.
    Active,
    /// `dropped`.
    Dropped,
    /// `any` or no parameter.
    #[default]
    Any,
}

impl std::str::FromStr for TargetState {
    type Err = String;

    /// `active`, `dropped`, `any` or empty, case-insensitive as in Prometheus.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "" | "any" => Ok(TargetState::Any),
            "active" => Ok(TargetState::Active),
            "dropped" => Ok(TargetState::Dropped),
            other => Err(format!("invalid target state {other:?}")),
        }
    }
}

/// `data` of `/api/v1/targets`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetDiscovery {
    /// Active targets, pools in name order, each pool's targets in discovery order.
    pub active_targets: Vec<ActiveTarget>,
    /// Targets relabeling dropped.
    pub dropped_targets: Vec<DroppedTarget>,
}

/// One active target.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveTarget {
    /// Labels before relabeling.
    pub discovered_labels: BTreeMap<String, String>,
    /// The labels its series get.
    pub labels: BTreeMap<String, String>,
    /// The job.
    pub scrape_pool: String,
    /// The URL scraped.
    pub scrape_url: String,
    /// The URL as seen from outside (localhost replaced by the external host).
    pub global_url: String,
    /// Why the last scrape failed; empty if it did not.
    pub last_error: String,
    /// When the last scrape started, RFC 3339 with nanoseconds (Go's zero
    /// time `0001-01-01T00:00:00Z` before the first scrape).
    pub last_scrape: String,
    /// Seconds the last scrape took.
    pub last_scrape_duration: f64,
    /// `up`, `down` or `unknown`.
    pub health: Health,
    /// The target's scrape interval (`__scrape_interval__`).
    pub scrape_interval: String,
    /// The target's scrape timeout (`__scrape_timeout__`).
    pub scrape_timeout: String,
}

/// One dropped target.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DroppedTarget {
    /// Labels before relabeling.
    pub discovered_labels: BTreeMap<String, String>,
}

/// One entry of `/api/v1/targets/metadata`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetMetadata {
    /// The target's labels.
    pub target: BTreeMap<String, String>,
    /// The metric family; left out when the request named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// `counter`, `gauge`, ..., `unknown`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Help text.
    pub help: String,
    /// Unit.
    pub unit: String,
}

fn label_map(l: &Labels) -> BTreeMap<String, String> {
    l.iter().map(|l| (l.name.to_string(), l.value.to_string())).collect()
}

impl ScrapeManager {
    /// The targets API's `data` for `state`. Non-blocking (reads snapshots).
    pub fn targets(&self, state: TargetState) -> TargetDiscovery {
        let mut out = TargetDiscovery::default();
        for (pool, view) in self.views() {
            if state != TargetState::Dropped {
                for e in view.active() {
                    let st = e.shared.status();
                    let url = e.target.url();
                    let all = e.target.all_labels();
                    out.active_targets.push(ActiveTarget {
                        discovered_labels: label_map(e.target.discovered_labels()),
                        labels: label_map(&e.target.labels()),
                        scrape_pool: pool.clone(),
                        global_url: global_url(&url, self.global_url_opts()),
                        scrape_url: url,
                        last_error: st.last_error,
                        last_scrape: rfc3339_nano(st.last_scrape),
                        last_scrape_duration: st.last_scrape_duration,
                        health: st.health,
                        scrape_interval: all.get(SCRAPE_INTERVAL_LABEL).unwrap_or("").to_string(),
                        scrape_timeout: all.get(SCRAPE_TIMEOUT_LABEL).unwrap_or("").to_string(),
                    });
                }
            }
            if state != TargetState::Active {
                for t in view.dropped() {
                    out.dropped_targets.push(DroppedTarget { discovered_labels: label_map(t.discovered_labels()) });
                }
            }
        }
        out
    }

    /// The job names of the running pools, sorted (`/api/v1/scrape_pools`).
    pub fn scrape_pools(&self) -> Vec<String> {
        self.views().into_iter().map(|(name, _)| name).collect()
    }

    /// `/api/v1/targets/metadata`: the metadata of active targets whose
    /// labels match all of `match_target`, for `metric` only if given, at
    /// most `limit` entries (Prometheus stops adding targets once the limit
    /// is reached, so a target's entries may overshoot it; `None` = all).
    pub fn targets_metadata(
        &self,
        match_target: &[Matcher],
        metric: Option<&str>,
        limit: Option<usize>,
    ) -> Vec<TargetMetadata> {
        let mut out = Vec::new();
        for (_, view) in self.views() {
            for e in view.active() {
                if limit.is_some_and(|l| out.len() >= l) {
                    return out;
                }
                let labels = e.target.labels();
                if !match_target.iter().all(|m| m.matches(labels.get(&m.name).unwrap_or(""))) {
                    continue;
                }
                let md = e.shared.metadata();
                let entry = |name: Option<String>, m: &crate::append::MetricMetadata| TargetMetadata {
                    target: label_map(&labels),
                    metric: name,
                    kind: m.kind.as_str().to_string(),
                    help: m.help.clone(),
                    unit: m.unit.clone(),
                };
                match metric {
                    Some(name) => {
                        if let Some(m) = md.get(name) {
                            out.push(entry(None, m));
                        }
                    }
                    None => out.extend(md.iter().map(|(n, m)| entry(Some(n.clone()), m))),
                }
            }
        }
        out
    }
}

/// Prometheus' `getGlobalURL`: a target on localhost, 127.0.0.1 or ::1 is
/// shown with the external URL's host; on our own port with its scheme and
/// port too.
fn global_url(url: &str, opts: Option<&GlobalUrlOptions>) -> String {
    let Some(opts) = opts else { return url.to_string() };
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (hostport, path) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let default_port = if scheme == "https" { "443" } else { "80" };
    let (host, port) = split_host_port(hostport).unwrap_or((hostport, default_port));
    if !matches!(host, "localhost" | "127.0.0.1" | "::1") {
        return url.to_string();
    }
    let Some((_, own_port)) = split_host_port(&opts.listen_address) else { return url.to_string() };
    if port == own_port {
        return format!("{}://{}{path}", opts.scheme, opts.host);
    }
    let ext_host = split_host_port(&opts.host).map(|(h, _)| h).unwrap_or(&opts.host);
    let ext_host = if ext_host.contains(':') { format!("[{ext_host}]") } else { ext_host.to_string() };
    format!("{scheme}://{ext_host}:{port}{path}")
}

fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (h, p) = rest.split_once("]:")?;
        return Some((h, p));
    }
    let (h, p) = s.rsplit_once(':')?;
    (!h.contains(':')).then_some((h, p))
}

/// Go's `time.Time` JSON form (RFC 3339, nanoseconds with trailing zeros
/// trimmed), in UTC; `None` is Go's zero time.
pub fn rfc3339_nano(t: Option<SystemTime>) -> String {
    match t.and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok()) {
        Some(d) => argus_model::time::rfc3339_nano(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)),
        None => "0001-01-01T00:00:00Z".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_as_go_prints_them() {
        let check = |secs: u64, nanos: u32, want: &str| {
            let t = SystemTime::UNIX_EPOCH + Duration::new(secs, nanos);
            assert_eq!(rfc3339_nano(Some(t)), want);
        };
        check(0, 0, "1970-01-01T00:00:00Z");
        check(1_700_000_000, 123_000_000, "2023-11-14T22:13:20.123Z");
        check(951_782_400, 1, "2000-02-29T00:00:00.000000001Z");
        assert_eq!(rfc3339_nano(None), "0001-01-01T00:00:00Z");
    }

    #[test]
    fn global_urls() {
        let o = GlobalUrlOptions {
            listen_address: "0.0.0.0:9090".into(),
            host: "prom.example:9090".into(),
            scheme: "https".into(),
        };
        let check = |u: &str, want: &str| assert_eq!(global_url(u, Some(&o)), want);
        check("http://localhost:9090/metrics", "https://prom.example:9090/metrics");
        check("http://127.0.0.1:9100/metrics?x=1", "http://prom.example:9100/metrics?x=1");
        check("http://node:9100/metrics", "http://node:9100/metrics");
        assert_eq!(global_url("http://localhost:1/m", None), "http://localhost:1/m");
    }

    #[test]
    fn states() {
        assert_eq!("".parse::<TargetState>(), Ok(TargetState::Any));
        assert_eq!("Active".parse::<TargetState>(), Ok(TargetState::Active));
        assert!("x".parse::<TargetState>().is_err());
    }
}
