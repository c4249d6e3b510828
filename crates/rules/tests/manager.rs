//! The manager and group evaluation through the public API: reload
//! semantics, health and metrics of failing rules, staleness, alert
//! sending, `for`-state restore and the API snapshot shapes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argus_model::alerting::{AlertSink, PostableAlert};
use argus_model::storage::{MemStorage, Queryable, SelectHints};
use argus_model::{Labels, MatchOp, Matcher, Sample, is_stale_nan};
use argus_promql::{Engine, EngineOpts};
use argus_rules::{Manager, ManagerOptions, Rule, engine_query_fn, notify_fn};

#[derive(Default)]
struct Sink(Mutex<Vec<PostableAlert>>);

impl AlertSink for Sink {
    fn send(&self, alerts: Vec<PostableAlert>) {
        self.0.lock().unwrap().extend(alerts);
    }
}

fn manager(st: &MemStorage, sink: Option<Arc<Sink>>) -> Manager {
    let q = engine_query_fn(Engine::new(EngineOpts::default()), Arc::new(st.clone()));
    let mut o = ManagerOptions::new(q, Arc::new(st.clone()), Arc::new(st.clone()));
    if let Some(s) = sink {
        o.notify = Some(notify_fn(
            s,
            "http://prom:9090".into(),
            Arc::new(std::sync::RwLock::new(Labels::from_pairs([("region", "eu")]))),
            None,
        ));
    }
    Manager::new(o)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn series(st: &MemStorage, name: &str) -> Vec<(Labels, Vec<Sample>)> {
    let q = st.querier(i64::MIN, i64::MAX).unwrap();
    let m = Matcher::new(MatchOp::Equal, "__name__", name).unwrap();
    q.select(&[m], &SelectHints { start: i64::MIN, end: i64::MAX, ..Default::default() })
        .unwrap()
        .map(|s| s.unwrap())
        .map(|s| (s.labels, s.samples))
        .collect()
}

fn eval_all(m: &Manager, ts: i64) {
    for g in m.groups() {
        g.eval(ts);
    }
}

const RULES: &str = "groups:
- name: g
  rules:
  - record: up:sum
    expr: sum by (job) (up)
  - alert: Down
    expr: up == 0
    for: 1m
    labels: {severity: page}
    annotations: {summary: '{{ $labels.job }} down'}
";

#[test]
fn reload_with_errors_keeps_old_groups() {
    let dir = tempfile::tempdir().unwrap();
    let st = MemStorage::new();
    let m = manager(&st, None);
    let good = write(dir.path(), "good.yml", RULES);
    m.update(Duration::from_secs(60), std::slice::from_ref(&good), Labels::empty(), "").unwrap();
    assert_eq!(m.groups().len(), 1);
    let bad = write(dir.path(), "bad.yml", "groups:\n- name: x\n  rules:\n  - record: 'a b'\n    expr: up\n");
    let err = m.update(Duration::from_secs(60), &[good, bad.clone()], Labels::empty(), "").unwrap_err();
    let msgs = err.messages();
    assert_eq!(
        msgs,
        vec![format!("{}: 4:13: group \"x\", rule 1, \"a b\": invalid recording rule name: a b", bad.display())]
    );
    assert_eq!(m.groups().len(), 1);
    assert_eq!(m.groups()[0].name(), "g");
}

#[test]
fn reload_carries_alert_state_over() {
    let dir = tempfile::tempdir().unwrap();
    let st = MemStorage::new();
    st.add(Labels::from_pairs([("__name__", "up"), ("job", "a")]), &[Sample::new(0, 0.0), Sample::new(60_000, 0.0)]);
    let m = manager(&st, None);
    let f = write(dir.path(), "r.yml", RULES);
    m.update(Duration::from_secs(60), std::slice::from_ref(&f), Labels::empty(), "").unwrap();
    eval_all(&m, 0);
    assert_eq!(m.alerts()[0].state, "pending");
    m.update(Duration::from_secs(60), &[f], Labels::empty(), "").unwrap();
    eval_all(&m, 60_000);
    let alerts = m.alerts();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].state, "firing", "activeAt must survive the reload");
    assert_eq!(alerts[0].active_at, "1970-01-01T00:00:00Z");
}

#[test]
fn failing_rule_is_unhealthy_and_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let st = MemStorage::new();
    for (x, v) in [("1", 1.0), ("2", 2.0)] {
        st.add(Labels::from_pairs([("__name__", "a"), ("x", x)]), &[Sample::new(0, v)]);
    }
    st.add(Labels::from_pairs([("__name__", "b")]), &[Sample::new(0, 1.0)]);
    let m = manager(&st, None);
    let f = write(
        dir.path(),
        "r.yml",
        "groups:\n- name: g\n  rules:\n  - record: bad\n    expr: a + on() b\n  - record: good\n    expr: b * 2\n",
    );
    m.update(Duration::from_secs(60), &[f], Labels::empty(), "").unwrap();
    eval_all(&m, 0);
    let g = &m.rule_groups()[0];
    let j = serde_json::to_value(g).unwrap();
    assert_eq!(j["rules"][0]["health"], "err");
    assert!(j["rules"][0]["lastError"].as_str().unwrap().contains("matching"));
    assert_eq!(j["rules"][1]["health"], "ok");
    assert!(j["rules"][1].get("lastError").is_none());
    assert_eq!(series(&st, "good").len(), 1);
    let mut reg = prometheus_client::registry::Registry::default();
    m.register_metrics(&mut reg);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &reg).unwrap();
    let key = format!("{};g", m.groups()[0].file());
    assert!(text.contains(&format!("argus_rule_evaluation_failures_total{{rule_group=\"{key}\"}} 1")), "{text}");
    assert!(text.contains(&format!("argus_rule_evaluations_total{{rule_group=\"{key}\"}} 2")), "{text}");
}

