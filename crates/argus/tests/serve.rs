//! `argus serve` end to end: lifecycle endpoints, self-scrape, restart,
//! kill -9, lock file, and config reload.

mod util;

use std::time::{Duration, Instant};

use argus_model::storage::{Queryable, SelectHints};
use argus_model::{MatchOp, Matcher};
use util::Server;

fn fast_config(dir: &std::path::Path) -> String {
    let p = dir.join("fast.yml");
    std::fs::write(
        &p,
        "global:\n  scrape_interval: 100ms\nscrape_configs:\n  - job_name: argus\n    static_configs:\n      - targets: [localhost:9090]\n",
    )
    .unwrap();
    format!("--config.file={}", p.display())
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// Counts stored samples of `up{job="argus"}` by opening the data directory.
fn up_samples(data: &std::path::Path) -> usize {
    let db = argus_tsdb::Db::open(data, argus_tsdb::DbOptions { retention_time: 0, ..Default::default() }).unwrap();
    let q = db.querier(i64::MIN, i64::MAX).unwrap();
    let h = SelectHints { start: i64::MIN, end: i64::MAX, ..Default::default() };
    let ms = [Matcher::equal("__name__", "up"), Matcher::new(MatchOp::Equal, "job", "argus").unwrap()];
    q.select(&ms, &h).unwrap().map(|s| s.unwrap().samples.len()).sum()
}

/// Counts every stored sample (stale markers included) in a data directory.
fn all_samples(data: &std::path::Path) -> usize {
    let db = argus_tsdb::Db::open(data, argus_tsdb::DbOptions { retention_time: 0, ..Default::default() }).unwrap();
    let q = db.querier(i64::MIN, i64::MAX).unwrap();
    let h = SelectHints { start: i64::MIN, end: i64::MAX, ..Default::default() };
    let ms = [Matcher::new(MatchOp::Re, "__name__", ".+").unwrap()];
    q.select(&ms, &h).unwrap().map(|s| s.unwrap().samples.len()).sum()
}

#[test]
fn lifecycle_and_self_scrape() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(dir.path(), &[&fast_config(dir.path())]);
    assert_eq!(s.get("/-/healthy").0, 200);
    let (code, body) = s.get("/metrics");
    assert_eq!(code, 200);
    assert!(body.contains("argus_build_info{"), "{body}");
    wait_for("self-scrape samples", || s.metric("argus_tsdb_samples_appended_total").unwrap_or(0.0) > 200.0);
    assert!(s.metric("argus_tsdb_head_series").unwrap() > 10.0);
    assert_eq!(s.post("/-/reload", "").0, 200);
    assert_eq!(s.get("/-/reload").0, 405);
    s.signal("TERM");
    assert_eq!(s.wait(), Some(0));
    let log = s.log_text();
    assert!(log.contains("storage closed cleanly"), "{log}");
    // Everything scraped is there after a clean stop.
    let n = up_samples(&dir.path().join("data"));
    assert!(n >= 3, "{n} up samples; log:\n{log}");
}

#[test]
fn kill_9_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(dir.path(), &[&fast_config(dir.path())]);
    wait_for("a few scrapes", || s.metric("argus_tsdb_samples_appended_total").unwrap_or(0.0) > 200.0);
    let appended_before = s.metric("argus_tsdb_samples_appended_total").unwrap();
    s.signal("KILL");
    s.wait();
    let data = dir.path().join("data");
    // Every sample counted as appended was in the WAL before it was applied.
    let stored = all_samples(&data);
    assert!(stored as f64 >= appended_before, "stored {stored} samples, {appended_before} were acknowledged");
    assert!(up_samples(&data) > 0);
    // And the server starts again on the same directory after the crash.
    let mut s2 = Server::start(dir.path(), &[&fast_config(dir.path())]);
    assert!(s2.metric("argus_tsdb_head_series").unwrap() > 10.0, "replayed series");
    s2.signal("TERM");
    assert_eq!(s2.wait(), Some(0));
}

#[test]
fn a_locked_data_dir_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let _s = Server::start(dir.path(), &[]);
    let mut second = Server::spawn(dir.path(), &[]);
    let code = second.wait();
    assert_eq!(code, Some(1));
    let log = second.log_text();
    assert!(log.contains("in use by another argus process"), "{log}");
}

