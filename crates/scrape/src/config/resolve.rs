//! Raw → resolved: applies Prometheus 2.42's defaults and runs its validation
//! in the same order and with the same messages as `config.Load`.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use argus_model::Labels;
use regex::Regex;

use super::error::{ConfigError, Location, Result};
use super::http_client::{go_url_parse, resolve_http_client, split_url};
use super::raw::{self, PromDuration};
use super::types::*;
use crate::discovery::{ADDRESS_LABEL, TargetGroup, static_groups};
use crate::relabel::RelabelConfig;

/// Context for locating errors in the text.
pub(super) struct Ctx<'a> {
    text: &'a str,
    path: &'a Path,
    dir: PathBuf,
}

impl Ctx<'_> {
    fn at(&self, line: Option<usize>) -> Location {
        Location { path: self.path.to_path_buf(), line, column: None }
    }

    fn invalid(&self, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid { location: self.at(None), job: None, message: message.into() }
    }

    fn invalid_at(&self, needle_key: &str, needle_value: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            location: self.at(find_line(self.text, needle_key, needle_value)),
            job: None,
            message: message.into(),
        }
    }

    fn job_error(&self, job: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            location: self.at(find_line(self.text, "job_name", job)),
            job: Some(job.to_string()),
            message: message.into(),
        }
    }

    pub(super) fn join(&self, p: &str) -> PathBuf {
        let pb = PathBuf::from(p);
        if p.is_empty() || pb.is_absolute() { pb } else { self.dir.join(pb) }
    }

    pub(super) fn join_opt(&self, p: &Option<String>) -> Option<PathBuf> {
        p.as_deref().filter(|s| !s.is_empty()).map(|s| self.join(s))
    }
}

/// The 1-based line of the first `key: value` (value possibly quoted), if any.
fn find_line(text: &str, key: &str, value: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start().trim_start_matches("- ").trim_start();
            l.strip_prefix(key)
                .and_then(|r| r.trim_start().strip_prefix(':'))
                .map(|v| v.split(" #").next().unwrap_or("").trim().trim_matches(|c| c == '\'' || c == '"') == value)
                .unwrap_or(false)
        })
        .map(|i| i + 1)
}

fn dur(d: Option<PromDuration>) -> Duration {
    d.map(|d| d.0).unwrap_or_default()
}

fn dur_or(d: Option<PromDuration>, default: Duration) -> Duration {
    match d {
        Some(PromDuration(v)) if !v.is_zero() => v,
        _ => default,
    }
}

static RULE_PATH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[^*]*(\*[^/]*)?$").expect("static regex is valid"));
static FILE_SD_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$").expect("static regex is valid"));

