//! The email integration against an in-test SMTP server: envelope, AUTH
//! PLAIN, headers and multipart bodies; and `require_tls` refusing a server
//! without STARTTLS.

use std::collections::BTreeMap;
use std::time::Duration;

use argus_alertmanager::{Alertmanager, Config, Options, now_ms};
use argus_model::Labels;
use argus_model::alerting::{AlertSink, PostableAlert};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// What the server saw of one session.
#[derive(Debug, Default)]
struct Session {
    commands: Vec<String>,
    data: String,
}

/// A minimal SMTP server: no STARTTLS, AUTH PLAIN/LOGIN accepted.
async fn smtp_server() -> (String, mpsc::UnboundedReceiver<Session>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (sock, _) = l.accept().await.unwrap();
            let tx = tx.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                let mut s = Session::default();
                w.write_all(b"220 test ESMTP\r\n").await.unwrap();
                let mut line = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap() == 0 {
                        break;
                    }
                    let cmd = line.trim_end().to_string();
                    let upper = cmd.to_ascii_uppercase();
                    s.commands.push(cmd.clone());
                    let reply: &[u8] = if upper.starts_with("EHLO") {
                        b"250-test\r\n250 AUTH PLAIN LOGIN\r\n"
                    } else if upper.starts_with("AUTH") {
                        b"235 ok\r\n"
                    } else if upper == "DATA" {
                        w.write_all(b"354 go\r\n").await.unwrap();
                        loop {
                            line.clear();
                            r.read_line(&mut line).await.unwrap();
                            if line == ".\r\n" {
                                break;
                            }
                            s.data.push_str(&line);
                        }
                        b"250 queued\r\n"
                    } else if upper == "QUIT" {
                        w.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    w.write_all(reply).await.unwrap();
                }
                let _ = tx.send(s);
            });
        }
    });
    (addr, rx)
}

fn alert() -> PostableAlert {
    PostableAlert {
        labels: Labels::from_pairs([("alertname", "DiskFull"), ("instance", "db1")]),
        annotations: BTreeMap::new(),
        starts_at_ms: now_ms() - 60_000,
        ends_at_ms: None,
        generator_url: String::new(),
    }
}

fn opts() -> Options {
    Options {
        min_flush_timeout: Duration::from_secs(3),
        integration_timeout: Duration::from_secs(3),
        ..Options::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_mail_with_auth_headers_and_bodies() {
    let (addr, mut rx) = smtp_server().await;
    let yaml = format!(
        r#"
global:
  smtp_smarthost: '{addr}'
  smtp_from: 'argus@example.org'
  smtp_require_tls: false
route: {{receiver: mail, group_wait: 50ms}}
receivers:
- name: mail
  email_configs:
  - to: 'ops@example.org, oncall@example.org'
    auth_username: user
    auth_password: pass
    headers: {{Subject: 'Disk is full', x-team: storage}}
    text: 'plain body'
    html: '<b>html body</b>'
"#
    );
    let cfg = Config::load_str(&yaml, std::path::Path::new("am.yml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let am = Alertmanager::new(cfg, dir.path(), opts()).unwrap();
    am.send(vec![alert()]);
    let s = tokio::time::timeout(Duration::from_secs(20), rx.recv()).await.expect("an SMTP session").unwrap();
    let auth = s.commands.iter().find(|c| c.starts_with("AUTH")).expect("authenticated");
    // AUTH PLAIN with base64("\0user\0pass").
    assert!(auth.contains("AHVzZXIAcGFzcw=="), "{auth}");
    assert!(s.commands.iter().any(|c| c.starts_with("MAIL FROM:<argus@example.org>")), "{:?}", s.commands);
    assert_eq!(s.commands.iter().filter(|c| c.starts_with("RCPT TO:")).count(), 2);
    assert!(s.data.contains("Subject: Disk is full"), "{}", s.data);
    assert!(s.data.contains("X-Team: storage"), "{}", s.data);
    assert!(s.data.contains("To: ops@example.org, oncall@example.org"), "{}", s.data);
    assert!(s.data.contains("multipart/alternative"), "{}", s.data);
    let text_at = s.data.find("plain body").expect("text part");
    let html_at = s.data.find("<b>html body</b>").expect("html part");
    assert!(text_at < html_at, "text part comes first");
    am.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_tls_refuses_server_without_starttls() {
    let (addr, mut rx) = smtp_server().await;
    let yaml = format!(
        "route: {{receiver: mail, group_wait: 50ms}}\nreceivers:\n- name: mail\n  email_configs:\n  - {{to: a@b.c, from: x@y.z, smarthost: '{addr}', text: t}}\n"
    );
    let cfg = Config::load_str(&yaml, std::path::Path::new("am.yml")).unwrap();
    let results = argus_alertmanager::drill(&cfg, None).await;
    assert_eq!(results.len(), 1);
    assert!(!results[0].ok, "{:?}", results[0]);
    assert!(!results[0].error.is_empty());
    // The server never saw a MAIL FROM.
    let s = tokio::time::timeout(Duration::from_secs(20), rx.recv()).await.expect("a session").unwrap();
    assert!(!s.commands.iter().any(|c| c.starts_with("MAIL")), "{:?}", s.commands);
}
