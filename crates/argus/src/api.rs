//! Builds the v1 API's view of the process: a storage handle that answers
//! "unavailable" until the WAL replay is done, the engine, flags, config and
//! status documents.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, RwLock};

use argus_model::storage::{Querier, Queryable, StorageError, StorageResult};
use argus_tsdb::Db;

/// Storage that exists only after start-up; queries before that get 503.
pub(crate) struct LateStorage(pub Arc<OnceLock<Arc<Db>>>);

impl Queryable for LateStorage {
    fn querier(&self, mint: i64, maxt: i64) -> StorageResult<Box<dyn Querier>> {
        match self.0.get() {
            Some(db) => db.querier(mint, maxt),
            None => Err(StorageError::Unavailable("storage is starting (WAL replay in progress)".into())),
        }
    }
}

/// Writes before start-up finish fail as unavailable (the sender retries).
impl argus_model::storage::Appendable for LateStorage {
    fn appender(&self) -> Box<dyn argus_model::storage::Appender> {
        match self.0.get() {
            Some(db) => db.appender(),
            None => Box::new(Unavailable),
        }
    }
}

/// What queries read: local storage, merged (local first) with the
/// config's `remote_read` endpoints when there are any. The remotes are
/// swapped on config reload.
pub(crate) struct QueryStorage {
    local: Arc<LateStorage>,
    remotes: RwLock<Vec<Arc<dyn Queryable>>>,
}

impl QueryStorage {
    pub(crate) fn new(local: Arc<LateStorage>) -> Self {
        QueryStorage { local, remotes: RwLock::new(Vec::new()) }
    }

    pub(crate) fn set_remotes(&self, remotes: Vec<Arc<dyn Queryable>>) {
        if let Ok(mut r) = self.remotes.write() {
            *r = remotes;
        }
    }
}

impl Queryable for QueryStorage {
    fn querier(&self, mint: i64, maxt: i64) -> StorageResult<Box<dyn Querier>> {
        let remotes = self.remotes.read().map(|r| r.clone()).unwrap_or_default();
        if remotes.is_empty() {
            return self.local.querier(mint, maxt);
        }
        argus_remote::Fanout::new(self.local.clone(), remotes).querier(mint, maxt)
    }
}

struct Unavailable;

impl argus_model::storage::Appender for Unavailable {
    fn append(
        &mut self,
        _: argus_model::storage::SeriesRef,
        _: &argus_model::Labels,
        _: i64,
        _: f64,
    ) -> StorageResult<argus_model::storage::SeriesRef> {
        Err(StorageError::Unavailable("storage is starting (WAL replay in progress)".into()))
    }
    fn commit(self: Box<Self>) -> StorageResult<()> {
        Ok(())
    }
    fn rollback(self: Box<Self>) {}
}

pub(crate) struct Inputs {
    pub db: Arc<OnceLock<Arc<Db>>>,
    /// Local storage plus remote reads, for the query API.
    pub storage: Arc<dyn Queryable>,
    pub engine: argus_promql::Engine,
    pub flags: BTreeMap<String, String>,
    pub config_yaml: Arc<RwLock<String>>,
    pub reload_ok: Arc<std::sync::atomic::AtomicBool>,
    pub retention: String,
    pub enable_admin_api: bool,
    pub external_labels: Arc<RwLock<argus_model::Labels>>,
    pub scrape: Option<Arc<argus_scrape::ScrapeManager>>,
    pub rules: Option<Arc<argus_rules::Manager>>,
}

