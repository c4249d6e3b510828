//! Alerts from argus' rule engine reach an external Alertmanager (Debian's
//! Alertmanager 0.25) over API v2, and amtool sees them there.

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

#[test]
fn alerts_reach_debian_alertmanager() {
    let am_bin = "/usr/bin/prometheus-alertmanager";
    if !std::path::Path::new(am_bin).exists() || !std::path::Path::new("/usr/bin/amtool").exists() {
        panic!("Debian's prometheus-alertmanager is not installed; ./test.sh installs it");
    }
    let dir = tempfile::tempdir().unwrap();
    let am_port = util::free_port();
    let am_cfg = dir.path().join("am.yml");
    std::fs::write(&am_cfg, "route:\n  receiver: none\nreceivers:\n  - name: none\n").unwrap();
    let _am = Proc(
        Command::new(am_bin)
            .arg(format!("--config.file={}", am_cfg.display()))
            .arg(format!("--storage.path={}", dir.path().join("amdata").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{am_port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    std::fs::write(
        dir.path().join("r.yml"),
        "groups:\n  - name: g\n    interval: 1s\n    rules:\n      - alert: ArgusToAlertmanager\n        expr: vector(1)\n        labels: {severity: page}\n        annotations: {summary: 'value {{ $value }}'}\n",
    )
    .unwrap();
    let cfg = dir.path().join("p.yml");
    std::fs::write(
        &cfg,
        format!(
            "global:\n  evaluation_interval: 1s\n  external_labels: {{site: test}}\nrule_files: [r.yml]\n\
             alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{am_port}']\n"
        ),
    )
    .unwrap();
    // Alertmanager first: a batch sent before it listens is dropped and only
    // re-sent after the resend delay, as in Prometheus.
    let ready = Instant::now() + Duration::from_secs(30);
    while util::http(am_port, "GET", "/-/ready", "").map(|r| r.0) != Some(200) {
        assert!(Instant::now() < ready, "Alertmanager did not become ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let _argus =
        Server::start(dir.path(), &[&format!("--config.file={}", cfg.display()), "--rules.alert.resend-delay=2s"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = String::new();
    while Instant::now() < deadline {
        let out = Command::new("/usr/bin/amtool")
            .args([&format!("--alertmanager.url=http://127.0.0.1:{am_port}"), "alert", "query", "-o", "extended"])
            .output()
            .unwrap();
        last = String::from_utf8_lossy(&out.stdout).into_owned();
        if last.contains("ArgusToAlertmanager") {
            assert!(last.contains("severity=\"page\"") && last.contains("site=\"test\""), "{last}");
            assert!(last.contains("value 1"), "{last}");
            return;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!("the alert never reached Alertmanager; amtool says:\n{last}");
}
