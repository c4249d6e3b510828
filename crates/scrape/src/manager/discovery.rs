//! The discovery tasks of one pool. Each provider (the static configs, and
//! each `file_sd_configs`, `http_sd_configs` and `dns_sd_configs` entry) is
//! a task that sends its complete current group list, tagged with its
//! provider index, whenever it may have changed; the pool replaces that
//! provider's groups. A refresh that fails sends nothing, so the targets
//! found last time stay, as in Prometheus.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::ManagerOpts;
use crate::config::{DiscoveryConfigs, DnsRecordType, DnsSdConfig, FileSdConfig, HttpSdConfig};
use crate::discovery::dns::{DnsRecord, group_from_records};
use crate::discovery::dns_client::{self, QueryType, ResolverConfig};
use crate::discovery::file::{FileDiscoverer, list_files};
use crate::discovery::{TargetGroup, http};
use crate::metrics::Metrics;

/// A provider's complete current groups.
pub(crate) struct Update {
    pub provider: usize,
    pub groups: Vec<TargetGroup>,
}

/// Starts one task per provider; the static configs are provider 0.
pub(crate) fn spawn_all(
    d: &DiscoveryConfigs,
    opts: &ManagerOpts,
    metrics: &Arc<Metrics>,
    tx: mpsc::Sender<Update>,
) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    let mut next = 0usize;
    let mut provider = || {
        next += 1;
        next - 1
    };
    if !d.static_configs.is_empty() {
        let (p, tx, groups) = (provider(), tx.clone(), d.static_configs.clone());
        tasks.push(tokio::spawn(async move {
            let _ = tx.send(Update { provider: p, groups }).await;
        }));
    }
    for f in &d.file_sd_configs {
        let poll = opts.file_sd_poll_interval;
        tasks.push(tokio::spawn(run_file(provider(), f.clone(), poll, tx.clone(), metrics.clone())));
    }
    for h in &d.http_sd_configs {
        tasks.push(tokio::spawn(run_http(provider(), h.clone(), tx.clone(), metrics.clone())));
    }
    for n in &d.dns_sd_configs {
        let servers = opts.dns_servers.clone();
        tasks.push(tokio::spawn(run_dns(provider(), n.clone(), servers, tx.clone(), metrics.clone())));
    }
    tasks
}

type Signature = Vec<(PathBuf, Option<SystemTime>, u64)>;

/// The files a file SD config matches, with modification time and size.
fn signature(cfg: &FileSdConfig) -> Signature {
    list_files(cfg)
        .0
        .into_iter()
        .map(|p| {
            let m = std::fs::metadata(&p).ok();
            let (mtime, len) = (m.as_ref().and_then(|m| m.modified().ok()), m.map(|m| m.len()).unwrap_or(0));
            (p, mtime, len)
        })
        .collect()
}

/// File SD: re-reads on any change of the matched files' names,
/// modification times or sizes (checked every `poll`), and every
/// `refresh_interval` regardless.
async fn run_file(provider: usize, cfg: FileSdConfig, poll: Duration, tx: mpsc::Sender<Update>, m: Arc<Metrics>) {
    let mut disc = Some(FileDiscoverer::new(cfg.clone()));
    let mut last: Option<Signature> = None;
    let mut last_full = tokio::time::Instant::now();
    let poll = poll.min(cfg.refresh_interval).max(Duration::from_millis(10));
    loop {
        let c = cfg.clone();
        let Ok(sig) = tokio::task::spawn_blocking(move || signature(&c)).await else { return };
        if last.as_ref() != Some(&sig) || last_full.elapsed() >= cfg.refresh_interval {
            let Some(mut d) = disc.take() else { return };
            let Ok((d, groups, errors)) = tokio::task::spawn_blocking(move || {
                let (g, e) = d.refresh();
                (d, g, e)
            })
            .await
            else {
                return;
            };
            disc = Some(d);
            for e in &errors {
                tracing::error!(err = %e, "file_sd refresh failed");
                m.sd_failed("file");
            }
            if tx.send(Update { provider, groups }).await.is_err() {
                return;
            }
            last = Some(sig);
            last_full = tokio::time::Instant::now();
        }
        tokio::time::sleep(poll).await;
    }
}