pub(crate) fn state(i: Inputs) -> argus_web::ApiState {
    let start = crate::logging::now_rfc3339();
    let cwd = std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_default();
    let (db_rt, db_ts, db_snap) = (i.db.clone(), i.db.clone(), i.db.clone());
    let snapshot: Option<argus_web::SnapshotFn> = i.enable_admin_api.then(|| {
        let f: argus_web::SnapshotFn = Arc::new(move |skip_head: bool| {
            let db = db_snap.get().ok_or_else(|| "storage is starting".to_string())?;
            // Prometheus names snapshots <UTC time>-<random hex>.
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            let name = format!(
                "{}-{:016x}",
                crate::logging::rfc3339_millis(now.as_millis() as i64).replace([':', '.'], ""),
                now.as_nanos() as u64
            );
            let dir = db.dir().join("snapshots").join(&name);
            db.snapshot(&dir, !skip_head).map_err(|e| e.to_string())?;
            Ok(name)
        });
        f
    });
    let views = views(&i);
    let reload_ok = i.reload_ok.clone();
    let retention = i.retention.clone();
    let cfg = i.config_yaml.clone();
    argus_web::ApiState {
        storage: i.storage,
        engine: i.engine,
        build: argus_web::BuildInfo {
            version: crate::cli::VERSION.into(),
            revision: env!("ARGUS_GIT_REVISION").into(),
            build_date: env!("ARGUS_BUILD_DATE").into(),
        },
        flags: i.flags,
        config_yaml: Arc::new(move || cfg.read().map(|s| s.clone()).unwrap_or_default()),
        runtime_info: Arc::new(move || {
            let corruption = db_rt
                .get()
                .map(|db| db.metrics().iter().filter(|(n, _, _)| n.contains("corrupt")).map(|x| x.2).sum::<f64>())
                .unwrap_or(0.0);
            serde_json::json!({
                "startTime": start,
                "CWD": cwd,
                "reloadConfigSuccess": reload_ok.load(std::sync::atomic::Ordering::Relaxed),
                "lastConfigTime": start,
                "corruptionCount": corruption as u64,
                "goroutineCount": 0,
                "GOMAXPROCS": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
                "GOGC": "",
                "GODEBUG": "",
                "storageRetention": retention,
            })
        }),
        snapshot,
        views,
        external_labels: {
            let ext = i.external_labels.clone();
            Arc::new(move || ext.read().map(|l| l.clone()).unwrap_or_else(|_| argus_model::Labels::empty()))
        },
        tsdb_status: Arc::new(move || {
            let Some(db) = db_ts.get() else { return serde_json::json!({}) };
            let h = db.head();
            let c = h.cardinality(10);
            let list = |v: &[(String, u64)]| -> Vec<serde_json::Value> {
                v.iter().map(|(n, c)| serde_json::json!({"name": n, "value": c})).collect()
            };
            let (mint, maxt) = (h.min_time(), h.max_time());
            serde_json::json!({
                "headStats": {
                    "numSeries": h.num_series(),
                    "numLabelPairs": c.label_pairs,
                    "chunkCount": h.num_chunks(),
                    "minTime": if mint == i64::MAX { 0 } else { mint },
                    "maxTime": if maxt == i64::MIN { 0 } else { maxt },
                },
                "seriesCountByMetricName": list(&c.series_by_metric_name),
                "labelValueCountByLabelName": list(&c.values_by_label_name),
                "memoryInBytesByLabelName": [],
                "seriesCountByLabelValuePair": list(&c.series_by_label_pair),
            })
        }),
    }
}

/// The v1 API's views of the scrape manager (targets, pools, metadata).
fn views(i: &Inputs) -> argus_web::Views {
    let mut v = argus_web::Views::default();
    if let Some(m) = &i.scrape {
        let (t, p, md) = (m.clone(), m.clone(), m.clone());
        v.targets = Some(Arc::new(move |state: &str| {
            let state: argus_scrape::TargetState = state.parse()?;
            serde_json::to_value(t.targets(state)).map_err(|e| e.to_string())
        }));
        v.scrape_pools = Some(Arc::new(move || serde_json::json!(p.scrape_pools())));
        v.targets_metadata = Some(Arc::new(move |ms: &[argus_model::Matcher], metric: Option<&str>, limit| {
            md.targets_metadata(ms, metric, limit)
                .into_iter()
                .map(|e| argus_web::MetadataEntry {
                    target: e.target,
                    metric: e.metric.or_else(|| metric.map(str::to_string)).unwrap_or_default(),
                    kind: e.kind,
                    help: e.help,
                    unit: e.unit,
                })
                .collect()
        }));
    }
    if let Some(r) = &i.rules {
        let (g, a) = (r.clone(), r.clone());
        v.rules = Some(Arc::new(move |kind: &str| {
            serde_json::to_value(g.rule_groups_filtered((!kind.is_empty()).then_some(kind))).unwrap_or_default()
        }));
        v.alerts = Some(Arc::new(move || serde_json::to_value(a.alerts()).unwrap_or_default()));
    }
    v
}