pub(crate) fn resolve(raw: raw::Config, text: &str, path: &Path) -> Result<Config> {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let ctx = Ctx { text, path, dir };
    let global = resolve_global(raw.global.unwrap_or_default(), &ctx)?;
    let alerting = resolve_alerting(raw.alerting.unwrap_or_default(), &ctx)?;

    let mut scrape_configs = Vec::new();
    for sc in raw.scrape_configs.unwrap_or_default() {
        let sc = sc.ok_or_else(|| ctx.invalid("empty or null scrape config section"))?;
        scrape_configs.push(resolve_scrape(sc, &ctx)?);
    }
    let mut remote_write = Vec::new();
    for rw in raw.remote_write.unwrap_or_default() {
        let rw = rw.ok_or_else(|| ctx.invalid("empty or null remote write config section"))?;
        remote_write.push(resolve_remote_write(rw, &ctx)?);
    }
    let mut remote_read = Vec::new();
    for rr in raw.remote_read.unwrap_or_default() {
        let rr = rr.ok_or_else(|| ctx.invalid("empty or null remote read config section"))?;
        remote_read.push(resolve_remote_read(rr, &ctx)?);
    }

    let rule_files: Vec<String> = raw.rule_files.unwrap_or_default().into_iter().map(|s| s.0).collect();
    for rf in &rule_files {
        if !RULE_PATH.is_match(rf) {
            return Err(ctx.invalid(format!("invalid rule file path {rf:?}")));
        }
    }

    // Config-level pass, as in Prometheus' Config.UnmarshalYAML.
    let mut jobs = HashSet::new();
    for sc in &mut scrape_configs {
        if sc.scrape_interval.is_zero() {
            sc.scrape_interval = global.scrape_interval;
        }
        if sc.scrape_timeout > sc.scrape_interval {
            return Err(ctx.job_error(
                &sc.job_name,
                format!(
                    "scrape timeout greater than scrape interval for scrape config with job name {:?}",
                    sc.job_name
                ),
            ));
        }
        if sc.scrape_timeout.is_zero() {
            sc.scrape_timeout = global.scrape_timeout.min(sc.scrape_interval);
        }
        if !jobs.insert(sc.job_name.clone()) {
            return Err(
                ctx.job_error(&sc.job_name, format!("found multiple scrape configs with job name {:?}", sc.job_name))
            );
        }
    }
    unique_names(remote_write.iter().map(|r| r.name.as_deref()), "remote write", &ctx)?;
    unique_names(remote_read.iter().map(|r| r.name.as_deref()), "remote read", &ctx)?;

    let storage = raw.storage.unwrap_or_default();
    Ok(Config {
        path: path.to_path_buf(),
        global,
        rule_files: rule_files.iter().map(|r| ctx.join(r)).collect(),
        alerting,
        scrape_configs,
        remote_write,
        remote_read,
        storage: StorageConfig {
            out_of_order_time_window: dur(storage.tsdb.and_then(|t| t.out_of_order_time_window)),
            max_exemplars: storage.exemplars.and_then(|e| e.max_exemplars),
        },
    })
}

fn unique_names<'a>(names: impl Iterator<Item = Option<&'a str>>, what: &str, ctx: &Ctx) -> Result<()> {
    let mut seen = HashSet::new();
    for name in names.flatten().filter(|n| !n.is_empty()) {
        if !seen.insert(name) {
            return Err(ctx.invalid_at("name", name, format!("found multiple {what} configs with job name {name:?}")));
        }
    }
    Ok(())
}

fn resolve_global(g: raw::Global, ctx: &Ctx) -> Result<GlobalConfig> {
    let d = GlobalConfig::default();
    let scrape_interval = dur_or(g.scrape_interval, d.scrape_interval);
    let timeout = dur(g.scrape_timeout);
    if timeout > scrape_interval {
        return Err(ctx.invalid_at("scrape_timeout", "", "global scrape timeout greater than scrape interval"));
    }
    let scrape_timeout = if timeout.is_zero() { d.scrape_timeout.min(scrape_interval) } else { timeout };
    Ok(GlobalConfig {
        scrape_interval,
        scrape_timeout,
        evaluation_interval: dur_or(g.evaluation_interval, d.evaluation_interval),
        query_log_file: ctx.join_opt(&g.query_log_file),
        external_labels: g.external_labels.map(|l| Labels::from_pairs(l.0)).unwrap_or_default(),
    })
}

fn relabels(
    list: Option<Vec<Option<raw::RelabelConfig>>>,
    null_msg: &str,
) -> std::result::Result<Vec<RelabelConfig>, String> {
    list.unwrap_or_default()
        .iter()
        .map(|r| r.as_ref().ok_or_else(|| null_msg.to_string()).and_then(RelabelConfig::from_raw))
        .collect()
}

/// Prometheus' `CheckTargetAddress`.
pub(crate) fn check_target_address(addr: &str) -> std::result::Result<(), String> {
    if addr.contains('/') {
        return Err(format!("{addr:?} is not a valid hostname"));
    }
    Ok(())
}

fn check_static_targets(groups: &[TargetGroup]) -> std::result::Result<(), String> {
    for g in groups {
        for t in &g.targets {
            check_target_address(t.get(ADDRESS_LABEL).unwrap_or(""))?;
        }
    }
    Ok(())
}

struct Sd {
    static_configs: Option<Vec<Option<raw::TargetGroup>>>,
    file_sd_configs: Option<Vec<Option<raw::FileSd>>>,
    http_sd_configs: Option<Vec<Option<raw::HttpSd>>>,
    dns_sd_configs: Option<Vec<Option<raw::DnsSd>>>,
}

