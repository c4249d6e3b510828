//! Template data fidelity: what `{{ .StartsAt }}`, `{{ .Labels }}` and the
//! other fields of Alertmanager's `template.Data` print in a notification.
//!
//! One flush goes to a webhook (the JSON data) and to a Telegram receiver
//! whose message is a user template over every field. The message must be
//! what Debian's `amtool template render` 0.25 prints for the webhook's JSON
//! with the same template (times as Go's `time.Time.String()`, maps as Go's
//! `fmt`). Without amtool, the times are checked against Go's documented
//! layout `2006-01-02 15:04:05.999999999 -0700 MST`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use argus_alertmanager::{Alertmanager, Config, Options, now_ms};
use argus_model::Labels;
use argus_model::alerting::{AlertSink, PostableAlert};
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use parking_lot::Mutex;
use serde_json::Value;

const AMTOOL: &str = "/usr/bin/amtool";
const DEFAULT_TMPL: &str = "/usr/share/prometheus/alertmanager/default.tmpl";

const TEMPLATE: &str = r#"{{ .Receiver }}|{{ .Status }}|{{ range .Alerts }}{{ .Status }} {{ .StartsAt }} / {{ .EndsAt }} / {{ .StartsAt.Unix }} / {{ .EndsAt.Format "2006-01-02T15:04:05Z07:00" }} {{ .Fingerprint }} {{ .GeneratorURL }} {{ .Labels }} {{ .Annotations }} {{ .Labels.SortedPairs.Values }};
{{ end }}{{ .GroupLabels }} {{ .CommonLabels }} {{ .CommonAnnotations }} {{ .ExternalURL }}
{{ template "telegram.default.message" . }}"#;

type Seen = Arc<Mutex<Vec<(String, Value)>>>;

async fn record(State(seen): State<Seen>, uri: Uri, body: String) -> (StatusCode, String) {
    seen.lock().push((uri.path().to_string(), serde_json::from_str(&body).unwrap_or(Value::Null)));
    (StatusCode::OK, r#"{"ok":true}"#.into())
}

async fn server() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new().fallback(record).with_state(Arc::clone(&seen));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, seen)
}

fn alert(instance: &str, starts_at_ms: i64, ends_at_ms: Option<i64>) -> PostableAlert {
    PostableAlert {
        labels: Labels::from_pairs([("alertname", "Down"), ("instance", instance), ("job", "node")]),
        annotations: BTreeMap::from([
            ("summary".to_string(), format!("{instance} is <down> & out")),
            ("runbook".to_string(), "http://wiki/x".to_string()),
        ]),
        starts_at_ms,
        ends_at_ms,
        generator_url: "http://prom:9090/graph?g0.expr=up".into(),
    }
}

/// Waits (bounded) until both the webhook and the Telegram message arrived.
async fn both(seen: &Seen) -> (Value, String) {
    for _ in 0..200 {
        {
            let s = seen.lock();
            let hook = s.iter().find(|(p, _)| p == "/hook").map(|(_, v)| v.clone());
            let text = s.iter().find(|(p, _)| p.ends_with("/sendMessage")).map(|(_, v)| v["text"].clone());
            if let (Some(h), Some(Value::String(t))) = (hook, text) {
                return (h, t);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no notification within 20s: {:?}", seen.lock());
}

/// Go's `time.Time.String()` of a UTC time with a millisecond fraction.
fn looks_like_go_time(s: &str) -> bool {
    let re = regex::Regex::new(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? \+0000 UTC$").unwrap();
    re.is_match(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_data_prints_as_alertmanager() {
    let (url, seen) = server().await;
    let yaml = format!(
        r#"
route: {{receiver: team.a, group_by: [alertname], group_wait: 100ms}}
receivers:
- name: team.a
  webhook_configs: [{{url: '{url}/hook'}}]
  telegram_configs:
  - api_url: '{url}'
    bot_token: T
    chat_id: 1
    message: {message}
"#,
        message = serde_json::to_string(TEMPLATE).unwrap()
    );
    let cfg = Config::load_str(&yaml, Path::new("am.yml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let opts = Options { external_url: "http://am.example:9093".into(), ..Options::default() };
    let am = Alertmanager::new(cfg, dir.path(), opts).unwrap();
    // Round to whole milliseconds with a non-zero fraction, and a resolved
    // one with a whole-second start, so both of Go's fraction forms show.
    let now = now_ms();
    let start = now - now % 1000 - 60_000 + 120;
    am.send(vec![alert("a", start, None), alert("b", start - start % 1000 - 1000, Some(now - 500))]);
    let (hook, text) = both(&seen).await;
    am.stop();

    let lines: Vec<&str> = text.lines().collect();
    let first: Vec<&str> = lines[0].split('|').collect();
    assert_eq!(first[0], r"team\.a", "{text}");
    let times: Vec<&str> = first[2].split(" / ").take(2).map(|s| s.trim_start_matches("firing ")).collect();
    assert!(looks_like_go_time(times[0]), "StartsAt prints as Go's time.Time: {text}");
    assert_eq!(times[1], "0001-01-01 00:00:00 +0000 UTC", "a firing alert's EndsAt is Go's zero time: {text}");

    if !Path::new(AMTOOL).exists() || !Path::new(DEFAULT_TMPL).exists() {
        println!("template_data: {AMTOOL} or {DEFAULT_TMPL} not found, amtool comparison not run");
        return;
    }
    let data = dir.path().join("data.json");
    std::fs::write(&data, serde_json::to_vec(&hook).unwrap()).unwrap();
    let out = std::process::Command::new(AMTOOL)
        .args([
            "template",
            "render",
            &format!("--template.glob={DEFAULT_TMPL}"),
            &format!("--template.data={}", data.display()),
            &format!("--template.text={TEMPLATE}"),
        ])
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(out.status.success(), "amtool: {}", String::from_utf8_lossy(&out.stderr));
    let want = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, want, "our rendering (left) differs from amtool template render 0.25 (right)");
}
