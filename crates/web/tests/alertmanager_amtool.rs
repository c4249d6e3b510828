//! The Alertmanager API v2 against Debian's amtool 0.25 (a go-swagger
//! client, so every time format and required field must be as it expects),
//! plus the validation errors amtool does not exercise.

use std::process::Command;
use std::sync::Arc;

use argus_alertmanager::{Alertmanager, Config, Options};

const CONFIG: &str = r#"route:
  receiver: team-x
  group_by: [alertname]
  group_wait: 1h
receivers:
- name: team-x
"#;

async fn start() -> (String, Arc<Alertmanager>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::load_str(CONFIG, std::path::Path::new("am.yml")).unwrap();
    let am = Alertmanager::new(cfg, dir.path(), Options::default()).unwrap();
    am.set_config_original(CONFIG.to_string());
    let app = argus_web::alertmanager::alertmanager_router(Arc::clone(&am));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, am, dir)
}

/// Runs amtool against `url`; returns stdout, failing on a non-zero exit.
async fn amtool(url: &str, args: &[&str]) -> String {
    let mut all = vec![format!("--alertmanager.url={url}")];
    all.extend(args.iter().map(|s| s.to_string()));
    let out = tokio::task::spawn_blocking(move || Command::new("amtool").args(&all).output().expect("amtool runs"))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "amtool {args:?} failed: {}{stdout}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn amtool_installed() -> bool {
    Command::new("amtool").arg("--version").output().is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amtool_silences_alerts_and_config() {
    if !amtool_installed() {
        eprintln!("amtool not installed (apt-get install prometheus-alertmanager); skipping");
        return;
    }
    let (url, am, _dir) = start().await;

    let id = amtool(&url, &["silence", "add", "alertname=X", "-c", "c", "-a", "me"]).await.trim().to_string();
    assert_eq!(id.len(), 36, "a UUID: {id:?}");
    assert!(am.silence(&id).is_some());

    let q = amtool(&url, &["silence", "query"]).await;
    let row = q.lines().find(|l| l.starts_with(&id)).unwrap_or_else(|| panic!("{q}"));
    assert!(row.contains(r#"alertname="X""#) || row.contains("alertname=X"), "{row}");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells.last(), Some(&"c"), "{row}");
    assert!(cells.contains(&"me"), "{row}");
    assert_eq!(amtool(&url, &["silence", "query", "-q"]).await.trim(), id);
    assert_eq!(amtool(&url, &["silence", "query", "-q", "alertname=Other"]).await.trim(), "");

    amtool(&url, &["alert", "add", "alertname=X", "instance=i1", "--annotation=summary=silenced one"]).await;
    amtool(&url, &["alert", "add", "alertname=Y", "--annotation=summary=loud one"]).await;
    let alerts = amtool(&url, &["alert", "query"]).await;
    assert!(alerts.contains("loud one"), "{alerts}");
    assert!(!alerts.contains("silenced one"), "silenced alerts are hidden by default: {alerts}");
    let all = amtool(&url, &["alert", "query", "--silenced"]).await;
    assert!(all.contains("silenced one"), "{all}");
    let x = am.alerts().into_iter().find(|v| v.alert.labels.get("alertname") == Some("X")).unwrap();
    assert_eq!(x.status.silenced_by, vec![id.clone()]);
    assert_eq!(x.receivers, vec!["team-x".to_string()]);

    amtool(&url, &["silence", "expire", &id]).await;
    assert_eq!(amtool(&url, &["silence", "query", "-q"]).await.trim(), "", "expired silences are not listed");
    let expired = amtool(&url, &["silence", "query", "-q", "--expired"]).await;
    assert_eq!(expired.trim(), id);
    let alerts = amtool(&url, &["alert", "query"]).await;
    assert!(alerts.contains("silenced one"), "{alerts}");

    let shown = amtool(&url, &["config", "show"]).await;
    assert!(shown.contains("receiver: team-x"), "{shown}");
    let routes = amtool(&url, &["config", "routes"]).await;
    assert!(routes.contains("team-x"), "{routes}");
    am.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors() {
    let (url, am, _dir) = start().await;
    let client = post;
    let (code, body) = client(
        &url,
        "/api/v2/silences",
        r#"{"startsAt":"2030-01-01T00:00:00Z","endsAt":"2030-01-02T00:00:00Z","createdBy":"a","comment":"c"}"#,
    )
    .await;
    assert_eq!((code, body.trim()), (400, r#""matchers in body is required""#));
    let (code, body) = client(
        &url,
        "/api/v2/silences",
        r#"{"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2030-01-02T00:00:00Z","endsAt":"2030-01-01T00:00:00Z","createdBy":"a","comment":"c"}"#,
    )
    .await;
    assert_eq!((code, body.trim()), (400, r#""Failed to create silence: start time must be before end time""#));
    let (code, body) = client(
        &url,
        "/api/v2/silences",
        r#"{"id":"nope","matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2030-01-01T00:00:00Z","endsAt":"2030-01-02T00:00:00Z","createdBy":"a","comment":"c"}"#,
    )
    .await;
    assert_eq!((code, body.trim()), (404, r#""silence not found""#));
    let (code, body) = client(
        &url,
        "/api/v2/alerts",
        r#"[{"labels":{"a":"b"},"startsAt":"2030-01-02T00:00:00Z","endsAt":"2030-01-01T00:00:00Z"}]"#,
    )
    .await;
    assert_eq!((code, body.trim()), (400, r#""start time must be before end time""#));
    let (code, _) = client(&url, "/api/v2/alerts", r#"[{"labels":{"a":"b"}}]"#).await;
    assert_eq!(code, 200);
    let (code, body) = get(&url, "/api/v2/alerts?filter=a%3D%22b%22").await;
    assert_eq!(code, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v[0]["labels"]["a"], "b");
    assert_eq!(v[0]["status"]["state"], "active");
    let (code, body) = get(&url, "/api/v2/alerts/groups").await;
    assert_eq!(code, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v[0]["receiver"]["name"], "team-x");
    let (code, _) = get(&url, "/api/v2/alerts?filter=foo").await;
    assert_eq!(code, 400);
    let (code, body) = get(&url, "/api/v2/receivers").await;
    assert_eq!((code, body.trim()), (200, r#"[{"name":"team-x"}]"#));
    am.stop();
}

/// A minimal HTTP/1.1 client (the web crate has no HTTP client dependency).
async fn request(url: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let code = out.split(' ').nth(1).unwrap().parse().unwrap();
    let body = out.split_once("\r\n\r\n").unwrap().1.to_string();
    (code, body)
}

async fn post(url: &str, path: &str, body: &str) -> (u16, String) {
    request(url, "POST", path, body).await
}

async fn get(url: &str, path: &str) -> (u16, String) {
    request(url, "GET", path, "").await
}