#[test]
fn bad_config_on_reload_keeps_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("p.yml");
    std::fs::write(&cfg, "global:\n  scrape_interval: 1s\n").unwrap();
    let s = Server::start(dir.path(), &[&format!("--config.file={}", cfg.display())]);
    std::fs::write(&cfg, "global:\n  scrape_interval: [oops\n").unwrap();
    let (code, body) = s.post("/-/reload", "");
    assert_eq!(code, 500);
    assert!(body.contains("p.yml") && body.contains("line"), "{body}");
    assert_eq!(s.get("/-/ready").0, 200);
    std::fs::write(&cfg, "global:\n  scrape_interval: 2s\n").unwrap();
    assert_eq!(s.post("/-/reload", "").0, 200);
}

#[test]
fn bad_flags_and_config_fail_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.yml");
    std::fs::write(&cfg, "global:\n  scrape_interval: 5\n").unwrap();
    let mut s = Server::spawn(dir.path(), &[&format!("--config.file={}", cfg.display())]);
    assert_eq!(s.wait(), Some(1));
    // Prometheus' message names the file and the reason; ours adds line:column.
    assert!(
        s.log_text().contains("bad.yml:2:") && s.log_text().contains("not a valid duration string"),
        "{}",
        s.log_text()
    );
    let out = util::run(&["serve", "--storage.tsdb.retention.time=forever"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("retention.time"));
}

/// A full disk (simulated with a file-size limit, so WAL writes fail with
/// EFBIG): ingestion errors are counted, queries and health keep answering,
/// and everything committed before is there after a restart.
#[test]
fn disk_full_keeps_serving_and_loses_nothing_stored() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = fast_config(dir.path());
    let port = util::free_port();
    let data = dir.path().join("data");
    let log = dir.path().join("full.log");
    let child = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -f 64; exec {} serve {cfg} --web.listen-address=127.0.0.1:{port} --storage.tsdb.path={} 2>{}",
            util::bin().display(),
            data.display(),
            log.display()
        ))
        .spawn()
        .unwrap();
    let metric = |name: &str| -> Option<f64> {
        let (_, body) = util::http(port, "GET", "/metrics", "")?;
        body.lines().find(|l| l.starts_with(name)).and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse().ok())
    };
    // Killed on every exit path, so a failed assertion leaks no server.
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let child = Kill(child);
    wait_for("WAL write failures", || metric("argus_tsdb_wal_write_failures_total").unwrap_or(0.0) > 0.0);
    let appended = metric("argus_tsdb_samples_appended_total").unwrap();
    assert_eq!(util::http(port, "GET", "/-/ready", "").map(|r| r.0), Some(200));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(util::http(port, "GET", "/-/healthy", "").map(|r| r.0), Some(200), "still serving");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("cannot write WAL"), "{text}");
    drop(child);
    // Without the limit, start-up repairs the WAL and keeps what was acknowledged.
    let stored = all_samples(&data);
    assert!(stored as f64 >= appended, "stored {stored}, appended {appended}");
}

#[test]
fn json_logs_and_series_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut s =
        Server::start(dir.path(), &[&fast_config(dir.path()), "--log.format=json", "--storage.tsdb.head-max-series=5"]);
    wait_for("series limit rejections", || s.metric("argus_tsdb_series_limit_rejected_total").unwrap_or(0.0) > 0.0);
    assert_eq!(s.metric("argus_tsdb_head_series"), Some(5.0));
    s.signal("TERM");
    assert_eq!(s.wait(), Some(0));
    for line in s.log_text().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON: {line}: {e}"));
        assert!(v.get("level").is_some() && v.get("message").or(v.get("msg")).is_some(), "{line}");
    }
}

#[test]
fn admin_snapshot_is_a_usable_copy() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[&fast_config(dir.path()), "--web.enable-admin-api"]);
    wait_for("some scrapes", || s.metric("argus_tsdb_samples_appended_total").unwrap_or(0.0) > 200.0);
    let (code, body) = s.post("/api/v1/admin/tsdb/snapshot", "");
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let name = v["data"]["name"].as_str().unwrap();
    let snap = dir.path().join("data").join("snapshots").join(name);
    assert!(up_samples(&snap) >= 3, "snapshot holds the head's data");

    let other = tempfile::tempdir().unwrap();
    let s2 = Server::start(other.path(), &[]);
    let (code, body) = s2.post("/api/v1/admin/tsdb/snapshot", "");
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("admin APIs disabled"));
}

