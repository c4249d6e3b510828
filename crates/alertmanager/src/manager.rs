//! [`Alertmanager`]: the running alert manager. It owns the alert store, the
//! silences, the notification log (both snapshotted under the data
//! directory), the current configuration's receivers and templates, and the
//! dispatcher of that configuration; it is the in-process [`AlertSink`] of
//! the rules engine and the model behind the HTTP API v2.
//!
//! Background work: one maintenance task (GC of resolved alerts, expired
//! silences and notification log entries, snapshots) plus one task per
//! aggregation group, all spawned on the caller's tokio runtime.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use argus_model::Labels;
use argus_model::alerting::{AlertSink, PostableAlert};
use argus_template::alertmanager::Templates;
use parking_lot::{Mutex, RwLock};
use prometheus_client::registry::Registry;

use crate::alert::{Alert, Fingerprint, now_ms};
use crate::config::Config;
use crate::dispatch::Dispatcher;
use crate::error::{Error, Result};
use crate::metrics::{Metrics, state};
use crate::nflog::NotificationLog;
use crate::notify::{Integration, build_receiver};
use crate::silence::{Silence, SilenceError, SilenceState, Silences};
use crate::store::{AlertStore, accept};

/// Settings of the alert manager that are not in alertmanager.yml.
#[derive(Debug, Clone)]
pub struct Options {
    /// The URL users reach the alert manager at (`--web.external-url`);
    /// notifications link to it.
    pub external_url: String,
    /// How long silences and notification log entries are kept after they
    /// end (`--data.retention`, default 120h).
    pub retention: Duration,
    /// How often expired state is collected and snapshots are written
    /// (default 15m).
    pub maintenance_interval: Duration,
    /// How often resolved alerts are dropped from the store (`--alerts.gc-interval`, default 30m).
    pub alert_gc_interval: Duration,
    /// The longest one notification attempt may take (default 30s).
    pub integration_timeout: Duration,
    /// A flush's notifications get at least this long, however short the
    /// group interval (Alertmanager's `notify.MinTimeout`, 10s).
    pub min_flush_timeout: Duration,
    /// The version reported by the status API.
    pub version: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            external_url: String::new(),
            retention: Duration::from_secs(120 * 3600),
            maintenance_interval: Duration::from_secs(15 * 60),
            alert_gc_interval: Duration::from_secs(30 * 60),
            integration_timeout: Duration::from_secs(30),
            min_flush_timeout: Duration::from_secs(10),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// What one configuration provides at run time.
pub(crate) struct Runtime {
    pub config: Config,
    pub receivers: HashMap<String, Vec<Arc<Integration>>>,
    pub templates: Arc<Templates>,
}

impl Runtime {
    fn build(config: &Config) -> Result<Runtime> {
        let invalid = |message: String| Error::Invalid { path: PathBuf::from("<alertmanager config>"), message };
        let mut receivers = HashMap::new();
        for r in &config.receivers {
            receivers.insert(r.name.clone(), build_receiver(r).map_err(invalid)?);
        }
        let mut texts = Vec::new();
        for pattern in &config.templates {
            let paths = glob::glob(pattern).map_err(|e| invalid(format!("invalid template glob {pattern:?}: {e}")))?;
            for p in paths.flatten() {
                let text = std::fs::read_to_string(&p).map_err(|source| Error::Io { path: p.clone(), source })?;
                texts.push((p.display().to_string(), text));
            }
        }
        let templates = Templates::new(&texts).map_err(|e| invalid(format!("cannot parse templates: {e}")))?;
        Ok(Runtime { config: config.clone(), receivers, templates: Arc::new(templates) })
    }
}

/// State shared by the manager, its dispatcher and their tasks.
pub(crate) struct Shared {
    pub store: AlertStore,
    pub silences: Silences,
    pub nflog: NotificationLog,
    pub metrics: Metrics,
    pub opts: Options,
    nflog_dirty: AtomicBool,
}

impl Shared {
    /// Called after a notification was logged: snapshot the log soon, so that
    /// a crash does not forget it.
    pub(crate) fn nflog_changed(self: &Arc<Self>) {
        if self.nflog_dirty.swap(true, Ordering::SeqCst) {
            return;
        }
        let me = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            me.nflog_dirty.store(false, Ordering::SeqCst);
            me.snapshot_nflog();
        });
    }

    fn snapshot_nflog(&self) {
        self.metrics.nflog_entries.set(i64::try_from(self.nflog.len()).unwrap_or(i64::MAX));
        match self.nflog.snapshot() {
            Ok(n) => {
                self.metrics.nflog_snapshot_size.set(i64::try_from(n).unwrap_or(i64::MAX));
            }
            Err(e) => tracing::error!(err = %e, "cannot write notification log snapshot"),
        }
    }

    fn maintenance(&self) {
        let now = now_ms();
        let removed = self.nflog.gc(now);
        self.metrics.nflog_gc.inc_by(removed as u64);
        self.snapshot_nflog();
        self.silences.gc(now);
        if let Err(e) = self.silences.snapshot() {
            tracing::error!(err = %e, "cannot write silences snapshot");
        }
    }
}