/// HTTP SD: GET the endpoint every `refresh_interval`.
async fn run_http(provider: usize, cfg: HttpSdConfig, tx: mpsc::Sender<Update>, m: Arc<Metrics>) {
    let c = cfg.http_client.clone();
    let client = match tokio::task::spawn_blocking(move || crate::http::HttpClient::new(&c)).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            tracing::error!(url = %cfg.url, err = %e, "http_sd: cannot build client");
            m.sd_failed("http");
            return;
        }
        Err(_) => return,
    };
    let mut tick = tokio::time::interval(cfg.refresh_interval.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match fetch_http_sd(&client, &cfg).await {
            Ok(groups) => {
                if tx.send(Update { provider, groups }).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::error!(url = %cfg.url, err = %e, "http_sd refresh failed");
                m.sd_failed("http");
            }
        }
    }
}

async fn fetch_http_sd(client: &crate::http::HttpClient, cfg: &HttpSdConfig) -> Result<Vec<TargetGroup>, String> {
    let timeout = cfg.refresh_interval.max(Duration::from_secs(1));
    let req = tokio::time::timeout(timeout, client.request(reqwest::Method::GET, &cfg.url))
        .await
        .map_err(|_| format!("Get {:?}: context deadline exceeded", cfg.url))?
        .map_err(|e| format!("Get {:?}: {e}", cfg.url))?
        .header("X-Prometheus-Refresh-Interval-Seconds", cfg.refresh_interval.as_secs().to_string());
    let resp = tokio::time::timeout(timeout, req.send())
        .await
        .map_err(|_| format!("Get {:?}: context deadline exceeded", cfg.url))?
        .map_err(|e| format!("Get {:?}: {}", cfg.url, crate::http::error_chain(&e)))?;
    let status = resp.status();
    let status_text = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
    let ct = resp.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = tokio::time::timeout(timeout, resp.bytes())
        .await
        .map_err(|_| "context deadline exceeded".to_string())?
        .map_err(|e| crate::http::error_chain(&e))?;
    http::parse_response(&cfg.url, status.as_u16(), &status_text, &ct, &body).map_err(|e| e.to_string())
}

/// DNS SD: resolve every name every `refresh_interval`. A and AAAA use the
/// system resolver (so `/etc/hosts` names work); SRV and MX ask the name
/// servers of resolv.conf (or `servers`, when not empty) with our own DNS
/// client. A name whose lookup fails keeps the targets it had.
async fn run_dns(
    provider: usize,
    cfg: DnsSdConfig,
    servers: Vec<SocketAddr>,
    tx: mpsc::Sender<Update>,
    m: Arc<Metrics>,
) {
    let mut last: BTreeMap<String, TargetGroup> = BTreeMap::new();
    let mut tick = tokio::time::interval(cfg.refresh_interval.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // Re-read resolv.conf on every refresh, as Prometheus does.
        let resolver = if servers.is_empty() {
            match tokio::task::spawn_blocking(ResolverConfig::system).await {
                Ok(Ok(r)) => Ok(r),
                Ok(Err(e)) => Err(e),
                Err(_) => return,
            }
        } else {
            Ok(ResolverConfig::with_servers(servers.clone()))
        };
        for name in &cfg.names {
            let records = match &resolver {
                Ok(r) => resolve(r, name, cfg.record_type).await,
                Err(e) => Err(e.clone()),
            };
            match records {
                Ok(records) => {
                    last.insert(name.clone(), group_from_records(name, cfg.port, &records));
                }
                Err(e) => {
                    tracing::error!(name = %name, err = %e, "dns_sd lookup failed");
                    m.sd_failed("dns");
                }
            }
        }
        if tx.send(Update { provider, groups: last.values().cloned().collect() }).await.is_err() {
            return;
        }
    }
}

async fn resolve(resolver: &ResolverConfig, name: &str, kind: DnsRecordType) -> Result<Vec<DnsRecord>, String> {
    let want_v4 = match kind {
        DnsRecordType::A => true,
        DnsRecordType::Aaaa => false,
        DnsRecordType::Srv => return dns_client::lookup(resolver, name, QueryType::Srv).await,
        DnsRecordType::Mx => return dns_client::lookup(resolver, name, QueryType::Mx).await,
    };
    let host = name.trim_end_matches('.');
    let addrs = tokio::net::lookup_host((host, 0)).await.map_err(|e| format!("lookup {name}: {e}"))?;
    let mut ips: Vec<DnsRecord> =
        addrs.map(|a| a.ip()).filter(|ip| ip.is_ipv4() == want_v4).map(DnsRecord::Ip).collect();
    ips.dedup();
    Ok(ips)
}