#[test]
fn recording_rule_marks_vanished_series_stale() {
    let dir = tempfile::tempdir().unwrap();
    let st = MemStorage::new();
    st.add(Labels::from_pairs([("__name__", "up"), ("job", "a")]), &[Sample::new(0, 1.0)]);
    st.add(Labels::from_pairs([("__name__", "up"), ("job", "b")]), &[Sample::new(0, 1.0), Sample::new(300_000, 1.0)]);
    let m = manager(&st, None);
    let f = write(dir.path(), "r.yml", "groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n");
    // At 6m the lookback of 5m no longer reaches a's only sample.
    m.update(Duration::from_secs(60), &[f], Labels::empty(), "").unwrap();
    eval_all(&m, 0);
    eval_all(&m, 360_000);
    let got = series(&st, "r");
    let a = got.iter().find(|(l, _)| l.get("job") == Some("a")).unwrap();
    assert_eq!(a.1.len(), 2);
    assert!(is_stale_nan(a.1[1].v), "series a vanished and must get a staleness marker");
    let b = got.iter().find(|(l, _)| l.get("job") == Some("b")).unwrap();
    assert!(!is_stale_nan(b.1[1].v));
}

#[test]
fn alerts_are_sent_like_prometheus() {
    let dir = tempfile::tempdir().unwrap();
    let st = MemStorage::new();
    let up = Labels::from_pairs([("__name__", "up"), ("job", "a")]);
    st.add(up.clone(), &[Sample::new(0, 0.0), Sample::new(60_000, 0.0), Sample::new(120_000, 0.0)]);
    let sink = Arc::new(Sink::default());
    let m = manager(&st, Some(sink.clone()));
    let f = write(dir.path(), "r.yml", RULES);
    m.update(Duration::from_secs(60), &[f], Labels::empty(), "").unwrap();
    eval_all(&m, 0);
    assert!(sink.0.lock().unwrap().is_empty(), "pending alerts are not sent");
    eval_all(&m, 60_000);
    let sent = std::mem::take(&mut *sink.0.lock().unwrap());
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].starts_at_ms, 60_000);
    assert_eq!(sent[0].ends_at_ms, Some(60_000 + 4 * 60_000));
    assert_eq!(sent[0].labels.get("region"), Some("eu"));
    assert_eq!(sent[0].annotations.get("summary").map(String::as_str), Some("a down"));
    assert_eq!(sent[0].generator_url, "http://prom:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1");
    // Within the resend delay nothing is re-sent.
    eval_all(&m, 90_000);
    assert!(sink.0.lock().unwrap().is_empty());
    // Resolved: sent at once with endsAt = resolve time.
    st.add(up, &[Sample::new(150_000, 1.0)]);
    eval_all(&m, 150_000);
    let sent = std::mem::take(&mut *sink.0.lock().unwrap());
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].ends_at_ms, Some(150_000));
    assert!(m.alerts().is_empty());
}

