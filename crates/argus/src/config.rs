//! The configuration as far as this build uses it.
//!
//! Until the scrape subsystem lands (issue 4), argus reads prometheus.yml for
//! `global.scrape_interval` and two kinds of jobs it can serve in-process: a
//! job scraping `/metrics` of a local address (argus itself, when the port
//! is its own, or the only such job) and the built-in host collector
//! (`metrics_path: /node/metrics`). Other jobs are reported at start-up as
//! not yet served. The file must
//! still be valid YAML: a syntax error names the line and column.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};

/// The configuration used when `--config.file` is not given.
pub(crate) const DEFAULT_CONFIG: &str = include_str!("default.yml");

#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub scrape_interval: Duration,
    /// The job name of the built-in host metrics job, if the config has one.
    pub node_job: Option<String>,
    /// The job sampling the push gateway's groups and its honor_labels, if any.
    pub push_job: Option<(String, bool)>,
    /// Jobs scraping `/metrics` of a local address, by job name and target
    /// port: the binary scrapes itself for the one whose port is its own.
    pub self_jobs: Vec<(String, Option<u16>)>,
    /// The file as read, for `/api/v1/status/config`.
    pub text: String,
}

#[derive(serde::Deserialize, Default)]
struct Raw {
    #[serde(default)]
    global: RawGlobal,
    #[serde(default)]
    scrape_configs: Vec<RawScrape>,
}

#[derive(serde::Deserialize, Default)]
struct RawGlobal {
    scrape_interval: Option<String>,
}

#[derive(serde::Deserialize)]
struct RawScrape {
    job_name: String,
    #[serde(default)]
    metrics_path: Option<String>,
    #[serde(default)]
    static_configs: Vec<RawStatic>,
    #[serde(default)]
    honor_labels: bool,
}

#[derive(serde::Deserialize)]
struct RawStatic {
    #[serde(default)]
    targets: Vec<String>,
}

/// The path of the built-in push gateway's groups: a scrape job with this
/// `metrics_path` samples them in-process (with its `honor_labels`).
pub(crate) const PUSH_METRICS_PATH: &str = "/pushgateway/metrics";

/// The path of the built-in host metrics: a scrape job with this
/// `metrics_path` is sampled in-process instead of over HTTP.
pub(crate) const NODE_METRICS_PATH: &str = "/node/metrics";

pub(crate) fn load(path: Option<&Path>) -> anyhow::Result<Config> {
    let (text, name) = match path {
        Some(p) => (
            std::fs::read_to_string(p).with_context(|| format!("cannot read config file {}", p.display()))?,
            p.display().to_string(),
        ),
        None => (DEFAULT_CONFIG.to_string(), "<embedded default>".to_string()),
    };
    parse(&text, &name)
}

fn parse(text: &str, name: &str) -> anyhow::Result<Config> {
    let raw: Raw = if text.trim().is_empty() {
        Raw::default()
    } else {
        serde_yaml_ng::from_str(text).with_context(|| format!("cannot parse config file {name}"))?
    };
    let scrape_interval = match raw.global.scrape_interval.as_deref() {
        Some(s) => Duration::from_millis(
            parse_duration(s).with_context(|| format!("{name}: invalid global.scrape_interval"))? as u64,
        ),
        None => Duration::from_secs(60),
    };
    if scrape_interval.is_zero() {
        bail!("{name}: global.scrape_interval must be greater than 0");
    }
    let self_jobs: Vec<(String, Option<u16>)> = raw
        .scrape_configs
        .iter()
        .filter(|j| j.metrics_path.as_deref().unwrap_or("/metrics") == "/metrics")
        .flat_map(|j| {
            j.static_configs.iter().flat_map(|sc| sc.targets.iter()).filter_map(|t| {
                let (host, port) = t.rsplit_once(':')?;
                let local = matches!(host, "localhost" | "127.0.0.1" | "0.0.0.0" | "[::1]" | "");
                local.then(|| (j.job_name.clone(), port.parse().ok()))
            })
        })
        .collect();
    let push_job = raw
        .scrape_configs
        .iter()
        .find(|j| j.metrics_path.as_deref() == Some(PUSH_METRICS_PATH))
        .map(|j| (j.job_name.clone(), j.honor_labels));
    let node_job = raw
        .scrape_configs
        .iter()
        .find(|j| j.metrics_path.as_deref() == Some(NODE_METRICS_PATH))
        .map(|j| j.job_name.clone());
    for job in raw.scrape_configs.iter().filter(|j| {
        !self_jobs.iter().any(|(n, _)| *n == j.job_name)
            && Some(&j.job_name) != node_job.as_ref()
            && Some(&j.job_name) != push_job.as_ref().map(|p| &p.0)
    }) {
        tracing::warn!(job = %job.job_name, file = name, "scrape job not served yet: this build scrapes only itself (issue 4)");
    }
    Ok(Config { scrape_interval, node_job, push_job, self_jobs, text: text.to_string() })
}

/// Parses a Prometheus duration (`1y2w3d4h5m6s7ms`) into milliseconds.
pub(crate) fn parse_duration(s: &str) -> anyhow::Result<i64> {
    argus_model::parse_duration(s).with_context(|| format!("not a valid duration string: {s:?}"))
}

/// Parses a byte size like Prometheus' `--storage.tsdb.retention.size`
/// (Go's `units.ParseBase2Bytes`: `512MB`, `10GiB`, powers of 1024).
pub(crate) fn parse_bytes(s: &str) -> anyhow::Result<u64> {
    argus_scrape::config::parse_base2_bytes(s).map_err(|e| anyhow::anyhow!("not a valid size {s:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15s").unwrap(), 15_000);
        assert_eq!(parse_duration("1h30m").unwrap(), 5_400_000);
        assert_eq!(parse_duration("100y").unwrap(), 3_153_600_000_000);
        assert_eq!(parse_duration("250ms").unwrap(), 250);
        assert!(parse_duration("1.5h").is_err());
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("512MB").unwrap(), 512 << 20);
        assert_eq!(parse_bytes("0").unwrap(), 0);
        assert!(parse_bytes("12XB").is_err());
    }

    #[test]
    fn embedded_default_parses() {
        let c = parse(DEFAULT_CONFIG, "default").unwrap();
        assert_eq!(c.scrape_interval, Duration::from_secs(15));
        assert_eq!(c.node_job.as_deref(), Some("node"));
        assert_eq!(c.push_job, Some(("pushgateway".to_string(), true)));
        assert_eq!(c.self_jobs, vec![("argus".to_string(), Some(9090))]);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = format!("{:#}", parse("global:\n  scrape_interval: [\n", "p.yml").unwrap_err());
        assert!(e.contains("p.yml") && e.contains("line"), "{e}");
    }
}