/// Prometheus rejects a `null` entry in any service discovery list.
fn non_null<T>(list: Option<Vec<Option<T>>>, key: &str) -> std::result::Result<Vec<T>, String> {
    list.unwrap_or_default().into_iter().map(|x| x.ok_or_else(|| format!("empty or null section in {key}"))).collect()
}

fn resolve_discovery(sd: Sd, ctx: &Ctx) -> std::result::Result<DiscoveryConfigs, String> {
    let statics = non_null(sd.static_configs, "static_configs")?;
    let mut out = DiscoveryConfigs { static_configs: static_groups(&statics), ..Default::default() };
    for f in non_null(sd.file_sd_configs, "file_sd_configs")? {
        let files = f.files.unwrap_or_default();
        if files.is_empty() {
            return Err("file service discovery config must contain at least one path name".to_string());
        }
        for name in &files {
            if !FILE_SD_NAME.is_match(name) {
                return Err(format!("path name {name:?} is not valid for file discovery"));
            }
        }
        out.file_sd_configs.push(FileSdConfig {
            files: files.iter().map(|f| ctx.join(f)).collect(),
            refresh_interval: dur_or(f.refresh_interval, Duration::from_secs(300)),
        });
    }
    for h in non_null(sd.http_sd_configs, "http_sd_configs")? {
        let http_client = resolve_http_client(h.http_client(), ctx)?;
        let url = h.url.clone().unwrap_or_default();
        if url.is_empty() {
            return Err("URL is missing".to_string());
        }
        go_url_parse(&url)?;
        let (scheme, host) = split_url(&url);
        if scheme != "http" && scheme != "https" {
            return Err("URL scheme must be 'http' or 'https'".to_string());
        }
        if host.is_empty() {
            return Err("host is missing in URL".to_string());
        }
        out.http_sd_configs.push(HttpSdConfig {
            url,
            refresh_interval: dur_or(h.refresh_interval, Duration::from_secs(60)),
            http_client,
        });
    }
    for d in non_null(sd.dns_sd_configs, "dns_sd_configs")? {
        let names = d.names.unwrap_or_default();
        if names.is_empty() {
            return Err("DNS-SD config must contain at least one SRV record name".to_string());
        }
        let kind = d.kind.unwrap_or_default();
        let port = d.port.unwrap_or(0);
        let record_type = match kind.to_uppercase().as_str() {
            "SRV" | "" => DnsRecordType::Srv,
            t @ ("A" | "AAAA" | "MX") => {
                if port == 0 {
                    return Err("a port is required in DNS-SD configs for all record types except SRV".to_string());
                }
                match t {
                    "A" => DnsRecordType::A,
                    "AAAA" => DnsRecordType::Aaaa,
                    _ => DnsRecordType::Mx,
                }
            }
            _ => return Err(format!("invalid DNS-SD records type {kind}")),
        };
        out.dns_sd_configs.push(DnsSdConfig {
            names,
            refresh_interval: dur_or(d.refresh_interval, Duration::from_secs(30)),
            record_type,
            port,
        });
    }
    Ok(out)
}

