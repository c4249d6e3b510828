//! Remote write out and remote read against the real peers Debian ships:
//! argus scrapes itself and remote-writes to Prometheus 2.42
//! (`--web.enable-remote-write-receiver`) and to VictoriaMetrics at once;
//! a receiver outage leaves no gap once it is back; argus reads a
//! Prometheus' own series back through `remote_read`.
//!
//! Every process is started through [`Proc`] (or `util::Server`), which
//! kills it when dropped, so a failing assertion stops them too.

mod util;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use util::Server;

const PROMETHEUS: &str = "/usr/bin/prometheus";
const VICTORIA: &str = "/usr/bin/victoria-metrics";

/// A child process killed (and reaped) on drop.
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(cmd: &mut Command, log: PathBuf) -> Proc {
        let f = std::fs::File::create(&log).expect("create log");
        let child = cmd.stdout(Stdio::null()).stderr(f).spawn().expect("spawn peer");
        Proc { child, log }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then wait (bounded) for exit, then SIGKILL.
    fn stop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn require(bin: &str, package: &str) {
    assert!(
        Path::new(bin).exists(),
        "{bin} is missing; ./test.sh installs it (apt-get install {package}); this test does not skip"
    );
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("timed out waiting for {what}");
}

fn query(port: u16, q: &str) -> serde_json::Value {
    let path = format!("/api/v1/query?query={}", encode(q));
    match util::http(port, "GET", &path, "") {
        Some((200, body)) => serde_json::from_str(&body).unwrap_or_default(),
        _ => serde_json::Value::Null,
    }
}

fn result_len(port: u16, q: &str) -> usize {
    query(port, q)["data"]["result"].as_array().map_or(0, Vec::len)
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn prometheus(dir: &Path, port: u16, extra_config: &str) -> Proc {
    let cfg = dir.join(format!("prom-{port}.yml"));
    std::fs::write(&cfg, format!("global:\n  scrape_interval: 1s\n{extra_config}")).unwrap();
    Proc::spawn(
        Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join(format!("pdata-{port}")).display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--web.enable-remote-write-receiver"),
        dir.join(format!("prom-{port}.log")),
    )
}

fn argus_config(dir: &Path, remote: &str) -> PathBuf {
    let cfg = dir.join("argus.yml");
    std::fs::write(
        &cfg,
        format!(
            "global:\n  scrape_interval: 1s\n  external_labels:\n    site: test\n\
             scrape_configs:\n  - job_name: argus\n    static_configs:\n      - targets: [localhost:9090]\n{remote}"
        ),
    )
    .unwrap();
    cfg
}

fn queue(name: &str, url: &str) -> String {
    format!(
        "  - url: {url}\n    name: {name}\n    remote_timeout: 5s\n    queue_config: {{batch_send_deadline: 200ms, min_backoff: 50ms, max_backoff: 500ms}}\n"
    )
}

/// A metric of argus' /metrics with exactly these label pairs, or None.
fn argus_metric(argus: &Server, name: &str, labels: &str) -> Option<f64> {
    let (_, body) = argus.get("/metrics");
    body.lines().filter(|l| l.starts_with(name) && l.contains(labels)).find_map(|l| l.rsplit(' ').next()?.parse().ok())
}

#[test]
fn argus_remote_writes_to_prometheus_and_victoriametrics() {
    require(PROMETHEUS, "prometheus");
    require(VICTORIA, "victoria-metrics");
    let dir = tempfile::tempdir().unwrap();
    let pport = util::free_port();
    let _prom = prometheus(dir.path(), pport, "");
    let vport = util::free_port();
    let _vm = Proc::spawn(
        Command::new(VICTORIA)
            .arg(format!("-httpListenAddr=127.0.0.1:{vport}"))
            .arg(format!("-storageDataPath={}", dir.path().join("vmdata").display()))
            .arg("-search.latencyOffset=0s")
            .arg("-search.disableCache"),
        dir.path().join("vm.log"),
    );
    let remote = format!(
        "remote_write:\n{}{}",
        queue("prom", &format!("http://127.0.0.1:{pport}/api/v1/write")),
        queue("vm", &format!("http://127.0.0.1:{vport}/api/v1/write"))
    );
    let cfg = argus_config(dir.path(), &remote);
    let argus = Server::start(dir.path(), &[&format!("--config.file={}", cfg.display())]);

    // Argus' own series, with the external label, in both receivers.
    wait_for("argus_build_info in Prometheus", 60, || {
        result_len(pport, "argus_build_info{site=\"test\",job=\"argus\"}") == 1
    });
    wait_for("argus_build_info in VictoriaMetrics", 60, || {
        result_len(vport, "argus_build_info{site=\"test\",job=\"argus\"}") == 1
    });
    // And many series, not just one: `up` and the scrape series arrive too.
    wait_for("up in both", 30, || {
        result_len(pport, "up{job=\"argus\"}") == 1 && result_len(vport, "up{job=\"argus\"}") == 1
    });
    assert!(result_len(pport, "{job=\"argus\"}") > 50, "few series in Prometheus");

    for name in ["prom", "vm"] {
        let l = format!("remote_name=\"{name}\"");
        let sent = argus_metric(&argus, "argus_remote_storage_samples_total", &l).unwrap_or(0.0);
        assert!(sent > 0.0, "no samples sent to {name}:\n{}", argus.get("/metrics").1);
        assert_eq!(argus_metric(&argus, "argus_remote_storage_samples_failed_total", &l), Some(0.0));
        let highest = argus_metric(&argus, "argus_remote_storage_queue_highest_sent_timestamp_seconds", &l).unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
        assert!(now - highest < 60.0, "highest sent {highest} is stale (now {now})");
        assert_eq!(argus_metric(&argus, "argus_remote_storage_shards{", &l), Some(1.0));
    }
}

/// Raw sample timestamps (ms) of `argus_build_info` in Prometheus over the last `range`.
fn raw_timestamps(port: u16, range: &str) -> Vec<i64> {
    let v = query(port, &format!("argus_build_info{{job=\"argus\"}}[{range}]"));
    let Some(vals) = v["data"]["result"][0]["values"].as_array() else { return Vec::new() };
    vals.iter().filter_map(|p| p[0].as_f64()).map(|t| (t * 1000.0).round() as i64).collect()
}

#[test]
fn a_receiver_outage_leaves_no_gap() {
    require(PROMETHEUS, "prometheus");
    let dir = tempfile::tempdir().unwrap();
    let pport = util::free_port();
    let mut prom = prometheus(dir.path(), pport, "");
    let remote = format!("remote_write:\n{}", queue("prom", &format!("http://127.0.0.1:{pport}/api/v1/write")));
    let cfg = argus_config(dir.path(), &remote);
    let argus = Server::start(dir.path(), &[&format!("--config.file={}", cfg.display())]);
    wait_for("first samples in Prometheus", 60, || raw_timestamps(pport, "1m").len() >= 3);

    prom.stop();
    let down = now_ms();
    // Let argus scrape ~10 times while nobody receives.
    std::thread::sleep(Duration::from_secs(10));
    wait_for("argus retrying", 30, || {
        argus_metric(&argus, "argus_remote_storage_samples_retried_total", "remote_name=\"prom\"").unwrap_or(0.0) > 0.0
    });
    let up_again = now_ms();
    let _prom2 = prometheus(dir.path(), pport, "");
    // Caught up: samples newer than the restart arrive.
    wait_for("samples after the restart", 90, || {
        raw_timestamps(pport, "5m").last().is_some_and(|&t| t > up_again + 2000)
    });

    let ts = raw_timestamps(pport, "5m");
    let during = ts.iter().filter(|&&t| t > down && t < up_again).count();
    assert!(during >= 8, "only {during} samples from the outage arrived: {ts:?}");
    let gaps: Vec<i64> = ts.windows(2).map(|w| w[1] - w[0]).collect();
    let worst = gaps.iter().copied().max().unwrap_or(0);
    // Scrapes are 1s apart; allow a slow scrape but no hole.
    assert!(worst <= 2500, "gap of {worst} ms in {ts:?}");
    assert_eq!(argus_metric(&argus, "argus_remote_storage_samples_failed_total", "remote_name=\"prom\""), Some(0.0));
    let _ = prom.log_text();
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

#[test]
fn argus_reads_history_from_prometheus() {
    require(PROMETHEUS, "prometheus");
    let dir = tempfile::tempdir().unwrap();
    let pport = util::free_port();
    let prom = prometheus(
        dir.path(),
        pport,
        &format!("scrape_configs:\n  - job_name: prom\n    static_configs:\n      - targets: ['127.0.0.1:{pport}']\n"),
    );
    wait_for("Prometheus' own series", 60, || result_len(pport, "prometheus_build_info") == 1);
    let cfg = dir.path().join("argus.yml");
    std::fs::write(
        &cfg,
        format!(
            "global:\n  scrape_interval: 1s\n\
             scrape_configs:\n  - job_name: argus\n    static_configs:\n      - targets: [localhost:9090]\n\
             remote_read:\n  - url: http://127.0.0.1:{pport}/api/v1/read\n    read_recent: true\n\
             \x20 - url: http://127.0.0.1:{pport}/api/v1/read\n    required_matchers: {{job: nope}}\n"
        ),
    )
    .unwrap();
    let argus = Server::start(dir.path(), &[&format!("--config.file={}", cfg.display())]);
    // Series argus never scraped come from Prometheus...
    wait_for("prometheus_build_info through remote_read", 30, || result_len(argus.port, "prometheus_build_info") == 1);
    let v = query(argus.port, "up{job=\"prom\"}");
    assert_eq!(v["data"]["result"][0]["value"][1], "1", "{v}");
    // ...and local series still answer, merged with nothing remote.
    wait_for("argus' own series", 30, || result_len(argus.port, "argus_build_info") == 1);
    // A range query over remote data has Prometheus' samples (1s scrapes).
    wait_for("several remote samples in a range", 30, || {
        let v = query(argus.port, "count_over_time(prometheus_build_info[1m])");
        v["data"]["result"][0]["value"][1].as_str().and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0) >= 3.0
    });
    // required_matchers: the second entry is never asked (no job="nope" matcher), so
    // the result is the first entry's series once, not a merge failure.
    assert_eq!(result_len(argus.port, "prometheus_build_info"), 1);
    drop(prom);
    // With the remote gone, local queries still work.
    assert_eq!(result_len(argus.port, "argus_build_info"), 1);
}
