//! One scrape pool: the task that merges its discoverers' target groups,
//! builds the targets (`target::targets_from_groups`) and keeps exactly one
//! [`ScrapeLoop`] running per active target, keyed by Prometheus' target hash
//! (labels and URL). The pool publishes its active and dropped targets in a
//! [`PoolView`] for the API.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use argus_model::Labels;
use argus_model::storage::Appendable;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::ManagerOpts;
use super::discovery::{self, Update};
use crate::append::{SeriesCache, append_end_of_run};
use crate::config::ScrapeConfig;
use crate::discovery::GroupSet;
use crate::http::ClientError;
use crate::metrics::Metrics;
use crate::scrape_loop::{ForcedError, LoopHandle, ScrapeLoop, StopMode, TargetShared, now_ms, target_hash};
use crate::target::{Target, targets_from_groups};

/// Series caches handed from a stopped pool to its successor, by target
/// hash, with the target's public labels (for staleness markers if no
/// successor loop claims them).
pub(crate) type Seeds = HashMap<u64, (Labels, SeriesCache)>;

/// What a pool needs from its manager.
pub(crate) struct PoolCtx {
    pub cfg: Arc<ScrapeConfig>,
    pub app: Arc<dyn Appendable>,
    pub opts: ManagerOpts,
    pub metrics: Arc<Metrics>,
}

/// An active target as the API shows it.
#[derive(Clone)]
pub(crate) struct ActiveEntry {
    pub target: Target,
    pub shared: Arc<TargetShared>,
}

/// The pool's targets as of its last sync.
#[derive(Default)]
pub(crate) struct PoolView {
    inner: RwLock<(Vec<ActiveEntry>, Vec<Target>)>,
}

impl PoolView {
    pub(crate) fn active(&self) -> Vec<ActiveEntry> {
        self.inner.read().map(|g| g.0.clone()).unwrap_or_default()
    }

    pub(crate) fn dropped(&self) -> Vec<Target> {
        self.inner.read().map(|g| g.1.clone()).unwrap_or_default()
    }

    fn set(&self, active: Vec<ActiveEntry>, dropped: Vec<Target>) {
        if let Ok(mut g) = self.inner.write() {
            *g = (active, dropped);
        }
    }
}

/// A running pool.
pub(crate) struct PoolHandle {
    cfg: Arc<ScrapeConfig>,
    view: Arc<PoolView>,
    stop: watch::Sender<Option<StopMode>>,
    join: JoinHandle<Seeds>,
}

impl PoolHandle {
    /// Starts the pool's discoverers and its sync task. `seeds` are the
    /// caches of the pool it replaces; on error they are handed back.
    pub(crate) fn start(ctx: PoolCtx, seeds: Seeds) -> Result<PoolHandle, (ClientError, Seeds)> {
        let client = match crate::http::HttpClient::new(&ctx.cfg.http_client) {
            Ok(c) => c,
            Err(e) => return Err((e, seeds)),
        };
        let (tx, rx) = mpsc::channel(16);
        let tasks = discovery::spawn_all(&ctx.cfg.discovery, &ctx.opts, &ctx.metrics, tx);
        let providers = tasks.len();
        let view = Arc::new(PoolView::default());
        let (stop, stop_rx) = watch::channel(None);
        let cfg = ctx.cfg.clone();
        let pool = Pool {
            ctx,
            client,
            view: view.clone(),
            loops: HashMap::new(),
            groups: GroupSet::new(),
            forced: Arc::new(Mutex::new(None)),
            seeds,
        };
        let join = tokio::spawn(pool.run(rx, stop_rx, providers, tasks));
        Ok(PoolHandle { cfg, view, stop, join })
    }

    pub(crate) fn config(&self) -> &ScrapeConfig {
        &self.cfg
    }

    pub(crate) fn view(&self) -> Arc<PoolView> {
        self.view.clone()
    }

    /// Stops the pool and its loops; with [`StopMode::Keep`] returns their caches.
    pub(crate) async fn stop(self, mode: StopMode) -> Seeds {
        let _ = self.stop.send(Some(mode));
        self.join.await.unwrap_or_default()
    }
}

/// Writes end-of-run staleness markers for caches nobody continued.
pub(crate) async fn stale_seeds(app: &Arc<dyn Appendable>, seeds: Seeds) {
    if seeds.is_empty() {
        return;
    }
    let app = app.clone();
    let _ = tokio::task::spawn_blocking(move || {
        let t = now_ms();
        for (_, (labels, mut cache)) in seeds {
            append_end_of_run(app.as_ref(), &mut cache, &labels, t);
        }
    })
    .await;
}

/// Waits for a stop request; a dropped sender counts as [`StopMode::Keep`].
pub(crate) async fn stopped(stop: &mut watch::Receiver<Option<StopMode>>) -> StopMode {
    match stop.wait_for(Option::is_some).await {
        Ok(m) => m.unwrap_or(StopMode::Keep),
        Err(_) => StopMode::Keep,
    }
}

