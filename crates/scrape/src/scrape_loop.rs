//! The scrape loop: one tokio task per target that, every scrape interval
//! (starting at an offset spread like Prometheus' `Target.offset`), gets the
//! body (over HTTP, or from an in-process [`Source`]) and hands it with the
//! target's [`SeriesCache`] to the blocking pool, where [`append_scrape`]
//! parses and commits it. A slow or broken target only ever delays its own
//! task.
//!
//! The loop publishes its health, last error, last scrape time and duration
//! and the last scrape's metadata in a [`TargetShared`] the manager reads for
//! the targets API. Stopping it with [`StopMode::Stale`] writes staleness
//! markers for every series it stored (a target that went away); with
//! [`StopMode::Keep`] it leaves them (shutdown, or a reload that hands the
//! cache to the next loop for the same target).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use argus_model::exposition::Format;
use argus_model::storage::Appendable;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::append::{AppendOptions, MetricMetadata, ScrapeReport, SeriesCache, append_end_of_run, append_scrape};
use crate::config::ScrapeConfig;
use crate::http::{HttpClient, fetch};
use crate::internal::Source;
use crate::limits::LimitError;
use crate::metrics::Metrics;
use crate::target::Target;

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// An error every scrape of a loop fails with while set (`target_limit`).
pub(crate) type ForcedError = Arc<Mutex<Option<String>>>;

/// A target's health as the targets API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Not scraped yet.
    #[default]
    Unknown,
    /// The last scrape succeeded.
    Up,
    /// The last scrape failed.
    Down,
}

/// The outcome of a target's last scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetStatus {
    /// Health.
    pub health: Health,
    /// Why the last scrape failed (empty if it did not).
    pub last_error: String,
    /// When the last scrape started.
    pub last_scrape: Option<SystemTime>,
    /// How long getting the body took, in seconds.
    pub last_scrape_duration: f64,
}

/// What a loop shares with readers (the targets and metadata APIs).
#[derive(Debug, Default)]
pub struct TargetShared {
    status: Mutex<TargetStatus>,
    metadata: Mutex<BTreeMap<String, MetricMetadata>>,
}

impl TargetShared {
    /// The last scrape's outcome.
    pub fn status(&self) -> TargetStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The HELP/TYPE/UNIT of the last successful scrape, by metric family.
    pub fn metadata(&self) -> BTreeMap<String, MetricMetadata> {
        self.metadata.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// How a loop ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMode {
    /// Write staleness markers for all its series (the target went away).
    Stale,
    /// Leave the series as they are (shutdown or hand-over on reload).
    Keep,
}

/// Where a loop gets its body.
#[derive(Clone)]
enum BodySource {
    Http(HttpClient),
    Internal(Source),
}

/// One target's scrape loop. Build it, then [`ScrapeLoop::spawn`] it (or call
/// [`ScrapeLoop::scrape_once`] yourself).
pub struct ScrapeLoop {
    job: String,
    target: Target,
    url: String,
    interval: Duration,
    timeout: Duration,
    body_size_limit: u64,
    opts: AppendOptions,
    body: BodySource,
    app: Arc<dyn Appendable>,
    cache: SeriesCache,
    shared: Arc<TargetShared>,
    forced_error: ForcedError,
    jitter_seed: u64,
    metrics: Option<Arc<Metrics>>,
}

impl ScrapeLoop {
    /// A loop scraping `target` of job `cfg` over HTTP with `client` (built
    /// from the job's `http_client` config) and storing into `app`. The
    /// interval and timeout are the target's (relabeling may have changed them).
    pub fn new(target: Target, cfg: &ScrapeConfig, client: HttpClient, app: Arc<dyn Appendable>) -> Self {
        let opts = AppendOptions::from_config(cfg, target.labels());
        ScrapeLoop {
            job: cfg.job_name.clone(),
            url: target.url(),
            interval: target.scrape_interval().unwrap_or(cfg.scrape_interval),
            timeout: target.scrape_timeout().unwrap_or(cfg.scrape_timeout),
            body_size_limit: cfg.body_size_limit,
            opts,
            body: BodySource::Http(client),
            app,
            cache: SeriesCache::new(),
            shared: Arc::new(TargetShared::default()),
            forced_error: ForcedError::default(),
            jitter_seed: 0,
            metrics: None,
            target,
        }
    }

    /// Gets the body from `source` in-process instead of over HTTP (the
    /// target points at argus itself).
    pub fn with_source(mut self, source: Source) -> Self {
        self.body = BodySource::Internal(source);
        self
    }

    /// Continues from the series a previous loop for the same target stored,
    /// so a reload neither marks them stale nor counts them as added.
    pub fn with_cache(mut self, cache: SeriesCache) -> Self {
        self.cache = cache;
        self
    }

