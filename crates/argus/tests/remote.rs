//! Remote write in, remote read out and federation, with Debian's
//! Prometheus 2.42 as the real peer: it remote-writes its self-scrape to
//! argus, reads argus' own series back through `remote_read`, and both
//! federate the same series the same way.

mod util;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use util::Server;

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

fn result_len(port: u16, query: &str) -> usize {
    let path = format!("/api/v1/query?query={query}");
    let Some((200, body)) = util::http(port, "GET", &path, "") else { return 0 };
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    v["data"]["result"].as_array().map_or(0, Vec::len)
}

/// The federated series of a body as (metric with labels, value), timestamps dropped.
fn federated(body: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = body
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let mut parts = l.rsplitn(3, ' ');
            let _ts = parts.next()?;
            let v = parts.next()?;
            Some((parts.next()?.to_string(), v.to_string()))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn prometheus_writes_reads_and_federates_with_argus() {
    if !std::path::Path::new("/usr/bin/prometheus").exists() {
        panic!("Debian's prometheus is not installed; ./test.sh installs it (apt-get install prometheus)");
    }
    let dir = tempfile::tempdir().unwrap();
    let acfg = dir.path().join("argus.yml");
    std::fs::write(
        &acfg,
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: argus\n    static_configs:\n      - targets: [localhost:9090]\n",
    )
    .unwrap();
    let argus = Server::start(
        dir.path(),
        &[&format!("--config.file={}", acfg.display()), "--web.enable-remote-write-receiver"],
    );
    let pport = util::free_port();
    let pcfg = dir.path().join("prom.yml");
    std::fs::write(
        &pcfg,
        format!(
            "global:\n  scrape_interval: 1s\n\
             scrape_configs:\n  - job_name: prom\n    static_configs:\n      - targets: ['127.0.0.1:{pport}']\n\
             remote_write:\n  - url: http://127.0.0.1:{a}/api/v1/write\n    queue_config: {{batch_send_deadline: 500ms}}\n\
             remote_read:\n  - url: http://127.0.0.1:{a}/api/v1/read\n    read_recent: true\n",
            a = argus.port
        ),
    )
    .unwrap();
    let _prom = Proc(
        Command::new("/usr/bin/prometheus")
            .arg(format!("--config.file={}", pcfg.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("pdata").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{pport}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    // Remote write in: Prometheus' own series arrive in argus.
    wait_for("prometheus' samples in argus", || result_len(argus.port, "prometheus_build_info") == 1);
    // Remote read out: Prometheus reads argus' self-scrape from argus.
    wait_for("argus' series through prometheus' remote_read", || result_len(pport, "argus_build_info") == 1);
    assert!(argus.metric("argus_remote_write_received_samples_total").unwrap_or(0.0) > 0.0);

    // Federation: the same series render the same way (timestamps aside).
    let q = "/federate?match[]=prometheus_build_info&match[]=up%7Bjob%3D%22prom%22%7D";
    let (code, a) = util::http(argus.port, "GET", q, "").unwrap();
    assert_eq!(code, 200, "{a}");
    let (_, p) = util::http(pport, "GET", q, "").unwrap();
    assert!(!federated(&p).is_empty(), "{p}");
    assert_eq!(federated(&a), federated(&p), "argus:\n{a}\nprometheus:\n{p}");
    let (code, _) = util::http(argus.port, "GET", "/federate?match[]=up%7B", "").unwrap();
    assert_eq!(code, 400);
}
