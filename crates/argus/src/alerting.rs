//! Where rule alerts go: the built-in alert manager, and every external
//! Alertmanager of prometheus.yml's `alerting.alertmanagers`.
//!
//! Each `alertmanagers` entry (a "set") has its own HTTP client (TLS, proxy,
//! basic auth, `authorization`) and discovery: `static_configs` and
//! `file_sd_configs` (re-read every `refresh_interval`). Discovered targets
//! are relabeled like Prometheus' `AlertmanagerFromGroup` (`__scheme__`,
//! `__alerts_path__`, `relabel_configs`, default port by scheme) and each
//! resulting URL gets an [`argus_rules::AlertmanagerClient`] with its own
//! bounded queue; every alert goes to every Alertmanager, as in Prometheus.
//! A reload replaces the sets; clients whose URL is still wanted keep their
//! queue. `http_sd_configs` and `dns_sd_configs` are accepted in the config
//! but not yet run for Alertmanagers (a warning says so).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argus_model::alerting::{AlertSink, PostableAlert};
use argus_model::{Labels, LabelsBuilder};
use argus_rules::{AlertmanagerClient, NotifierMetrics, NotifierOptions};
use argus_scrape::config::AlertmanagerConfig;
use argus_scrape::discovery::TargetGroup;
use argus_scrape::discovery::file::FileDiscoverer;
use tokio::sync::watch;

/// The rule manager's sink: the built-in alert manager plus the external ones.
pub(crate) struct AlertFanout {
    pub(crate) builtin: Arc<argus_alertmanager::Alertmanager>,
    pub(crate) external: Arc<ExternalAlertmanagers>,
}

impl AlertSink for AlertFanout {
    fn send(&self, alerts: Vec<PostableAlert>) {
        self.external.send(&alerts);
        self.builtin.send(alerts);
    }
}

struct Running {
    client: Arc<AlertmanagerClient>,
    stop: watch::Sender<bool>,
}

#[derive(Default)]
struct State {
    /// Clients by (set index, endpoint).
    clients: BTreeMap<(usize, String), Running>,
    /// Stops the discovery tasks of the current config.
    discovery_stop: Option<watch::Sender<bool>>,
    /// The current config's sets.
    sets: Vec<Arc<SetRuntime>>,
}

/// One `alertmanagers` entry, ready to make clients.
struct SetRuntime {
    cfg: AlertmanagerConfig,
    client: Option<reqwest::Client>,
}

/// The external Alertmanagers of the current config.
pub(crate) struct ExternalAlertmanagers {
    metrics: Arc<NotifierMetrics>,
    state: Mutex<State>,
    /// The server's shutdown signal.
    shutdown: watch::Receiver<bool>,
}

impl ExternalAlertmanagers {
    pub(crate) fn new(shutdown: watch::Receiver<bool>) -> Arc<Self> {
        Arc::new(ExternalAlertmanagers {
            metrics: Arc::new(NotifierMetrics::default()),
            state: Mutex::new(State::default()),
            shutdown,
        })
    }

    pub(crate) fn metrics(&self) -> &NotifierMetrics {
        &self.metrics
    }

    fn send(&self, alerts: &[PostableAlert]) {
        let Ok(st) = self.state.lock() else { return };
        for r in st.clients.values() {
            r.client.send(alerts.to_vec());
        }
    }