    /// Fails every scrape with `error` (`up` = 0), as Prometheus does for
    /// all targets of a pool over its `target_limit`.
    pub fn with_forced_error(mut self, error: Option<String>) -> Self {
        self.forced_error = Arc::new(Mutex::new(error));
        self
    }

    /// Like [`ScrapeLoop::with_forced_error`], shared with the pool so it
    /// can change without restarting the loop.
    pub(crate) fn with_forced_error_handle(mut self, error: ForcedError) -> Self {
        self.forced_error = error;
        self
    }

    /// Mixed into the start offset so that several servers scraping the
    /// same targets spread differently (Prometheus' jitter seed).
    pub fn with_jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = seed;
        self
    }

    pub(crate) fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// What the loop publishes for readers.
    pub fn shared(&self) -> Arc<TargetShared> {
        self.shared.clone()
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The wait before the first scrape: Prometheus' `Target.offset`, a
    /// point in the interval fixed by the target's labels, URL and the seed.
    pub fn offset(&self) -> Duration {
        let interval = self.interval.as_nanos().max(1) as u64;
        let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let base = interval - (now % interval as u128) as u64;
        let offset = (target_hash(&self.target) ^ self.jitter_seed) % interval;
        let mut next = base + offset;
        if next > interval {
            next -= interval;
        }
        Duration::from_nanos(next)
    }

    /// Scrapes once now and stores the result. Async (the body is fetched
    /// on the caller's task, the parse and commit run on the blocking pool).
    pub async fn scrape_once(&mut self) -> ScrapeReport {
        let pending = self.fetch_body().await;
        self.store(pending).await
    }

    /// The network half of a scrape: cancel-safe, nothing is stored yet.
    async fn fetch_body(&self) -> Pending {
        let start = Instant::now();
        let started = SystemTime::now();
        let t_ms = now_ms();
        let forced = self.forced_error.lock().ok().and_then(|f| f.clone());
        let body = match (&forced, &self.body) {
            (Some(e), _) => PendingBody::Failed(e.clone(), "target_limit"),
            (None, BodySource::Http(client)) => {
                match fetch(client, &self.url, self.timeout, self.body_size_limit).await {
                    Ok(f) => PendingBody::Fetched(f),
                    Err(e) => PendingBody::Failed(e.to_string(), e.reason()),
                }
            }
            (None, BodySource::Internal(src)) => PendingBody::Internal(src.clone()),
        };
        Pending { start, started, t_ms, body }
    }

    /// The storage half: parse and commit on the blocking pool, then
    /// publish the outcome.
    async fn store(&mut self, p: Pending) -> ScrapeReport {
        let (app, opts, t_ms, start) = (self.app.clone(), self.opts.clone(), p.t_ms, p.start);
        let fetch_s = start.elapsed().as_secs_f64();
        let cache = std::mem::take(&mut self.cache);
        let (cache, (report, duration, reason)) = blocking(
            move |mut c| {
                let (r, d, reason) = match p.body {
                    PendingBody::Failed(e, reason) => {
                        (append_scrape(app.as_ref(), &mut c, &opts, Err(e), t_ms, fetch_s), fetch_s, Some(reason))
                    }
                    PendingBody::Fetched(f) => {
                        let body = Ok((f.body.as_slice(), Format::from_content_type(&f.content_type)));
                        (append_scrape(app.as_ref(), &mut c, &opts, body, t_ms, fetch_s), fetch_s, None)
                    }
                    PendingBody::Internal(src) => {
                        let (body, format) = src();
                        let d = start.elapsed().as_secs_f64();
                        (append_scrape(app.as_ref(), &mut c, &opts, Ok((&body, format)), t_ms, d), d, None)
                    }
                };
                (c, (r, d, reason))
            },
            cache,
        )
        .await;
        self.cache = cache;
        let reason = reason.or_else(|| {
            report.error.as_ref().map(|e| match &report.limit {
                Some(LimitError::SampleLimit) => "sample_limit",
                Some(LimitError::NameLabelMissing) => "parse",
                Some(_) => "label_limits",
                None if e.starts_with("cannot store") => "storage",
                None => "parse",
            })
        });
        if let Some(m) = &self.metrics {
            m.scrape(&self.job, reason, &report);
        }
        if let Ok(mut s) = self.shared.status.lock() {
            *s = TargetStatus {
                health: if report.error.is_none() { Health::Up } else { Health::Down },
                last_error: report.error.clone().unwrap_or_default(),
                last_scrape: Some(p.started),
                last_scrape_duration: duration,
            };
        }
        if report.error.is_none()
            && let Ok(mut m) = self.shared.metadata.lock()
        {
            *m = self.cache.metadata().clone();
        }
        report
    }

    /// Starts the loop on the current tokio runtime.
    pub fn spawn(self) -> LoopHandle {
        let (tx, rx) = watch::channel(None);
        let shared = self.shared.clone();
        let join = tokio::spawn(self.run(rx));
        LoopHandle { stop: tx, join, shared }
    }

    async fn run(mut self, mut stop: watch::Receiver<Option<StopMode>>) -> SeriesCache {
        use crate::manager::stopped;
        let offset = self.offset();
        let mode = tokio::select! {
            _ = tokio::time::sleep(offset) => None,
            m = stopped(&mut stop) => Some(m),
        };
        let mode = match mode {
            Some(m) => m,
            None => {
                // tokio panics on a zero period; config checks should prevent one.
                let mut tick = tokio::time::interval(self.interval.max(Duration::from_millis(1)));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        biased;
                        m = stopped(&mut stop) => break m,
                        _ = tick.tick() => {}
                    }
                    // Only the network half is abandoned on stop; a body
                    // already fetched is stored, so the cache stays whole.
                    let pending = tokio::select! {
                        biased;
                        m = stopped(&mut stop) => break m,
                        p = self.fetch_body() => p,
                    };
                    let report = self.store(pending).await;
                    if let Some(e) = &report.error {
                        tracing::debug!(job = %self.job, url = %self.url, err = %e, "scrape failed");
                    }
                }
            }
        };
        if mode == StopMode::Stale {
            let (app, labels) = (self.app.clone(), self.opts.target_labels.clone());
            let t_ms = now_ms();
            self.cache = blocking(
                move |mut c| {
                    append_end_of_run(app.as_ref(), &mut c, &labels, t_ms);
                    (c, ())
                },
                std::mem::take(&mut self.cache),
            )
            .await
            .0;
        }
        self.cache
    }
}

