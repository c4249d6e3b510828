//! End-to-end behaviour of the running alert manager against a local webhook
//! server: grouping and group timers, the webhook payload, dedup through the
//! notification log (also across a restart), resolved notifications,
//! silences, inhibition and retries.
//!
//! Timers are configured short (100ms group_wait, 300ms group_interval) and
//! every wait for a notification is generous; no test asserts on durations.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argus_alertmanager::{Alertmanager, Config, Options, Silence, SilenceMatcher, now_ms};
use argus_model::Labels;
use argus_model::alerting::{AlertSink, PostableAlert};
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::Value;
use tokio::sync::mpsc;

#[derive(Clone)]
struct Hook {
    tx: mpsc::UnboundedSender<Value>,
    /// The first `fail` requests answer 500.
    fail: Arc<AtomicUsize>,
    seen: Arc<AtomicUsize>,
}

async fn handler(State(h): State<Hook>, body: String) -> StatusCode {
    let n = h.seen.fetch_add(1, Ordering::SeqCst);
    if n < h.fail.load(Ordering::SeqCst) {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    assert!(body.ends_with("}\n"), "Go's encoder ends with a newline");
    h.tx.send(serde_json::from_str(&body).unwrap()).unwrap();
    StatusCode::OK
}

async fn hook_server(fail: usize) -> (String, mpsc::UnboundedReceiver<Value>, Arc<AtomicUsize>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let seen = Arc::new(AtomicUsize::new(0));
    let h = Hook { tx, fail: Arc::new(AtomicUsize::new(fail)), seen: Arc::clone(&seen) };
    let app = axum::Router::new().route("/hook", axum::routing::post(handler)).with_state(h);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, rx, seen)
}

fn config(url: &str, extra: &str) -> Config {
    let yaml = format!(
        r#"
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 300ms
  repeat_interval: 1h
receivers:
- name: hook
  webhook_configs:
  - url: {url}
{extra}
"#
    );
    Config::load_str(&yaml, std::path::Path::new("am.yml")).unwrap()
}

fn opts() -> Options {
    Options {
        external_url: "http://am.example:9093".into(),
        min_flush_timeout: Duration::from_secs(5),
        integration_timeout: Duration::from_secs(5),
        ..Options::default()
    }
}

fn alert(pairs: &[(&str, &str)], ends_at_ms: Option<i64>) -> PostableAlert {
    PostableAlert {
        labels: Labels::from_pairs(pairs.iter().copied()),
        annotations: BTreeMap::from([("summary".to_string(), "it <broke> & stayed".to_string())]),
        starts_at_ms: now_ms() - 1000,
        ends_at_ms,
        generator_url: "http://prom/graph".into(),
    }
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(20), rx.recv()).await.expect("a notification in time").unwrap()
}

/// Nothing arrives within `ms` (used after the group has had several flushes).
async fn quiet(rx: &mut mpsc::UnboundedReceiver<Value>, ms: u64) {
    if let Ok(Some(v)) = tokio::time::timeout(Duration::from_millis(ms), rx.recv()).await {
        panic!("unexpected notification: {v}");
    }
}