fn resolve_scrape(sc: raw::ScrapeConfig, ctx: &Ctx) -> Result<ScrapeConfig> {
    let job = sc.job_name.as_ref().map(|j| j.0.clone()).unwrap_or_default();
    if job.is_empty() {
        return Err(ctx.invalid("job_name is empty"));
    }
    let err = |m: String| ctx.job_error(&job, m);
    let http_client = resolve_http_client(sc.http_client(), ctx).map_err(err)?;
    let relabel_configs =
        relabels(sc.relabel_configs, "empty or null target relabeling rule in scrape config").map_err(err)?;
    let metric_relabel_configs =
        relabels(sc.metric_relabel_configs, "empty or null metric relabeling rule in scrape config").map_err(err)?;
    let discovery = resolve_discovery(
        Sd {
            static_configs: sc.static_configs,
            file_sd_configs: sc.file_sd_configs,
            http_sd_configs: sc.http_sd_configs,
            dns_sd_configs: sc.dns_sd_configs,
        },
        ctx,
    )
    .map_err(err)?;
    // Users putting URLs in target groups, unless relabeling may fix them.
    if relabel_configs.is_empty() {
        check_static_targets(&discovery.static_configs).map_err(err)?;
    }
    let params = sc
        .params
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default().into_iter().map(|s| s.0).collect()))
        .collect();
    Ok(ScrapeConfig {
        job_name: job.clone(),
        honor_labels: sc.honor_labels.map(|b| b.0).unwrap_or(false),
        honor_timestamps: sc.honor_timestamps.map(|b| b.0).unwrap_or(true),
        params,
        scrape_interval: dur(sc.scrape_interval),
        scrape_timeout: dur(sc.scrape_timeout),
        metrics_path: sc.metrics_path.filter(|s| !s.is_empty()).unwrap_or_else(|| "/metrics".to_string()),
        scheme: sc.scheme.filter(|s| !s.is_empty()).unwrap_or_else(|| "http".to_string()),
        body_size_limit: sc.body_size_limit.map(|b| b.0).unwrap_or(0),
        sample_limit: sc.sample_limit.unwrap_or(0),
        target_limit: sc.target_limit.unwrap_or(0),
        label_limit: sc.label_limit.unwrap_or(0),
        label_name_length_limit: sc.label_name_length_limit.unwrap_or(0),
        label_value_length_limit: sc.label_value_length_limit.unwrap_or(0),
        http_client,
        relabel_configs,
        metric_relabel_configs,
        discovery,
    })
}

fn resolve_alerting(a: raw::Alerting, ctx: &Ctx) -> Result<AlertingConfig> {
    let alert_relabel_configs =
        relabels(a.alert_relabel_configs, "empty or null alert relabeling rule").map_err(|m| ctx.invalid(m))?;
    let mut alertmanagers = Vec::new();
    for am in a.alertmanagers.unwrap_or_default() {
        let am = am.ok_or_else(|| ctx.invalid("empty or null alertmanager config section"))?;
        let http_client = resolve_http_client(am.http_client(), ctx).map_err(|m| ctx.invalid(m))?;
        let api_version = match am.api_version.as_deref() {
            None | Some("") | Some("v2") => AlertmanagerApiVersion::V2,
            Some("v1") => AlertmanagerApiVersion::V1,
            Some(v) => {
                return Err(ctx.invalid(format!("expected Alertmanager api version to be one of [v1 v2] but got {v}")));
            }
        };
        let relabel_configs = relabels(am.relabel_configs, "empty or null Alertmanager target relabeling rule")
            .map_err(|m| ctx.invalid(m))?;
        let discovery = resolve_discovery(
            Sd {
                static_configs: am.static_configs,
                file_sd_configs: am.file_sd_configs,
                http_sd_configs: am.http_sd_configs,
                dns_sd_configs: am.dns_sd_configs,
            },
            ctx,
        )
        .map_err(|m| ctx.invalid(m))?;
        if relabel_configs.is_empty() {
            check_static_targets(&discovery.static_configs).map_err(|m| ctx.invalid(m))?;
        }
        alertmanagers.push(AlertmanagerConfig {
            http_client,
            scheme: am.scheme.filter(|s| !s.is_empty()).unwrap_or_else(|| "http".to_string()),
            path_prefix: am.path_prefix.filter(|s| !s.is_empty()).unwrap_or_else(|| "/".to_string()),
            timeout: dur_or(am.timeout, Duration::from_secs(10)),
            api_version,
            relabel_configs,
            discovery,
        });
    }
    Ok(AlertingConfig { alert_relabel_configs, alertmanagers })
}

const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-encoding",
    "content-length",
    "content-type",
    "user-agent",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "www-authenticate",
    "accept-encoding",
    "x-prometheus-remote-write-version",
    "x-prometheus-remote-read-version",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

fn validate_headers(h: &BTreeMap<String, String>) -> std::result::Result<(), String> {
    for name in h.keys() {
        let lower = name.to_lowercase();
        if lower == "authorization" {
            return Err(
                "authorization header must be changed via the basic_auth, authorization, oauth2, or sigv4 parameter"
                    .to_string(),
            );
        }
        if RESERVED_HEADERS.contains(&lower.as_str()) {
            return Err(format!("{name} is a reserved header. It must not be changed"));
        }
    }
    Ok(())
}

