//! Alerts from argus' rule engine reach an external Alertmanager (Debian's
//! Alertmanager 0.25) over API v2, and amtool sees them there. The
//! Alertmanager is found through `file_sd_configs` and requires basic auth
//! (its `--web.config.file`); a reload that changes the external labels
//! changes the labels of the alerts sent next.

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
    // bcrypt of "s3cret", cost 4 (Python's crypt with METHOD_BLOWFISH).
    let web_cfg = dir.path().join("web.yml");
    std::fs::write(
        &web_cfg,
        "basic_auth_users:\n  argus: $2b$04$UiFXNFj5tOrWkWEkrVXT..OU9iHN3Q7tgdaaeUWgiE1zBEVG1fA6.\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("pw"), "s3cret\n").unwrap();
    let http_cfg = dir.path().join("amtool-http.yml");
    std::fs::write(&http_cfg, "basic_auth:\n  username: argus\n  password: s3cret\n").unwrap();
    let _am = Proc(
        Command::new(am_bin)
            .arg(format!("--config.file={}", am_cfg.display()))
            .arg(format!("--storage.path={}", dir.path().join("amdata").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{am_port}"))
            .arg("--cluster.listen-address=")
            .arg(format!("--web.config.file={}", web_cfg.display()))
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
    std::fs::write(dir.path().join("am-targets.yml"), format!("- targets: ['127.0.0.1:{am_port}']\n")).unwrap();
    let cfg = dir.path().join("p.yml");
    let write_cfg = |site: &str| {
        std::fs::write(
            &cfg,
            format!(
                "global:\n  evaluation_interval: 1s\n  external_labels: {{site: {site}}}\nrule_files: [r.yml]\n\
                 alerting:\n  alertmanagers:\n    - basic_auth: {{username: argus, password_file: pw}}\n      \
                 file_sd_configs:\n        - files: [am-targets.yml]\n"
            ),
        )
        .unwrap()
    };
    write_cfg("test");
    // Alertmanager first: a batch sent before it listens is dropped and only
    // re-sent after the resend delay, as in Prometheus.
    let ready = Instant::now() + Duration::from_secs(30);
    while util::http(am_port, "GET", "/-/healthy", "").map(|r| r.0) != Some(401) {
        assert!(Instant::now() < ready, "Alertmanager did not become ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let argus =
        Server::start(dir.path(), &[&format!("--config.file={}", cfg.display()), "--rules.alert.resend-delay=2s"]);
    let amtool_query = |want: &str| {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = String::new();
        while Instant::now() < deadline {
            let out = Command::new("/usr/bin/amtool")
                .args([
                    &format!("--alertmanager.url=http://127.0.0.1:{am_port}"),
                    &format!("--http.config.file={}", http_cfg.display()),
                    "alert",
                    "query",
                    "-o",
                    "extended",
                ])
                .output()
                .unwrap();
            last = String::from_utf8_lossy(&out.stdout).into_owned();
            if last.contains("ArgusToAlertmanager") && last.contains(want) {
                return last;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        panic!("no alert with {want} reached Alertmanager; amtool says:\n{last}\nargus log:\n{}", argus.log_text());
    };
    let first = amtool_query("site=\"test\"");
    assert!(first.contains("severity=\"page\""), "{first}");
    assert!(first.contains("value 1"), "{first}");
    let (_, metrics) = argus.get("/metrics");
    assert!(metrics.contains("argus_notifications_alertmanagers_discovered 1"), "{metrics}");
    assert!(metrics.contains("argus_notifications_sent_total{alertmanager=\"http://127.0.0.1:"), "{metrics}");

    // New external labels apply to the alerts sent after a reload.
    write_cfg("reloaded");
    assert_eq!(util::http(argus.port, "POST", "/-/reload", "").map(|r| r.0), Some(200));
    amtool_query("site=\"reloaded\"");
}