/// An alert's state as the API v2 reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertStatus {
    /// `active`, `suppressed` or `unprocessed`.
    pub state: &'static str,
    /// IDs of the silences muting it.
    pub silenced_by: Vec<String>,
    /// Fingerprints of the alerts inhibiting it.
    pub inhibited_by: Vec<String>,
}

/// An alert with its receivers and status, for the API.
#[derive(Debug, Clone)]
pub struct AlertView {
    /// The alert.
    pub alert: Alert,
    /// The receivers its routes reach, in routing order.
    pub receivers: Vec<String>,
    /// Its status now.
    pub status: AlertStatus,
}

/// An aggregation group, for the API.
#[derive(Debug, Clone)]
pub struct AlertGroupView {
    /// The group labels.
    pub labels: Labels,
    /// The receiver.
    pub receiver: String,
    /// The group's alerts (as the group holds them).
    pub alerts: Vec<AlertView>,
}

/// The running alert manager.
pub struct Alertmanager {
    shared: Arc<Shared>,
    dispatcher: Mutex<Arc<Dispatcher>>,
    original: RwLock<String>,
    maintenance: Mutex<Option<tokio::task::JoinHandle<()>>>,
    started_at_ms: i64,
    stopped: AtomicBool,
}

impl std::fmt::Debug for Alertmanager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alertmanager").field("started_at_ms", &self.started_at_ms).finish_non_exhaustive()
    }
}

impl Alertmanager {
    /// Starts the alert manager with `config`, keeping its silences and
    /// notification log under `data_dir` (created if missing; snapshots that
    /// do not decode are moved aside and the state starts empty). Must be
    /// called within a tokio runtime: it spawns the maintenance task. Blocks
    /// briefly to read the snapshots. Fails when `data_dir` cannot be created,
    /// a receiver's client cannot be built (e.g. an unreadable CA file) or the
    /// templates do not parse.
    pub fn new(config: Config, data_dir: &Path, opts: Options) -> Result<Arc<Self>> {
        std::fs::create_dir_all(data_dir).map_err(|source| Error::Io { path: data_dir.to_path_buf(), source })?;
        let retention_ms = i64::try_from(opts.retention.as_millis()).unwrap_or(i64::MAX);
        let runtime = Arc::new(Runtime::build(&config)?);
        let shared = Arc::new(Shared {
            store: AlertStore::default(),
            silences: Silences::open(Some(data_dir), retention_ms),
            nflog: NotificationLog::open(Some(data_dir), retention_ms),
            metrics: Metrics::default(),
            opts,
            nflog_dirty: AtomicBool::new(false),
        });
        let dispatcher = Dispatcher::new(Arc::clone(&shared), runtime);
        let am = Arc::new(Alertmanager {
            shared: Arc::clone(&shared),
            dispatcher: Mutex::new(dispatcher),
            original: RwLock::new(String::new()),
            maintenance: Mutex::new(None),
            started_at_ms: now_ms(),
            stopped: AtomicBool::new(false),
        });
        *am.maintenance.lock() = Some(tokio::spawn(maintenance_loop(shared)));
        am.refresh_gauges();
        Ok(am)
    }

    /// Swaps in a new configuration: routes, inhibit rules, receivers,
    /// templates, time intervals. Alerts, silences and the notification log
    /// are kept; aggregation groups are rebuilt from the stored alerts (the
    /// notification log keeps them from re-sending). On error the old
    /// configuration stays.
    pub fn apply_config(&self, config: &Config) -> Result<()> {
        let runtime = Arc::new(Runtime::build(config)?);
        let new = Dispatcher::new(Arc::clone(&self.shared), runtime);
        let old = std::mem::replace(&mut *self.dispatcher.lock(), Arc::clone(&new));
        old.stop();
        if !self.stopped.load(Ordering::SeqCst) {
            for a in self.shared.store.list() {
                new.process(&a);
            }
        } else {
            new.stop();
        }
        Ok(())
    }

