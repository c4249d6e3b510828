//! The scrape manager: one scrape pool per `scrape_configs` job, each with
//! its discovery tasks and one [`ScrapeLoop`] per active target.
//!
//! [`ScrapeManager::apply_config`] diffs the pools by job name: a job whose
//! config is unchanged keeps its pool and loops; a changed one is restarted
//! and its new loops continue from the old loops' series caches (so a reload
//! neither marks surviving series stale nor counts them as added); a removed
//! one stops, writing staleness markers for all its series. Target set
//! changes from discovery start and stop loops the same way.
//! [`ScrapeManager::stop`] ends everything without staleness markers, as
//! Prometheus does at shutdown.
//!
//! The manager keeps, per pool, the latest view of its active and dropped
//! targets for the targets and metadata APIs ([`crate::api`]).

mod discovery;
mod local;
mod pool;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argus_model::storage::Appendable;

use crate::config::Config;
use crate::internal::Source;
use crate::metrics::Metrics;
use crate::target::Target;

pub use local::local_resolver;
pub(crate) use pool::{PoolHandle, PoolView, stopped};

/// Decides whether a target is served in-process: returns the body source
/// for a target that points at argus itself (e.g. its own address with
/// `/metrics`, `/node/metrics` or `/pushgateway/metrics`), `None` for a
/// target scraped over HTTP. Called once per target when its loop starts.
pub type InternalResolver = Arc<dyn Fn(&Target) -> Option<Source> + Send + Sync>;

/// How `globalUrl` is derived in the targets API: a target on localhost gets
/// the external URL's host (Prometheus' `getGlobalURL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalUrlOptions {
    /// The listen address (`host:port`), to recognise targets on our own port.
    pub listen_address: String,
    /// The external URL's `host[:port]`.
    pub host: String,
    /// The external URL's scheme.
    pub scheme: String,
}

/// Settings of a [`ScrapeManager`].
#[derive(Clone)]
pub struct ManagerOpts {
    /// Serves some targets in-process; see [`InternalResolver`].
    pub internal: Option<InternalResolver>,
    /// Mixed into every target's start offset (Prometheus hashes the
    /// hostname and external labels); 0 is fine for a single server.
    pub jitter_seed: u64,
    /// The `no-default-scrape-port` feature flag.
    pub no_default_port: bool,
    /// How often file SD checks its files' modification times between
    /// full refreshes (Prometheus watches them with inotify).
    pub file_sd_poll_interval: Duration,
    /// How long a (re)started pool waits for every discoverer's first
    /// answer before it starts its targets.
    pub initial_discovery_wait: Duration,
    /// For `globalUrl`; without it `globalUrl` is the scrape URL.
    pub global_url: Option<GlobalUrlOptions>,
    /// Name servers for `dns_sd_configs` of type SRV and MX; empty means
    /// those of `/etc/resolv.conf` (tests point this at a local server).
    pub dns_servers: Vec<std::net::SocketAddr>,
}

impl Default for ManagerOpts {
    fn default() -> Self {
        ManagerOpts {
            internal: None,
            jitter_seed: 0,
            no_default_port: false,
            file_sd_poll_interval: Duration::from_secs(1),
            initial_discovery_wait: Duration::from_secs(5),
            global_url: None,
            dns_servers: Vec::new(),
        }
    }
}

impl std::fmt::Debug for ManagerOpts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagerOpts")
            .field("internal", &self.internal.is_some())
            .field("jitter_seed", &self.jitter_seed)
            .field("no_default_port", &self.no_default_port)
            .field("file_sd_poll_interval", &self.file_sd_poll_interval)
            .field("initial_discovery_wait", &self.initial_discovery_wait)
            .field("global_url", &self.global_url)
            .field("dns_servers", &self.dns_servers)
            .finish()
    }
}

/// Why a scrape pool could not be (re)started; the others were applied.
#[derive(Debug, thiserror::Error)]
#[error("cannot start scrape pool {job}: {source}")]
pub struct ApplyError {
    /// The job.
    pub job: String,
    /// The cause.
    #[source]
    pub source: crate::http::ClientError,
}