    /// Replaces the sets with `cfg.alerting.alertmanagers` and starts their
    /// discovery. Must run inside the Tokio runtime.
    pub(crate) fn apply(self: &Arc<Self>, cfg: &argus_scrape::Config) {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut sets = Vec::new();
        for (i, am) in cfg.alerting.alertmanagers.iter().enumerate() {
            let client = match argus_scrape::build_client(&am.http_client) {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::error!(err = %e, set = i, "cannot build the HTTP client for alertmanagers; using a plain one");
                    None
                }
            };
            if !am.discovery.http_sd_configs.is_empty() || !am.discovery.dns_sd_configs.is_empty() {
                tracing::warn!(set = i, "http_sd_configs and dns_sd_configs are not supported for alertmanagers yet");
            }
            sets.push(Arc::new(SetRuntime { cfg: am.clone(), client }));
        }
        {
            let Ok(mut st) = self.state.lock() else { return };
            if let Some(old) = st.discovery_stop.replace(stop_tx) {
                let _ = old.send(true);
            }
            // Sets are matched by position; a changed set gets new clients.
            let keep: Vec<bool> = (0..st.sets.len().max(sets.len()))
                .map(|i| matches!((st.sets.get(i), sets.get(i)), (Some(a), Some(b)) if a.cfg == b.cfg))
                .collect();
            st.clients.retain(|(i, _), r| {
                let k = keep.get(*i).copied().unwrap_or(false);
                if !k {
                    let _ = r.stop.send(true);
                }
                k
            });
            st.sets = sets.clone();
            self.metrics.set_discovered(st.clients.len());
        }
        for (i, set) in sets.into_iter().enumerate() {
            tokio::spawn(self.clone().discover(i, set, stop_rx.clone()));
        }
    }

    /// Runs one set's discovery until its config is replaced or the server stops.
    async fn discover(self: Arc<Self>, idx: usize, set: Arc<SetRuntime>, mut stop: watch::Receiver<bool>) {
        let mut files: Vec<FileDiscoverer> =
            set.cfg.discovery.file_sd_configs.iter().cloned().map(FileDiscoverer::new).collect();
        let refresh = set
            .cfg
            .discovery
            .file_sd_configs
            .iter()
            .map(|f| f.refresh_interval)
            .min()
            .unwrap_or(Duration::MAX)
            .max(Duration::from_millis(100));
        let mut shutdown = self.shutdown.clone();
        loop {
            let mut groups: Vec<TargetGroup> = set.cfg.discovery.static_configs.clone();
            for f in &mut files {
                let (g, errs) = f.refresh();
                for e in errs {
                    tracing::error!(error = %e, "file_sd refresh for alertmanagers failed");
                }
                groups.extend(g);
            }
            let targets = alertmanagers_from_groups(&groups, &set.cfg);
            self.set_targets(idx, &set, targets);
            if files.is_empty() {
                // Static only: nothing changes until the next config.
                tokio::select! {
                    _ = stop.changed() => {}
                    _ = shutdown.changed() => {}
                }
            } else {
                tokio::select! {
                    _ = tokio::time::sleep(refresh) => continue,
                    _ = stop.changed() => {}
                    _ = shutdown.changed() => {}
                }
            }
            if *stop.borrow() || *shutdown.borrow() {
                if *shutdown.borrow() {
                    self.stop_all();
                }
                return;
            }
        }
    }

    fn set_targets(&self, idx: usize, set: &SetRuntime, targets: Vec<(String, String)>) {
        let Ok(mut st) = self.state.lock() else { return };
        // Only the current config's set may change clients.
        if !st.sets.get(idx).is_some_and(|s| std::ptr::eq(s.as_ref(), set)) {
            return;
        }
        let wanted: BTreeMap<String, (String, String)> = targets
            .into_iter()
            .map(|(base, path)| {
                (
                    NotifierOptions { alerts_path: Some(path.clone()), ..NotifierOptions::new(&base) }.endpoint(),
                    (base, path),
                )
            })
            .collect();
        st.clients.retain(|(i, url), r| {
            let k = *i != idx || wanted.contains_key(url);
            if !k {
                tracing::info!(alertmanager = %url, "alertmanager gone from discovery");
                let _ = r.stop.send(true);
            }
            k
        });
        for (url, (base, path)) in wanted {
            if st.clients.contains_key(&(idx, url.clone())) {
                continue;
            }
            let mut opts = NotifierOptions::new(base);
            opts.alerts_path = Some(path);
            opts.timeout = set.cfg.timeout;
            opts.client = set.client.clone();
            opts.authorize = Some(authorize(set.cfg.http_client.clone()));
            opts.metrics = Some(self.metrics.clone());
            match AlertmanagerClient::new(opts) {
                Ok(c) => {
                    let c = Arc::new(c);
                    let (tx, rx) = watch::channel(false);
                    tokio::spawn(c.clone().run(rx));
                    tracing::info!(alertmanager = %url, "sending alerts to external Alertmanager");
                    st.clients.insert((idx, url), Running { client: c, stop: tx });
                }
                Err(e) => tracing::error!(err = %e, alertmanager = %url, "cannot set up Alertmanager client"),
            }
        }
        self.metrics.set_discovered(st.clients.len());
    }

    fn stop_all(&self) {
        if let Ok(mut st) = self.state.lock() {
            for r in st.clients.values() {
                let _ = r.stop.send(true);
            }
            st.clients.clear();
        }
    }

    /// The endpoints alerts currently go to.
    #[cfg(test)]
    fn endpoints(&self) -> Vec<String> {
        self.state.lock().map(|st| st.clients.keys().map(|(_, u)| u.clone()).collect()).unwrap_or_default()
    }
}

/// Basic auth / `authorization` from the set's HTTP config, read per request
/// so rotated secret files are picked up.
fn authorize(cfg: argus_scrape::config::HttpClientConfig) -> argus_rules::Authorize {
    Arc::new(move |req| argus_scrape::http::with_auth(req, &cfg))
}

