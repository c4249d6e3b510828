//! prometheus.yml as `argus serve` uses it: the whole file is read and
//! validated by `argus_scrape::config` (Prometheus 2.42's rules and messages,
//! file:line for errors, optional `${VAR}` expansion), and the binary picks
//! out what it wires: the jobs it samples in process (itself, the built-in host
//! metrics at `/node/metrics`, the push gateway at `/pushgateway/metrics`).

use std::path::Path;

use anyhow::Context;
use argus_scrape::config::LoadOptions;

/// The configuration used when `--config.file` is not given.
pub(crate) const DEFAULT_CONFIG: &str = include_str!("default.yml");

#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Jobs scraping `/metrics` of a local address, by job name and target
    /// port: the binary scrapes itself for the one whose port is its own.
    pub self_jobs: Vec<(String, Option<u16>)>,
    /// The file as read, for `/api/v1/status/config`.
    pub text: String,
    /// The resolved configuration.
    pub full: argus_scrape::Config,
}

/// The path of the built-in push gateway's groups: a scrape job with this
/// `metrics_path` samples them in-process (with its `honor_labels`).
pub(crate) const PUSH_METRICS_PATH: &str = "/pushgateway/metrics";

/// The path of the built-in host metrics: a scrape job with this
/// `metrics_path` is sampled in-process instead of over HTTP.
pub(crate) const NODE_METRICS_PATH: &str = "/node/metrics";

pub(crate) fn load(path: Option<&Path>, expand_env: bool) -> anyhow::Result<Config> {
    let (text, name) = match path {
        Some(p) => (
            std::fs::read_to_string(p).with_context(|| format!("cannot read config file {}", p.display()))?,
            p.to_path_buf(),
        ),
        None => (DEFAULT_CONFIG.to_string(), "<embedded default>".into()),
    };
    parse(&text, &name, expand_env)
}

fn parse(text: &str, name: &Path, expand_env: bool) -> anyhow::Result<Config> {
    let full = argus_scrape::config::parse(text, name, &LoadOptions { expand_env })
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("cannot load config file {}", name.display()))?;
    let self_jobs: Vec<(String, Option<u16>)> = full
        .scrape_configs
        .iter()
        .filter(|j| j.metrics_path == "/metrics")
        .flat_map(|j| {
            j.discovery.static_configs.iter().flat_map(|g| g.targets.iter()).filter_map(|t| {
                let (host, port) = t.get("__address__")?.rsplit_once(':')?;
                let local = matches!(host, "localhost" | "127.0.0.1" | "0.0.0.0" | "[::1]" | "");
                local.then(|| (j.job_name.clone(), port.parse().ok()))
            })
        })
        .collect();
    Ok(Config { self_jobs, text: text.to_string(), full })
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
    use std::time::Duration;

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
        let c = parse(DEFAULT_CONFIG, "default".as_ref(), false).unwrap();
        assert_eq!(c.full.global.scrape_interval, Duration::from_secs(15));
        let jobs: Vec<(&str, &str, bool)> = c
            .full
            .scrape_configs
            .iter()
            .map(|j| (j.job_name.as_str(), j.metrics_path.as_str(), j.honor_labels))
            .collect();
        assert_eq!(
            jobs,
            [
                ("argus", "/metrics", false),
                ("node", NODE_METRICS_PATH, false),
                ("pushgateway", PUSH_METRICS_PATH, true)
            ]
        );
        assert_eq!(c.self_jobs, vec![("argus".to_string(), Some(9090))]);
    }

    #[test]
    fn unknown_fields_are_errors() {
        let e = format!("{:#}", parse("global:\n  scrape_intervl: 1m\n", "p.yml".as_ref(), false).unwrap_err());
        assert!(e.contains("p.yml") && e.contains("scrape_intervl"), "{e}");
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = format!("{:#}", parse("global:\n  scrape_interval: [\n", "p.yml".as_ref(), false).unwrap_err());
        assert!(e.contains("p.yml") && e.contains("line"), "{e}");
    }
}
