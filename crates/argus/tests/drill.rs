//! `argus alertmanager drill`: a pass row for a receiver that accepts the
//! test alert, a FAIL row (and exit 1) for one that refuses it.

mod util;

use std::io::{Read, Write};

#[test]
fn drill_reports_each_receiver() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let seen = got.clone();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut buf = vec![0u8; 65536];
            let mut req = Vec::new();
            // Read headers and the body announced by Content-Length.
            loop {
                let n = s.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                req.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&req);
                if let Some(h) = text.find("\r\n\r\n") {
                    let len = text[..h]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
                        })
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    if req.len() >= h + 4 + len {
                        break;
                    }
                }
            }
            seen.lock().unwrap().push_str(&String::from_utf8_lossy(&req));
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("am.yml");
    std::fs::write(
        &cfg,
        format!(
            "route:\n  receiver: good\nreceivers:\n  - name: good\n    webhook_configs:\n      - url: http://127.0.0.1:{port}/hook\n\
             \x20 - name: bad\n    webhook_configs:\n      - url: http://127.0.0.1:1/hook\n"
        ),
    )
    .unwrap();
    let out = util::run(&["alertmanager", "drill", &format!("--config.file={}", cfg.display())]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let row = |name: &str| stdout.lines().find(|l| l.starts_with(name)).unwrap_or_default().to_string();
    assert!(row("good/webhook[0]").contains("pass"), "{stdout}");
    assert!(row("bad/webhook[0]").contains("FAIL"), "{stdout}");
    assert!(got.lock().unwrap().contains("\"version\":\"4\""), "the webhook got no Alertmanager payload");
    let only_good =
        util::run(&["alertmanager", "drill", &format!("--config.file={}", cfg.display()), "--receiver=good"]);
    assert_eq!(only_good.status.code(), Some(0), "{}", String::from_utf8_lossy(&only_good.stdout));
}