struct Pool {
    ctx: PoolCtx,
    client: crate::http::HttpClient,
    view: Arc<PoolView>,
    loops: HashMap<u64, (Labels, LoopHandle)>,
    groups: GroupSet,
    forced: ForcedError,
    seeds: Seeds,
}

impl Pool {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<Update>,
        mut stop: watch::Receiver<Option<StopMode>>,
        providers: usize,
        tasks: Vec<JoinHandle<()>>,
    ) -> Seeds {
        let mode = match self.initial(&mut rx, &mut stop, providers).await {
            Some(m) => m,
            None => loop {
                tokio::select! {
                    m = stopped(&mut stop) => break m,
                    u = rx.recv() => {
                        let Some(u) = u else {
                            // All discoverers ended (static only): wait for stop.
                            break stopped(&mut stop).await;
                        };
                        self.groups.replace(u.provider, u.groups);
                        while let Ok(u) = rx.try_recv() {
                            self.groups.replace(u.provider, u.groups);
                        }
                        self.sync().await;
                    }
                }
            },
        };
        for t in tasks {
            t.abort();
        }
        self.view.set(Vec::new(), Vec::new());
        let stops: Vec<_> = self
            .loops
            .drain()
            .map(|(h, (labels, l))| tokio::spawn(async move { (h, labels, l.stop(mode).await) }))
            .collect();
        let mut seeds = std::mem::take(&mut self.seeds);
        for s in stops {
            if let Ok((h, labels, cache)) = s.await
                && mode == StopMode::Keep
            {
                seeds.insert(h, (labels, cache));
            }
        }
        if mode == StopMode::Stale {
            stale_seeds(&self.ctx.app, std::mem::take(&mut seeds)).await;
        }
        seeds
    }

    /// Waits (up to `initial_discovery_wait`) for every discoverer's first
    /// answer, then starts the targets; seeds no target claimed go stale.
    /// `Some` if stopped meanwhile.
    async fn initial(
        &mut self,
        rx: &mut mpsc::Receiver<Update>,
        stop: &mut watch::Receiver<Option<StopMode>>,
        providers: usize,
    ) -> Option<StopMode> {
        let deadline = tokio::time::Instant::now() + self.ctx.opts.initial_discovery_wait;
        let mut reported = HashSet::new();
        while reported.len() < providers {
            tokio::select! {
                m = stopped(stop) => return Some(m),
                u = rx.recv() => match u {
                    Some(u) => {
                        reported.insert(u.provider);
                        self.groups.replace(u.provider, u.groups);
                    }
                    None => break,
                },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        self.sync().await;
        let unclaimed = std::mem::take(&mut self.seeds);
        stale_seeds(&self.ctx.app, unclaimed).await;
        None
    }

    /// Rebuilds the targets from the current groups and starts and stops
    /// loops to match.
    async fn sync(&mut self) {
        let start = Instant::now();
        let cfg = self.ctx.cfg.clone();
        let set = targets_from_groups(self.groups.groups(), &cfg, self.ctx.opts.no_default_port);
        for e in &set.errors {
            tracing::warn!(scrape_pool = %cfg.job_name, err = %e, "creating target failed");
        }
        let over_limit = set.limit_error.is_some();
        if let Ok(mut f) = self.forced.lock() {
            *f = set.limit_error.map(|e| e.to_string());
        }
        let mut wanted: Vec<(u64, Target)> = Vec::with_capacity(set.active.len());
        let mut seen = HashSet::new();
        for t in set.active {
            let h = target_hash(&t);
            if seen.insert(h) {
                wanted.push((h, t));
            }
        }
        let removed: Vec<u64> = self.loops.keys().filter(|h| !seen.contains(h)).copied().collect();
        let stops: Vec<_> = removed
            .into_iter()
            .filter_map(|h| self.loops.remove(&h))
            .map(|(_, l)| tokio::spawn(async move { l.stop(StopMode::Stale).await }))
            .collect();
        for s in stops {
            let _ = s.await;
        }
        let mut active = Vec::with_capacity(wanted.len());
        for (h, t) in wanted {
            if let Some((_, l)) = self.loops.get(&h) {
                active.push(super::pool::ActiveEntry { target: t, shared: l.shared().clone() });
                continue;
            }
            let mut lp = ScrapeLoop::new(t.clone(), &cfg, self.client.clone(), self.ctx.app.clone())
                .with_forced_error_handle(self.forced.clone())
                .with_jitter_seed(self.ctx.opts.jitter_seed)
                .with_metrics(self.ctx.metrics.clone());
            if let Some(src) = self.ctx.opts.internal.as_ref().and_then(|f| f(&t)) {
                lp = lp.with_source(src);
            }
            if let Some((_, cache)) = self.seeds.remove(&h) {
                lp = lp.with_cache(cache);
            }
            let handle = lp.spawn();
            active.push(ActiveEntry { target: t.clone(), shared: handle.shared().clone() });
            self.loops.insert(h, (t.labels(), handle));
        }
        let n = active.len();
        self.view.set(active, set.dropped);
        self.ctx.metrics.pool_synced(&cfg.job_name, n, start.elapsed().as_secs_f64(), over_limit);
    }
}