/// The embedded default config scrapes argus itself and the built-in host
/// collector; both are queryable through the v1 API.
#[test]
fn default_config_stores_self_and_host_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let (code, body) = s.get("/node/metrics");
    assert_eq!(code, 200);
    assert!(body.contains("# TYPE node_cpu_seconds_total counter"), "{body:.500}");
    let query = |q: &str| -> serde_json::Value {
        let (_, body) = s.get(&format!("/api/v1/query?query={q}"));
        serde_json::from_str(&body).unwrap()
    };
    wait_for("host and self samples", || {
        let v = query("count%20by%20(job)%20(up)");
        // argus itself, the host, and the (empty) push gateway target.
        v["data"]["result"].as_array().map(|r| r.len()) == Some(3)
    });
    let v = query("node_load1");
    assert_eq!(v["data"]["result"][0]["metric"]["job"], "node", "{v}");
    let v = query("up%7Bjob%3D%22argus%22%7D");
    assert_eq!(v["data"]["result"][0]["value"][1], "1", "{v}");
}

/// A batch job's heartbeat pushed to argus is stored like a Pushgateway
/// scraped with honor_labels, and survives a restart.
#[test]
fn pushed_heartbeat_is_stored_and_restored() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("push.yml");
    std::fs::write(
        &cfg,
        "global:\n  scrape_interval: 100ms\nscrape_configs:\n  - job_name: pushgateway\n    metrics_path: /pushgateway/metrics\n    honor_labels: true\n    static_configs:\n      - targets: [localhost:9090]\n",
    )
    .unwrap();
    let flag = format!("--config.file={}", cfg.display());
    let mut s = Server::start(dir.path(), &[&flag]);
    let body = "# TYPE backup_last_success_timestamp_seconds gauge\nbackup_last_success_timestamp_seconds 1700000000\n";
    let (code, text) = util::http(s.port, "PUT", "/metrics/job/nightly_backup/instance/db1", body).unwrap();
    assert_eq!(code, 200, "{text}");
    let (code, text) = util::http(s.port, "POST", "/metrics/job/nightly_backup/odd", body).unwrap();
    assert_eq!(code, 400);
    assert!(text.contains("odd number of components"), "{text}");
    let (_, metrics) = s.get("/metrics");
    assert!(metrics.contains("argus_push_requests_total{method=\"put\",outcome=\"success\"} 1"), "{metrics}");
    assert!(metrics.contains("argus_push_groups 1"), "{metrics}");
    let query = |s: &Server, q: &str| -> serde_json::Value {
        let (_, body) = s.get(&format!("/api/v1/query?query={q}"));
        serde_json::from_str(&body).unwrap()
    };
    wait_for("the pushed sample in storage", || {
        let v = query(&s, "backup_last_success_timestamp_seconds");
        v["data"]["result"][0]["metric"]["job"] == "nightly_backup"
    });
    let v = query(&s, "push_time_seconds");
    assert_eq!(v["data"]["result"][0]["metric"]["instance"], "db1", "{v}");
    s.signal("TERM");
    assert_eq!(s.wait(), Some(0));
    let s2 = Server::start(dir.path(), &[&flag]);
    let (_, json) = s2.get("/api/v1/metrics");
    assert!(json.contains("nightly_backup") && json.contains("backup_last_success_timestamp_seconds"), "{json}");
}

#[test]
fn argus_push_cli() {
    let dir = tempfile::tempdir().unwrap();
    let second = util::free_port();
    let s = Server::start(dir.path(), &[&format!("--push.listen-address=127.0.0.1:{second}")]);
    let file = dir.path().join("hb.prom");
    std::fs::write(&file, "# TYPE job_last_success gauge\njob_last_success 1700000000\n").unwrap();
    let url = format!("http://127.0.0.1:{}", s.port);
    let f = file.display().to_string();
    // Pushed to the second listener, read back from the main one.
    let url2 = format!("http://127.0.0.1:{second}");
    let out = util::run(&["push", "--url", &url2, "--job", "etl/daily", "--label", "instance=", &f]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, json) = s.get("/api/v1/metrics");
    assert!(json.contains("\"job\":\"etl/daily\""), "{json}");
    std::fs::write(&file, "job_last_success 1 1000\n").unwrap();
    let out = util::run(&["push", "--url", &url, "--job", "etl", &f]);
    assert_eq!(out.status.code(), Some(1), "a refused push exits 1");
    assert!(String::from_utf8_lossy(&out.stderr).contains("must not have timestamps"));
    let out = util::run(&["push", "--url", "http://127.0.0.1:1", "--job", "etl", "--retries", "1", &f]);
    assert_eq!(out.status.code(), Some(2), "an unreachable gateway exits 2");
    let out = util::run(&["push", "--url", &url, "--job", "etl/daily", "--label", "instance=", "--delete"]);
    assert!(out.status.success());
    let (_, json) = s.get("/api/v1/metrics");
    assert!(!json.contains("etl/daily"), "{json}");
}