#[test]
fn api_snapshot_shape() {
    let dir = tempfile::tempdir().unwrap();
    let st = MemStorage::new();
    st.add(Labels::from_pairs([("__name__", "up"), ("job", "a")]), &[Sample::new(0, 0.0)]);
    let m = manager(&st, None);
    let f = write(dir.path(), "r.yml", RULES);
    m.update(Duration::from_secs(30), std::slice::from_ref(&f), Labels::empty(), "").unwrap();
    let j = serde_json::to_value(m.rule_groups()).unwrap();
    assert_eq!(j[0]["lastEvaluation"], "0001-01-01T00:00:00Z");
    assert_eq!(j[0]["rules"][1]["health"], "unknown");
    eval_all(&m, 0);
    let j = serde_json::to_value(m.rule_groups()).unwrap();
    let g = &j[0];
    let keys: Vec<&str> = g.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["evaluationTime", "file", "interval", "lastEvaluation", "limit", "name", "rules"]);
    assert_eq!(g["interval"], 30.0);
    assert_eq!(g["file"], f.display().to_string());
    let rec = &g["rules"][0];
    assert_eq!(rec["type"], "recording");
    assert!(rec.get("labels").is_none());
    let al = &g["rules"][1];
    let keys: Vec<&str> = al.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "alerts",
            "annotations",
            "duration",
            "evaluationTime",
            "health",
            "keepFiringFor",
            "labels",
            "lastEvaluation",
            "name",
            "query",
            "state",
            "type"
        ]
    );
    assert_eq!(al["state"], "pending");
    assert_eq!(al["duration"], 60.0);
    assert_eq!(al["keepFiringFor"], 0.0);
    assert!(al["alerts"][0].get("keepFiringSince").is_none());
    assert_eq!(al["type"], "alerting");
    assert_eq!(al["alerts"][0]["value"], "0e+00");
    assert_eq!(al["alerts"][0]["labels"]["alertname"], "Down");
    assert_eq!(m.rule_groups_filtered(Some("alert"))[0].rules.len(), 1);
    assert_eq!(m.rule_groups_filtered(Some("record"))[0].rules[0].type_filter(), "record");
    let alerts = serde_json::to_value(m.alerts()).unwrap();
    assert_eq!(alerts[0]["activeAt"], "1970-01-01T00:00:00Z");
    assert_eq!(alerts[0]["annotations"]["summary"], "a down");
    assert!(matches!(m.groups()[0].rules()[1], Rule::Alerting(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_evaluates_groups_until_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let st = MemStorage::new();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    st.add(Labels::from_pairs([("__name__", "up"), ("job", "a")]), &[Sample::new(now, 1.0)]);
    let m = Arc::new(manager(&st, None));
    let f =
        write(dir.path(), "r.yml", "groups:\n- name: fast\n  interval: 100ms\n  rules:\n  - record: r\n    expr: up\n");
    m.update(Duration::from_secs(60), &[f], Labels::empty(), "").unwrap();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(m.clone().run(rx));
    // Wait (without a deadline assertion) until the group has run.
    // A generous liveness bound, not a timing assertion: the group runs every 100ms.
    for _ in 0..3000 {
        if m.groups()[0].last_evaluation().0.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(m.groups()[0].last_evaluation().0.is_some(), "the group never ran");
    tx.send(true).unwrap();
    task.await.unwrap();
    assert!(!series(&st, "r").is_empty());
    let ts = series(&st, "r")[0].1[0].t;
    assert_eq!(m.groups()[0].eval_timestamp(ts), ts, "evaluation times are aligned to the group's offset");
}

#[test]
fn for_state_is_restored_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let st = MemStorage::new();
    let t0: i64 = 1_000_000_000_000;
    let fs = Labels::from_pairs([
        ("__name__", "ALERTS_FOR_STATE"),
        ("alertname", "Down"),
        ("job", "a"),
        ("severity", "page"),
    ]);
    let before: Vec<Sample> = (0..=5).map(|i| Sample::new(t0 + i * 60_000, (t0 / 1000) as f64)).collect();
    st.add(fs, &before);
    let ts = t0 + 600_000;
    st.add(Labels::from_pairs([("__name__", "up"), ("job", "a")]), &[Sample::new(ts, 0.0)]);
    let m = manager(&st, None);
    let f = write(dir.path(), "r.yml", &RULES.replace("for: 1m", "for: 20m"));
    m.update(Duration::from_secs(60), &[f], Labels::empty(), "").unwrap();
    let g = m.groups()[0].clone();
    g.eval(ts);
    assert!(series(&st, "ALERTS").is_empty(), "ALERTS waits for the restore");
    m.restore_for_state(&g, ts);
    // Pending 5m before the outage; the 5m outage is added to activeAt.
    assert_eq!(m.alerts()[0].active_at, argus_rules_rfc3339(t0 + 300_000));
    g.eval(ts + 60_000);
    assert_eq!(series(&st, "ALERTS").len(), 1);
}

fn argus_rules_rfc3339(ms: i64) -> String {
    // 1_000_000_300_000 ms = 2001-09-09T01:51:40Z.
    assert_eq!(ms, 1_000_000_300_000);
    "2001-09-09T01:51:40Z".into()
}

#[test]
fn reload_matches_rules_by_name_and_labels_and_stales_removed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let st = MemStorage::new();
    st.add(Labels::from_pairs([("__name__", "up"), ("job", "a")]), &[Sample::new(0, 0.0)]);
    let m = manager(&st, None);
    let f = write(dir.path(), "r.yml", RULES);
    m.update(Duration::from_secs(60), std::slice::from_ref(&f), Labels::empty(), "").unwrap();
    eval_all(&m, 0);
    // The alert's expression changes and the recording rule goes away.
    let changed =
        "groups:\n- name: g\n  rules:\n  - alert: Down\n    expr: up < 1\n    for: 1m\n    labels: {severity: page}\n";
    std::fs::write(&f, changed).unwrap();
    m.update(Duration::from_secs(60), std::slice::from_ref(&f), Labels::empty(), "").unwrap();
    assert_eq!(m.alerts().len(), 1, "alert state follows name and labels, not the expression");
    eval_all(&m, 60_000);
    assert_eq!(m.alerts()[0].state, "firing");
    let rec = series(&st, "up:sum");
    assert_eq!(rec.len(), 1);
    assert!(is_stale_nan(rec[0].1.last().unwrap().v), "output of the removed rule is marked stale");
}