/// Prometheus' `AlertmanagerFromGroup`: `(base URL, alerts path)` per target
/// that survives relabeling.
fn alertmanagers_from_groups(groups: &[TargetGroup], cfg: &AlertmanagerConfig) -> Vec<(String, String)> {
    let alerts_path = format!("/{}/api/v2/alerts", cfg.path_prefix.trim_matches('/')).replace("//", "/");
    let mut out = Vec::new();
    for g in groups {
        for t in &g.targets {
            let mut b = LabelsBuilder::new();
            for l in t.iter() {
                b.set(l.name.clone(), l.value.clone());
            }
            b.set("__scheme__", cfg.scheme.clone());
            b.set("__alerts_path__", alerts_path.clone());
            for l in g.labels.iter() {
                if t.get(&l.name).is_none() {
                    b.set(l.name.clone(), l.value.clone());
                }
            }
            let ls: Labels = b.build();
            let Some(ls) = argus_scrape::relabel::process(&ls, &cfg.relabel_configs) else { continue };
            let Some(addr) = ls.get("__address__").filter(|a| !a.is_empty()) else { continue };
            let scheme = ls.get("__scheme__").unwrap_or("http");
            let default_port = match scheme {
                "http" => "80",
                "https" => "443",
                other => {
                    tracing::error!(scheme = other, "invalid scheme for alertmanager");
                    continue;
                }
            };
            let addr = if has_port(addr) { addr.to_string() } else { format!("{addr}:{default_port}") };
            let path = ls.get("__alerts_path__").unwrap_or(&alerts_path).to_string();
            out.push((format!("{scheme}://{addr}"), path));
        }
    }
    out
}

fn has_port(addr: &str) -> bool {
    match addr.rsplit_once(':') {
        Some((host, port)) => {
            port.chars().all(|c| c.is_ascii_digit()) && !port.is_empty() && (!host.contains(':') || host.ends_with(']'))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str, dir: &std::path::Path) -> argus_scrape::Config {
        let p = dir.join("prometheus.yml");
        std::fs::write(&p, yaml).unwrap();
        argus_scrape::config::load(&p, &Default::default()).unwrap()
    }

    #[test]
    fn targets_are_relabeled_like_prometheus() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(
            "alerting:\n  alertmanagers:\n  - path_prefix: /am\n    static_configs:\n    - targets: [a:9093, b, 'c:1']\n    relabel_configs:\n    - source_labels: [__address__]\n      regex: 'c:1'\n      action: drop\n",
            dir.path(),
        );
        let am = &cfg.alerting.alertmanagers[0];
        let got = alertmanagers_from_groups(&am.discovery.static_configs, am);
        assert_eq!(
            got,
            [
                ("http://a:9093".to_string(), "/am/api/v2/alerts".to_string()),
                ("http://b:80".to_string(), "/am/api/v2/alerts".to_string())
            ]
        );
        assert!(has_port("[::1]:9093"));
        assert!(!has_port("[::1]"));
    }

    #[tokio::test]
    async fn file_sd_changes_the_alertmanagers_and_reload_replaces_them() {
        let dir = tempfile::tempdir().unwrap();
        let sd = dir.path().join("am.json");
        std::fs::write(&sd, r#"[{"targets": ["x:1"]}]"#).unwrap();
        let cfg = config(
            &format!(
                "alerting:\n  alertmanagers:\n  - file_sd_configs:\n    - files: ['{}']\n      refresh_interval: 100ms\n",
                sd.display()
            ),
            dir.path(),
        );
        let (_tx, rx) = watch::channel(false);
        let ext = ExternalAlertmanagers::new(rx);
        ext.apply(&cfg);
        let wait_for = |want: Vec<&str>| {
            let ext = ext.clone();
            let want: Vec<String> = want.into_iter().map(String::from).collect();
            async move {
                for _ in 0..100 {
                    if ext.endpoints() == want {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                panic!("endpoints {:?}, want {want:?}", ext.endpoints());
            }
        };
        wait_for(vec!["http://x:1/api/v2/alerts"]).await;
        std::fs::write(&sd, r#"[{"targets": ["y:2", "z:3"]}]"#).unwrap();
        wait_for(vec!["http://y:2/api/v2/alerts", "http://z:3/api/v2/alerts"]).await;
        let cfg2 = config("alerting:\n  alertmanagers:\n  - static_configs:\n    - targets: [s:4]\n", dir.path());
        ext.apply(&cfg2);
        wait_for(vec!["http://s:4/api/v2/alerts"]).await;
    }
}
