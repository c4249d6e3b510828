//! argus' own metrics for `/metrics`: build info, process metrics read from
//! `/proc/self`, and the storage engine's counters, all as `argus_*` or the
//! conventional `process_*` names.

use std::sync::{Arc, OnceLock};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;

/// A late-bound source of storage statistics (the DB opens after the HTTP server starts).
pub(crate) type StatsSource = Arc<OnceLock<Arc<argus_tsdb::Db>>>;

pub(crate) fn registry(
    db: StatsSource,
    node: Arc<argus_node::NodeCollector>,
    push: Arc<argus_push::PushStore>,
    reload: Arc<ReloadStatus>,
    remote_write: Arc<argus_web::RemoteWriteStats>,
) -> Registry {
    let mut reg = Registry::default();
    let build: Family<Vec<(String, String)>, Gauge> = Family::default();
    build
        .get_or_create(&vec![
            ("version".into(), crate::cli::VERSION.into()),
            ("revision".into(), env!("ARGUS_GIT_REVISION").into()),
            ("build_date".into(), env!("ARGUS_BUILD_DATE").into()),
        ])
        .set(1);
    reg.register(
        "argus_build_info",
        "A metric with a constant '1' value labeled by version, revision and build date",
        build,
    );
    reg.register_collector(Box::new(ProcessCollector));
    reg.register_collector(Box::new(TsdbCollector(db)));
    reg.register_collector(Box::new(IngestCollector { node, push }));
    reg.register_collector(Box::new(ReloadCollector(reload)));
    reg.register_collector(Box::new(RemoteWriteCollector(remote_write)));
    reg
}

pub(crate) fn render(reg: &Registry) -> String {
    let mut s = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut s, reg) {
        tracing::error!(err = %e, "cannot encode self metrics");
    }
    s
}

pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

fn counter(enc: &mut DescriptorEncoder, name: &str, help: &str, v: f64) -> Result<(), std::fmt::Error> {
    let c = ConstCounter::new(v);
    c.encode(enc.encode_descriptor(name, help, None, c.metric_type())?)
}

fn gauge(enc: &mut DescriptorEncoder, name: &str, help: &str, v: f64) -> Result<(), std::fmt::Error> {
    let g = ConstGauge::new(v);
    g.encode(enc.encode_descriptor(name, help, None, g.metric_type())?)
}

#[derive(Debug)]
struct ProcessCollector;

impl Collector for ProcessCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(p) = ProcStat::read() else {
            return Ok(());
        };
        counter(&mut enc, "process_cpu_seconds", "Total user and system CPU time spent in seconds", p.cpu_seconds)?;
        gauge(&mut enc, "process_resident_memory_bytes", "Resident memory size in bytes", p.rss_bytes)?;
        gauge(&mut enc, "process_virtual_memory_bytes", "Virtual memory size in bytes", p.vsize_bytes)?;
        gauge(
            &mut enc,
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds",
            p.start_time,
        )?;
        gauge(&mut enc, "process_open_fds", "Number of open file descriptors", p.open_fds)?;
        Ok(())
    }
}

struct ProcStat {
    cpu_seconds: f64,
    rss_bytes: f64,
    vsize_bytes: f64,
    start_time: f64,
    open_fds: f64,
}

impl ProcStat {
    /// Reads `/proc/self/stat`; `None` off Linux or if the format surprises us.
    fn read() -> Option<ProcStat> {
        const TICKS: f64 = 100.0; // USER_HZ is 100 on every Linux we run on.
        const PAGE: f64 = 4096.0;
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after the parenthesised command name, which may contain spaces.
        let rest = stat.rsplit_once(')')?.1;
        let f: Vec<&str> = rest.split_whitespace().collect();
        let num = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok());
        let boot = std::fs::read_to_string("/proc/stat")
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("btime ").and_then(|v| v.trim().parse::<f64>().ok()))?;
        let open_fds = std::fs::read_dir("/proc/self/fd").map(|d| d.count() as f64).unwrap_or(0.0);
        Some(ProcStat {
            cpu_seconds: (num(11)? + num(12)?) / TICKS,
            vsize_bytes: num(20)?,
            rss_bytes: num(21)? * PAGE,
            start_time: boot + num(19)? / TICKS,
            open_fds,
        })
    }
}

struct TsdbCollector(StatsSource);

impl std::fmt::Debug for TsdbCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TsdbCollector")
    }
}

/// Statistics that are current values, not monotonic counts.
const GAUGES: &[&str] = &[
    "head_series",
    "blocks_loaded",
    "blocks_bytes",
    "wal_size_bytes",
    "head_min_time_seconds",
    "head_max_time_seconds",
];