    /// Sets the configuration text the status API shows (`config.original`,
    /// what `amtool config show` prints).
    pub fn set_config_original(&self, yaml: String) {
        *self.original.write() = yaml;
    }

    /// The configuration text set by [`Alertmanager::set_config_original`].
    pub fn config_original(&self) -> String {
        self.original.read().clone()
    }

    /// The current configuration.
    pub fn config(&self) -> Config {
        self.dispatcher.lock().runtime.config.clone()
    }

    /// Stops dispatching (in-flight notifications are cancelled) and the
    /// maintenance task, then writes the snapshots (blocking). Later alerts
    /// are still stored but not notified.
    pub fn stop(&self) {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        self.dispatcher.lock().stop();
        if let Some(h) = self.maintenance.lock().take() {
            h.abort();
        }
        self.shared.snapshot_nflog();
        if let Err(e) = self.shared.silences.snapshot() {
            tracing::error!(err = %e, "cannot write silences snapshot");
        }
    }

    /// When the manager started, Unix milliseconds.
    pub fn started_at_ms(&self) -> i64 {
        self.started_at_ms
    }

    /// The options it runs with.
    pub fn options(&self) -> &Options {
        &self.shared.opts
    }

    /// Accepts alerts as the API v2 `POST /api/v2/alerts` does: fills missing
    /// times (`resolve_timeout` for a missing end), drops empty label values,
    /// stores the valid ones and routes them. Returns the validation errors of
    /// the invalid ones joined with `; ` (the valid ones are stored anyway).
    pub fn put_alerts(&self, alerts: Vec<PostableAlert>) -> std::result::Result<(), String> {
        let now = now_ms();
        let dispatcher = Arc::clone(&self.dispatcher.lock());
        let resolve_ms =
            i64::try_from(dispatcher.runtime.config.global.resolve_timeout.as_millis()).unwrap_or(i64::MAX);
        let mut errors = Vec::new();
        for p in alerts {
            match accept(p, now, resolve_ms) {
                Ok(a) => {
                    let status = if a.resolved_at(now) { "resolved" } else { "firing" };
                    self.shared.metrics.alerts_received.get_or_create(&vec![("status".into(), status.into())]).inc();
                    let stored = self.shared.store.put(a);
                    dispatcher.process(&stored);
                }
                Err(e) => {
                    self.shared.metrics.alerts_invalid.inc();
                    errors.push(e);
                }
            }
        }
        self.refresh_gauges();
        if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
    }

    fn status_of(&self, rt: &Runtime, all: &[Alert], a: &Alert, now: i64) -> AlertStatus {
        let inhibited_by: Vec<String> = crate::inhibit::mutes(&rt.config.inhibit_rules, all, &a.labels, now)
            .and_then(|i| all.get(i))
            .map(|s| vec![s.fingerprint().to_string()])
            .unwrap_or_default();
        let silenced_by = self.shared.silences.mutes(&a.labels, now);
        let state = if silenced_by.is_empty() && inhibited_by.is_empty() { "active" } else { "suppressed" };
        AlertStatus { state, silenced_by, inhibited_by }
    }

    fn view(&self, rt: &Runtime, all: &[Alert], a: Alert, now: i64) -> AlertView {
        let receivers = rt.config.route.match_labels(&a.labels).iter().map(|r| r.opts.receiver.clone()).collect();
        let status = self.status_of(rt, all, &a, now);
        AlertView { alert: a, receivers, status }
    }

    /// Every stored alert that is not resolved, with receivers and status,
    /// sorted by fingerprint (as the API v2 lists them).
    pub fn alerts(&self) -> Vec<AlertView> {
        let now = now_ms();
        let rt = Arc::clone(&self.dispatcher.lock().runtime);
        let all = self.shared.store.list();
        let mut out: Vec<AlertView> =
            all.iter().filter(|a| !a.resolved_at(now)).map(|a| self.view(&rt, &all, a.clone(), now)).collect();
        out.sort_by_key(|v| v.alert.fingerprint().to_string());
        out
    }

    /// The stored alert with fingerprint `fp`.
    pub fn alert(&self, fp: Fingerprint) -> Option<Alert> {
        self.shared.store.get(fp)
    }