/// Runs the scrape pools of a config. Cheap to share behind an `Arc`; all
/// methods take `&self`.
pub struct ScrapeManager {
    app: Arc<dyn Appendable>,
    opts: ManagerOpts,
    metrics: Arc<Metrics>,
    /// Pools by job name. Locked only briefly (never across an await) by
    /// readers; `apply_config` and `stop` serialise on `apply`.
    pools: Mutex<BTreeMap<String, Arc<PoolView>>>,
    handles: tokio::sync::Mutex<BTreeMap<String, PoolHandle>>,
}

impl ScrapeManager {
    /// A manager storing into `appendable`, with no pools yet.
    pub fn new(appendable: Arc<dyn Appendable>, opts: ManagerOpts) -> Self {
        crate::http::install_crypto_provider();
        ScrapeManager {
            app: appendable,
            opts,
            metrics: Arc::new(Metrics::default()),
            pools: Mutex::new(BTreeMap::new()),
            handles: tokio::sync::Mutex::new(BTreeMap::new()),
        }
    }

    /// Registers the `argus_scrape_*` metrics in `reg`.
    pub fn register_metrics(&self, reg: &mut prometheus_client::registry::Registry) {
        self.metrics.register(reg);
    }

    /// Brings the pools in line with `cfg.scrape_configs`: unchanged jobs
    /// keep running untouched, changed jobs restart (their series continue),
    /// removed jobs stop and mark their series stale, new jobs start. Must
    /// run inside a tokio runtime. A job whose HTTP client cannot be built
    /// (e.g. an unreadable `ca_file`) is left out (its old pool, if any, is
    /// stopped) and reported; all other jobs are applied.
    pub async fn apply_config(&self, cfg: &Config) -> Result<(), Vec<ApplyError>> {
        let mut handles = self.handles.lock().await;
        let mut errors = Vec::new();
        let wanted: BTreeMap<&str, &crate::ScrapeConfig> =
            cfg.scrape_configs.iter().map(|c| (c.job_name.as_str(), c)).collect();
        let names: Vec<String> = handles.keys().cloned().collect();
        for name in names {
            if wanted.contains_key(name.as_str()) {
                continue;
            }
            if let Some(h) = handles.remove(&name) {
                tracing::info!(scrape_pool = %name, "stopping scrape pool");
                self.lock_pools().remove(&name);
                h.stop(crate::StopMode::Stale).await;
                self.metrics.pool_removed(&name);
            }
        }
        for (name, sc) in wanted {
            let mut seeds = Default::default();
            if let Some(h) = handles.get(name) {
                if *h.config() == *sc {
                    continue;
                }
                if let Some(old) = handles.remove(name) {
                    tracing::info!(scrape_pool = %name, "reloading scrape pool");
                    self.metrics.pool_reloaded();
                    seeds = old.stop(crate::StopMode::Keep).await;
                }
            }
            let ctx = pool::PoolCtx {
                cfg: Arc::new(sc.clone()),
                app: self.app.clone(),
                opts: self.opts.clone(),
                metrics: self.metrics.clone(),
            };
            match PoolHandle::start(ctx, seeds) {
                Ok(h) => {
                    self.metrics.pool_created(true);
                    self.lock_pools().insert(name.to_string(), h.view());
                    handles.insert(name.to_string(), h);
                }
                Err((e, seeds)) => {
                    self.metrics.pool_created(false);
                    self.lock_pools().remove(name);
                    tracing::error!(scrape_pool = %name, err = %e, "cannot create scrape pool");
                    pool::stale_seeds(&self.app, seeds).await;
                    errors.push(ApplyError { job: name.to_string(), source: e });
                }
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// Stops every pool and loop and waits for them; series are left as
    /// they are (no staleness markers), as at Prometheus' shutdown.
    pub async fn stop(&self) {
        let mut handles = self.handles.lock().await;
        self.lock_pools().clear();
        let all = std::mem::take(&mut *handles);
        let stops: Vec<_> =
            all.into_values().map(|h| tokio::spawn(async move { h.stop(crate::StopMode::Keep).await })).collect();
        for s in stops {
            let _ = s.await;
        }
    }

    /// The pool views, by job name, for the API snapshots.
    pub(crate) fn views(&self) -> Vec<(String, Arc<PoolView>)> {
        self.lock_pools().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    pub(crate) fn global_url_opts(&self) -> Option<&GlobalUrlOptions> {
        self.opts.global_url.as_ref()
    }

    fn lock_pools(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<PoolView>>> {
        self.pools.lock().unwrap_or_else(|e| e.into_inner())
    }
}