fn resolve_remote_write(rw: raw::RemoteWrite, ctx: &Ctx) -> Result<RemoteWriteConfig> {
    let inv = |m: String| ctx.invalid(m);
    let url = rw.url.clone().ok_or_else(|| ctx.invalid("url for remote_write is empty"))?;
    go_url_parse(&url).map_err(inv)?;
    let write_relabel_configs =
        relabels(rw.write_relabel_configs.clone(), "empty or null relabeling rule in remote write config")
            .map_err(inv)?;
    let headers = rw.headers.clone().unwrap_or_default();
    validate_headers(&headers).map_err(inv)?;
    let http_client = resolve_http_client(rw.http_client(), ctx).map_err(inv)?;
    let auth = http_client.basic_auth.is_some() || http_client.authorization.is_some() || http_client.oauth2.is_some();
    if auth && rw.sigv4.is_some() {
        return Err(ctx.invalid("at most one of basic_auth, authorization, oauth2, & sigv4 must be configured"));
    }
    let q = rw.queue_config.unwrap_or_default();
    let dq = QueueConfig::default();
    let m = rw.metadata_config.unwrap_or_default();
    let dm = MetadataConfig::default();
    Ok(RemoteWriteConfig {
        url,
        remote_timeout: dur_or(rw.remote_timeout, Duration::from_secs(30)),
        headers,
        write_relabel_configs,
        name: rw.name.filter(|s| !s.is_empty()),
        send_exemplars: rw.send_exemplars.map(|b| b.0).unwrap_or(false),
        send_native_histograms: rw.send_native_histograms.map(|b| b.0).unwrap_or(false),
        http_client,
        queue_config: QueueConfig {
            capacity: q.capacity.unwrap_or(dq.capacity),
            max_shards: q.max_shards.unwrap_or(dq.max_shards),
            min_shards: q.min_shards.unwrap_or(dq.min_shards),
            max_samples_per_send: q.max_samples_per_send.unwrap_or(dq.max_samples_per_send),
            batch_send_deadline: q.batch_send_deadline.map(|d| d.0).unwrap_or(dq.batch_send_deadline),
            min_backoff: q.min_backoff.map(|d| d.0).unwrap_or(dq.min_backoff),
            max_backoff: q.max_backoff.map(|d| d.0).unwrap_or(dq.max_backoff),
            retry_on_http_429: q.retry_on_http_429.map(|b| b.0).unwrap_or(dq.retry_on_http_429),
        },
        metadata_config: MetadataConfig {
            send: m.send.map(|b| b.0).unwrap_or(dm.send),
            send_interval: m.send_interval.map(|d| d.0).unwrap_or(dm.send_interval),
            max_samples_per_send: m.max_samples_per_send.unwrap_or(dm.max_samples_per_send),
        },
        sigv4: rw.sigv4.map(|s| SigV4Config {
            region: s.region,
            access_key: s.access_key,
            secret_key: s.secret_key,
            profile: s.profile,
            role_arn: s.role_arn,
        }),
    })
}

fn resolve_remote_read(rr: raw::RemoteRead, ctx: &Ctx) -> Result<RemoteReadConfig> {
    let inv = |m: String| ctx.invalid(m);
    let url = rr.url.clone().ok_or_else(|| ctx.invalid("url for remote_read is empty"))?;
    go_url_parse(&url).map_err(inv)?;
    let headers = rr.headers.clone().unwrap_or_default();
    validate_headers(&headers).map_err(inv)?;
    let http_client = resolve_http_client(rr.http_client(), ctx).map_err(inv)?;
    Ok(RemoteReadConfig {
        url,
        remote_timeout: dur_or(rr.remote_timeout, Duration::from_secs(60)),
        headers,
        read_recent: rr.read_recent.map(|b| b.0).unwrap_or(false),
        name: rr.name.filter(|s| !s.is_empty()),
        required_matchers: rr.required_matchers.map(|l| l.0).unwrap_or_default(),
        filter_external_labels: rr.filter_external_labels.map(|b| b.0).unwrap_or(true),
        http_client,
    })
}