fn instances(v: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["labels"]["instance"].as_str().unwrap().to_string(), a["status"].as_str().unwrap().to_string()))
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_dedup_resolve_and_restart() {
    let (url, mut rx, _) = hook_server(0).await;
    let dir = tempfile::tempdir().unwrap();
    let am = Alertmanager::new(config(&url, ""), dir.path(), opts()).unwrap();
    am.send(vec![alert(&[("alertname", "Down"), ("instance", "a")], None)]);

    let v = next(&mut rx).await;
    assert_eq!(v["version"], "4");
    assert_eq!(v["receiver"], "hook");
    assert_eq!(v["status"], "firing");
    assert_eq!(v["groupKey"], r#"{}:{alertname="Down"}"#);
    assert_eq!(v["groupLabels"], serde_json::json!({"alertname": "Down"}));
    assert_eq!(v["externalURL"], "http://am.example:9093");
    assert_eq!(v["truncatedAlerts"], 0);
    assert_eq!(v["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(v["alerts"][0]["annotations"]["summary"], "it <broke> & stayed");
    assert_eq!(v["alerts"][0]["fingerprint"].as_str().unwrap().len(), 16);
    assert_eq!(v["commonLabels"]["instance"], "a");

    // A second alert joins the group: the next group_interval flush sends both.
    am.send(vec![alert(&[("alertname", "Down"), ("instance", "b")], None)]);
    let v = next(&mut rx).await;
    assert_eq!(instances(&v), vec![("a".into(), "firing".into()), ("b".into(), "firing".into())]);
    assert!(v["commonLabels"].get("instance").is_none());

    // Nothing changed: several flushes pass without a notification.
    quiet(&mut rx, 1200).await;

    // Resolving one sends it as resolved next to the still firing one.
    am.send(vec![alert(&[("alertname", "Down"), ("instance", "a")], Some(now_ms() - 10))]);
    let v = next(&mut rx).await;
    assert_eq!(instances(&v), vec![("a".into(), "resolved".into()), ("b".into(), "firing".into())]);
    assert_eq!(v["status"], "firing");
    quiet(&mut rx, 1000).await;
    am.stop();

    // A restart restores the notification log: the still-firing alert is not re-sent.
    let am2 = Alertmanager::new(config(&url, ""), dir.path(), opts()).unwrap();
    am2.send(vec![alert(&[("alertname", "Down"), ("instance", "b")], None)]);
    quiet(&mut rx, 1500).await;
    // But resolving it is news.
    am2.send(vec![alert(&[("alertname", "Down"), ("instance", "b")], Some(now_ms() - 10))]);
    let v = next(&mut rx).await;
    assert_eq!(v["status"], "resolved");
    assert_eq!(instances(&v), vec![("b".into(), "resolved".into())]);
    am2.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silences_and_inhibition_mute() {
    let (url, mut rx, _) = hook_server(0).await;
    let dir = tempfile::tempdir().unwrap();
    let inhibit = r#"inhibit_rules:
- source_matchers: [severity="critical"]
  target_matchers: [severity="warning"]
  equal: [cluster]"#;
    let am = Alertmanager::new(config(&url, inhibit), dir.path(), opts()).unwrap();
    let now = now_ms();
    let id = am
        .set_silence(Silence {
            id: String::new(),
            matchers: vec![SilenceMatcher {
                name: "alertname".into(),
                value: "Silenced".into(),
                is_regex: false,
                is_equal: true,
            }],
            starts_at_ms: now,
            ends_at_ms: now + 3_600_000,
            updated_at_ms: 0,
            created_by: "me".into(),
            comment: "test".into(),
        })
        .unwrap();
    am.send(vec![
        alert(&[("alertname", "Silenced"), ("instance", "x")], None),
        alert(&[("alertname", "Crit"), ("severity", "critical"), ("cluster", "c1"), ("instance", "c")], None),
        alert(&[("alertname", "Warn"), ("severity", "warning"), ("cluster", "c1"), ("instance", "w")], None),
    ]);
    let v = next(&mut rx).await;
    assert_eq!(v["groupLabels"]["alertname"], "Crit");
    quiet(&mut rx, 1500).await;

    let views = am.alerts();
    let by_name = |n: &str| views.iter().find(|v| v.alert.labels.get("alertname") == Some(n)).unwrap().clone();
    assert_eq!(by_name("Silenced").status.state, "suppressed");
    assert_eq!(by_name("Silenced").status.silenced_by, vec![id.clone()]);
    assert_eq!(by_name("Warn").status.inhibited_by.len(), 1);
    assert_eq!(by_name("Crit").status.state, "active");
    assert_eq!(by_name("Crit").receivers, vec!["hook".to_string()]);

    // Expiring the silence lets the alert through at the next flush.
    am.expire_silence(&id).unwrap();
    let v = next(&mut rx).await;
    assert_eq!(v["groupLabels"]["alertname"], "Silenced");
    am.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_5xx_until_success_and_truncates() {
    let (url, mut rx, seen) = hook_server(2).await;
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        r#"
route:
  receiver: hook
  group_by: ['...']
  group_wait: 50ms
receivers:
- name: hook
  webhook_configs:
  - url: {url}
    max_alerts: 1
"#
    );
    let cfg = Config::load_str(&yaml, std::path::Path::new("am.yml")).unwrap();
    let am = Alertmanager::new(cfg, dir.path(), opts()).unwrap();
    am.send(vec![alert(&[("alertname", "A"), ("instance", "1")], None)]);
    let v = next(&mut rx).await;
    assert!(seen.load(Ordering::SeqCst) >= 3, "two 500s were retried");
    assert_eq!(v["groupKey"], r#"{}:{alertname="A", instance="1"}"#);
    assert_eq!(v["truncatedAlerts"], 0);
    am.stop();

    // max_alerts truncation: one route grouping everything.
    let (url, mut rx, _) = hook_server(0).await;
    let yaml = format!(
        "route: {{receiver: hook, group_wait: 50ms}}\nreceivers:\n- name: hook\n  webhook_configs: [{{url: '{url}', max_alerts: 1}}]\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let am =
        Alertmanager::new(Config::load_str(&yaml, std::path::Path::new("a.yml")).unwrap(), dir.path(), opts()).unwrap();
    // Alerts that started just now wait for group_wait (older ones flush at once).
    let fresh = |n: &str| PostableAlert { starts_at_ms: now_ms(), ..alert(&[("alertname", n)], None) };
    am.send(vec![fresh("A"), fresh("B")]);
    let v = next(&mut rx).await;
    assert_eq!(v["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(v["truncatedAlerts"], 1);
    am.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_config_keeps_alerts_and_log() {
    let (url, mut rx, _) = hook_server(0).await;
    let (url2, mut rx2, _) = hook_server(0).await;
    let dir = tempfile::tempdir().unwrap();
    let am = Alertmanager::new(config(&url, ""), dir.path(), opts()).unwrap();
    am.send(vec![alert(&[("alertname", "A"), ("instance", "1")], None)]);
    next(&mut rx).await;
    // Same receiver name, new URL: the group is rebuilt, the log says it was sent.
    am.apply_config(&config(&url2, "")).unwrap();
    quiet(&mut rx2, 1200).await;
    assert_eq!(am.alerts().len(), 1);
    // A new alert in the group goes to the new URL.
    am.send(vec![alert(&[("alertname", "A"), ("instance", "2")], None)]);
    let v = next(&mut rx2).await;
    assert_eq!(v["alerts"].as_array().unwrap().len(), 2);
    assert_eq!(am.receivers(), vec!["hook".to_string()]);
    am.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_alerts_are_reported_valid_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let am = Alertmanager::new(config("http://127.0.0.1:9/none", ""), dir.path(), opts()).unwrap();
    let mut bad = alert(&[("alertname", "X")], None);
    bad.ends_at_ms = Some(bad.starts_at_ms - 5);
    let err = am.put_alerts(vec![bad, alert(&[("alertname", "Y")], None)]).unwrap_err();
    assert_eq!(err, "start time must be before end time");
    assert_eq!(am.alerts().len(), 1);
    let mut reg = prometheus_client::registry::Registry::default();
    am.register_metrics(&mut reg);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &reg).unwrap();
    assert!(text.contains("argus_alertmanager_alerts_invalid_total 1"), "{text}");
    assert!(text.contains(r#"argus_alertmanager_alerts{state="active"} 1"#), "{text}");
    am.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builtin_default_logs_notifications() {
    let cfg = Config::builtin_default();
    assert_eq!(cfg.receiver("log").unwrap().log_configs.len(), 1);
    let results = argus_alertmanager::drill(&cfg, None).await;
    assert_eq!(results.len(), 1);
    assert!(results[0].ok && results[0].integration == "log[0]", "{results:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mute_time_intervals_hold_notifications() {
    let (url, mut rx, _) = hook_server(0).await;
    let dir = tempfile::tempdir().unwrap();
    // Muted at all times on the muted route; the other route is only active
    // during an interval that always holds.
    let yaml = format!(
        r#"
route:
  receiver: hook
  group_wait: 50ms
  group_interval: 300ms
  routes:
  - matchers: [team="muted"]
    mute_time_intervals: [always]
  - matchers: [team="active"]
    active_time_intervals: [always]
time_intervals:
- name: always
  time_intervals: [{{weekdays: ['sunday:saturday']}}]
receivers:
- name: hook
  webhook_configs: [{{url: '{url}'}}]
"#
    );
    let cfg = Config::load_str(&yaml, std::path::Path::new("am.yml")).unwrap();
    let am = Alertmanager::new(cfg, dir.path(), opts()).unwrap();
    am.send(vec![alert(&[("alertname", "M"), ("team", "muted")], None)]);
    quiet(&mut rx, 1200).await;
    am.send(vec![alert(&[("alertname", "A"), ("team", "active")], None)]);
    let v = next(&mut rx).await;
    assert_eq!(v["commonLabels"]["team"], "active");
    quiet(&mut rx, 1000).await;
    am.stop();
}