impl Collector for TsdbCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(db) = self.0.get() else {
            return Ok(());
        };
        for (name, help, v) in db.metrics() {
            let full = format!("argus_tsdb_{name}");
            if GAUGES.contains(&name) {
                gauge(&mut enc, &full, help, v)?;
            } else {
                counter(&mut enc, &full, help, v)?;
            }
        }
        Ok(())
    }
}

/// Counters of the push gateway and the host collectors.
struct IngestCollector {
    node: Arc<argus_node::NodeCollector>,
    push: Arc<argus_push::PushStore>,
}

impl std::fmt::Debug for IngestCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IngestCollector")
    }
}

impl Collector for IngestCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let st = self.push.stats();
        let pushes: Family<Vec<(String, String)>, prometheus_client::metrics::counter::Counter> = Family::default();
        for ((method, outcome), n) in &st.pushes_total {
            pushes
                .get_or_create(&vec![("method".into(), method.to_string()), ("outcome".into(), outcome.to_string())])
                .inc_by(*n);
        }
        pushes.encode(enc.encode_descriptor(
            "argus_push_requests",
            "Pushes received, by method and outcome",
            None,
            pushes.metric_type(),
        )?)?;
        counter(&mut enc, "argus_push_deletes", "Group deletions received", st.deletes_total as f64)?;
        counter(
            &mut enc,
            "argus_push_received_bytes",
            "Bytes of push bodies received",
            st.bytes_received_total as f64,
        )?;
        gauge(&mut enc, "argus_push_groups", "Groups held by the push gateway", st.groups as f64)?;
        let fails: Family<Vec<(String, String)>, prometheus_client::metrics::counter::Counter> = Family::default();
        for (kind, n) in self.node.failure_counts() {
            fails.get_or_create(&vec![("collector".into(), kind.name().to_string())]).inc_by(n);
        }
        fails.encode(enc.encode_descriptor(
            "argus_node_collector_failures",
            "Host collector runs that failed, by collector",
            None,
            fails.metric_type(),
        )?)?;
        Ok(())
    }
}

/// Outcome of the last configuration (re)load, for
/// `argus_config_last_reload_successful` and the status API.
#[derive(Debug)]
pub(crate) struct ReloadStatus {
    pub ok: Arc<std::sync::atomic::AtomicBool>,
    /// Unix seconds of the last successful load.
    pub success_ts: std::sync::atomic::AtomicI64,
}

impl ReloadStatus {
    pub(crate) fn new(ok: Arc<std::sync::atomic::AtomicBool>) -> Arc<Self> {
        let s = Arc::new(ReloadStatus { ok, success_ts: Default::default() });
        s.record(true);
        s
    }

    /// Records a load attempt.
    pub(crate) fn record(&self, ok: bool) {
        use std::sync::atomic::Ordering;
        self.ok.store(ok, Ordering::Relaxed);
        if ok {
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            self.success_ts.store(now as i64, Ordering::Relaxed);
        }
    }
}

#[derive(Debug)]
struct ReloadCollector(Arc<ReloadStatus>);

impl Collector for ReloadCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        use std::sync::atomic::Ordering;
        gauge(
            &mut enc,
            "argus_config_last_reload_successful",
            "Whether the last configuration reload attempt was successful",
            if self.0.ok.load(Ordering::Relaxed) { 1.0 } else { 0.0 },
        )?;
        gauge(
            &mut enc,
            "argus_config_last_reload_success_timestamp_seconds",
            "Timestamp of the last successful configuration reload",
            self.0.success_ts.load(Ordering::Relaxed) as f64,
        )
    }
}

#[derive(Debug)]
struct RemoteWriteCollector(Arc<argus_web::RemoteWriteStats>);

impl Collector for RemoteWriteCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        use std::sync::atomic::Ordering::Relaxed;
        let s = &self.0;
        let get = |a: &std::sync::atomic::AtomicU64| a.load(Relaxed) as f64;
        counter(
            &mut enc,
            "argus_remote_write_received_requests",
            "Remote write requests committed",
            get(&s.requests_ok),
        )?;
        counter(
            &mut enc,
            "argus_remote_write_failed_requests",
            "Remote write requests refused (4xx) or failed (5xx)",
            get(&s.requests_failed),
        )?;
        counter(
            &mut enc,
            "argus_remote_write_received_samples",
            "Samples committed from remote write",
            get(&s.samples),
        )?;
        counter(
            &mut enc,
            "argus_remote_write_invalid_series",
            "Remote write series skipped for invalid labels",
            get(&s.invalid_series),
        )?;
        counter(
            &mut enc,
            "argus_remote_write_dropped_unsupported",
            "Exemplars and native histogram samples received and dropped",
            get(&s.dropped_unsupported),
        )
    }
}