/// A scrape whose body is fetched (or failed) but not stored yet.
struct Pending {
    start: Instant,
    started: SystemTime,
    t_ms: i64,
    body: PendingBody,
}

enum PendingBody {
    Fetched(crate::http::Fetched),
    Failed(String, &'static str),
    Internal(Source),
}

/// Runs `f` with the cache on the blocking pool. A panic in `f` (a bug)
/// costs the cache, not the loop.
async fn blocking<T: Send + Default + 'static>(
    f: impl FnOnce(SeriesCache) -> (SeriesCache, T) + Send + 'static,
    cache: SeriesCache,
) -> (SeriesCache, T) {
    match tokio::task::spawn_blocking(move || f(cache)).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(err = %e, "scrape panicked; its series cache is reset");
            (SeriesCache::new(), T::default())
        }
    }
}

/// Prometheus' `Target.hash`: FNV-1a of the label hash and the URL.
pub(crate) fn target_hash(t: &Target) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let text = format!("{:016}{}", t.labels().stable_hash(), t.url());
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A running loop.
pub struct LoopHandle {
    stop: watch::Sender<Option<StopMode>>,
    join: JoinHandle<SeriesCache>,
    shared: Arc<TargetShared>,
}

impl LoopHandle {
    /// What the loop publishes.
    pub fn shared(&self) -> &Arc<TargetShared> {
        &self.shared
    }

    /// Asks the loop to end (an in-flight scrape is abandoned) and waits
    /// for it; returns its series cache for a successor loop.
    pub async fn stop(self, mode: StopMode) -> SeriesCache {
        let _ = self.stop.send(Some(mode));
        self.join.await.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argus_model::storage::MemStorage;

    #[test]
    fn offset_is_within_the_interval_and_depends_on_the_target() {
        let y =
            "scrape_configs:\n- job_name: j\n  scrape_interval: 10s\n  static_configs: [{targets: ['a:1', 'b:1']}]\n";
        let cfg = crate::config::parse(y, "p.yml".as_ref(), &Default::default()).unwrap();
        let job = &cfg.scrape_configs[0];
        let set = crate::target::targets_from_groups(&job.discovery.static_configs, job, false);
        let client = HttpClient::new(&Default::default()).unwrap();
        let app: Arc<dyn Appendable> = Arc::new(MemStorage::new());
        let loops: Vec<ScrapeLoop> =
            set.active.iter().map(|t| ScrapeLoop::new(t.clone(), job, client.clone(), app.clone())).collect();
        for l in &loops {
            assert!(l.offset() <= Duration::from_secs(10));
        }
        assert_ne!(target_hash(&set.active[0]), target_hash(&set.active[1]));
        assert_eq!(target_hash(&set.active[0]), target_hash(&set.active[0].clone()));
    }
}