    /// The aggregation groups with their alerts, as `GET /api/v2/alerts/groups`.
    pub fn groups(&self) -> Vec<AlertGroupView> {
        let now = now_ms();
        let dispatcher = Arc::clone(&self.dispatcher.lock());
        let rt = Arc::clone(&dispatcher.runtime);
        let all = self.shared.store.list();
        dispatcher
            .groups()
            .into_iter()
            .filter_map(|ag| {
                let mut alerts: Vec<AlertView> = ag
                    .alerts()
                    .into_iter()
                    .filter(|a| !a.resolved_at(now))
                    .map(|a| self.view(&rt, &all, a, now))
                    .collect();
                if alerts.is_empty() {
                    return None;
                }
                alerts.sort_by(|a, b| crate::dispatch::alert_order(&a.alert, &b.alert));
                Some(AlertGroupView { labels: ag.labels.clone(), receiver: ag.opts.receiver.clone(), alerts })
            })
            .collect()
    }

    /// The receiver names, in configuration order.
    pub fn receivers(&self) -> Vec<String> {
        self.dispatcher.lock().runtime.config.receivers.iter().map(|r| r.name.clone()).collect()
    }

    /// Creates or updates a silence (Alertmanager's semantics: an update
    /// that rewrites history gets a new ID); returns the ID.
    pub fn set_silence(&self, s: Silence) -> std::result::Result<String, SilenceError> {
        let r = self.shared.silences.set(s, now_ms());
        self.after_silence_change();
        r
    }

    /// Expires a silence now.
    pub fn expire_silence(&self, id: &str) -> std::result::Result<(), SilenceError> {
        let r = self.shared.silences.expire(id, now_ms());
        self.after_silence_change();
        r
    }

    fn after_silence_change(&self) {
        self.refresh_gauges();
        let shared = Arc::clone(&self.shared);
        // Persist at once so a restart keeps the change; off the async threads.
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::task::spawn_blocking(move || {
                if let Err(e) = shared.silences.snapshot() {
                    tracing::error!(err = %e, "cannot write silences snapshot");
                }
            });
        }
    }

    /// The silence `id`.
    pub fn silence(&self, id: &str) -> Option<Silence> {
        self.shared.silences.get(id)
    }

    /// Every silence, in Alertmanager's API order: active by end, then
    /// pending by start, then expired by end (latest first).
    pub fn silences(&self) -> Vec<Silence> {
        let now = now_ms();
        let mut v = self.shared.silences.list();
        let rank = |s: &Silence| match s.state(now) {
            SilenceState::Active => (0, s.ends_at_ms),
            SilenceState::Pending => (1, s.starts_at_ms),
            SilenceState::Expired => (2, -s.ends_at_ms),
        };
        v.sort_by_key(rank);
        v
    }

    /// Registers the alert manager's metrics.
    pub fn register_metrics(&self, reg: &mut Registry) {
        self.shared.metrics.register(reg);
    }

    fn refresh_gauges(&self) {
        let now = now_ms();
        let views = self.alerts();
        let suppressed = views.iter().filter(|v| v.status.state == "suppressed").count();
        let m = &self.shared.metrics;
        m.alerts.get_or_create(&state("active")).set(i64::try_from(views.len() - suppressed).unwrap_or(0));
        m.alerts.get_or_create(&state("suppressed")).set(i64::try_from(suppressed).unwrap_or(0));
        let mut counts = [0i64; 3];
        for s in self.shared.silences.list() {
            let i = match s.state(now) {
                SilenceState::Active => 0,
                SilenceState::Pending => 1,
                SilenceState::Expired => 2,
            };
            if let Some(c) = counts.get_mut(i) {
                *c += 1;
            }
        }
        for (name, c) in ["active", "pending", "expired"].iter().zip(counts) {
            m.silences.get_or_create(&state(name)).set(c);
        }
        m.nflog_entries.set(i64::try_from(self.shared.nflog.len()).unwrap_or(i64::MAX));
    }
}

async fn maintenance_loop(shared: Arc<Shared>) {
    let mut maint = tokio::time::interval(shared.opts.maintenance_interval);
    let mut gc = tokio::time::interval(shared.opts.alert_gc_interval);
    maint.tick().await;
    gc.tick().await;
    loop {
        tokio::select! {
            _ = maint.tick() => {
                let s = Arc::clone(&shared);
                let _ = tokio::task::spawn_blocking(move || s.maintenance()).await;
            }
            _ = gc.tick() => {
                shared.store.gc(now_ms());
            }
        }
    }
}

impl AlertSink for Alertmanager {
    fn send(&self, alerts: Vec<PostableAlert>) {
        if let Err(e) = self.put_alerts(alerts) {
            tracing::warn!(err = %e, "rules engine sent invalid alerts");
        }
    }
}
