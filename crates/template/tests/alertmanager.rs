//! Alertmanager 0.25's default templates and functions against amtool 0.25's
//! renderings (`amtool template render`, see tests/am/render.sh) of the data
//! in tests/am/data.json.

use std::collections::BTreeMap;

use argus_template::Value;
use argus_template::alertmanager::{AlertData, Templates, data};

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

const SUMMARY: &str = "p95 지연 <high> & \"rising\" +5%";

/// tests/am/data.json, built with the crate's data builder; common labels
/// and annotations are left empty so the builder computes them.
fn sample() -> Value {
    let labels =
        |inst: &str| map(&[("alertname", "HighLatency"), ("service", "api"), ("severity", "page"), ("instance", inst)]);
    let alerts = [
        AlertData {
            status: "firing".into(),
            labels: labels("a:9090"),
            annotations: map(&[("summary", SUMMARY), ("description", "desc 1")]),
            starts_at: "2023-03-01T10:00:00.123Z".into(),
            ends_at: "0001-01-01T00:00:00Z".into(),
            generator_url: "http://prom:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1".into(),
            fingerprint: "1a2b3c4d5e6f7a8b".into(),
        },
        AlertData {
            status: "firing".into(),
            labels: labels("b:9090"),
            annotations: map(&[("summary", SUMMARY), ("description", "desc 2")]),
            starts_at: "2023-03-01T10:05:00Z".into(),
            ends_at: "0001-01-01T00:00:00Z".into(),
            generator_url: "javascript:alert(1)".into(),
            fingerprint: "0000000000000001".into(),
        },
        AlertData {
            status: "resolved".into(),
            labels: labels("c:9090"),
            annotations: map(&[("summary", SUMMARY)]),
            starts_at: "2023-03-01T09:00:00Z".into(),
            ends_at: "2023-03-01T09:30:00.5+02:00".into(),
            generator_url: "http://prom:9090/x".into(),
            fingerprint: "00000000000000ff".into(),
        },
    ];
    data(
        "team-pager",
        "",
        &alerts,
        &map(&[("alertname", "HighLatency")]),
        &BTreeMap::new(),
        &BTreeMap::new(),
        "http://am.example.com:9093",
    )
}

fn golden(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/am/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn check_text(text: &str, want_file: &str) {
    let t = Templates::new(&[]).unwrap();
    let got = t.execute_text(text, &sample()).unwrap();
    assert_eq!(got, golden(want_file), "{text}");
}

#[test]
fn subject() {
    check_text(r#"{{ template "email.default.subject" . }}"#, "subject.txt");
    assert_eq!(golden("subject.txt"), "[FIRING:2] HighLatency (api page)");
}

#[test]
fn slack_defaults() {
    check_text(
        r#"{{ template "slack.default.title" . }}|{{ template "slack.default.titlelink" . }}|{{ template "slack.default.fallback" . }}"#,
        "slack.txt",
    );
}

#[test]
fn text_alert_lists() {
    check_text(r#"{{ template "opsgenie.default.description" . }}"#, "opsgenie.txt");
    check_text(r#"{{ template "pushover.default.message" . }}"#, "pushover.txt");
    check_text(r#"{{ template "wechat.default.message" . }}"#, "wechat.txt");
}

#[test]
fn methods_times_and_functions() {
    check_text(&golden("methods.tmpl"), "methods.txt");
}

#[test]
fn html_escaping() {
    let t = Templates::new(&[]).unwrap();
    assert_eq!(t.execute_html(&golden("html_snippet.tmpl"), &sample()).unwrap(), golden("html_snippet.txt"));
}

#[test]
fn time_methods_accept_rfc3339_too() {
    let t = Templates::new(&[]).unwrap();
    let data = Value::Map(BTreeMap::from([("T".to_string(), Value::String("2023-03-01T09:30:00.5+02:00".into()))]));
    assert_eq!(
        t.execute_text(r#"{{ .T.Format "2006-01-02 15:04:05.000 MST" }}|{{ .T.Unix }}|{{ .T.UTC }}"#, &data).unwrap(),
        "2023-03-01 09:30:00.500 +0200|1677655800|2023-03-01 07:30:00.5 +0000 UTC"
    );
}

/// A user template file in the styles seen in the wild (Slack text, titles,
/// silence links), rendered by amtool next to the defaults.
#[test]
fn user_template_file() {
    let t = Templates::new(&[("custom.tmpl".to_string(), golden("custom.tmpl"))]).unwrap();
    let text = r#"{{ template "custom.slack.text" . }}~{{ template "custom.title" . }}~{{ template "custom.silence" . }}~{{ template "custom.misc" . }}"#;
    assert_eq!(t.execute_text(text, &sample()).unwrap(), golden("custom.txt"));
}

#[test]
fn html_contexts() {
    let t = Templates::new(&[]).unwrap();
    assert_eq!(t.execute_html(&golden("html_contexts.tmpl"), &sample()).unwrap(), golden("html_contexts.txt"));
}

#[test]
fn email_html() {
    let t = Templates::new(&[]).unwrap();
    let got = t.execute_html(r#"{{ template "email.default.html" . }}"#, &sample()).unwrap();
    let want = golden("email.html");
    if got != want {
        let line = got.lines().zip(want.lines()).position(|(a, b)| a != b);
        panic!(
            "email differs at line {line:?}:\n got: {:?}\nwant: {:?}",
            line.and_then(|l| got.lines().nth(l)),
            line.and_then(|l| want.lines().nth(l))
        );
    }
}

#[test]
fn user_templates_override_and_errors() {
    let user = vec![(
        "/etc/am/my.tmpl".to_string(),
        r#"{{ define "__alertmanager" }}Argus{{ end }}{{ define "x" }}{{ .Status | title }}{{ end }}"#.to_string(),
    )];
    let t = Templates::new(&user).unwrap();
    assert_eq!(
        t.execute_text(r#"{{ template "slack.default.username" . }} {{ template "x" . }}"#, &sample()).unwrap(),
        "Argus Firing"
    );
    assert_eq!(t.execute_text("", &sample()).unwrap(), "");
    let err = Templates::new(&[("bad.tmpl".to_string(), "{{ define \"y\" }}\n{{ nosuch }}{{ end }}".to_string())])
        .unwrap_err();
    assert_eq!(err.0, r#"template: bad.tmpl:2: function "nosuch" not defined"#);
    // amtool: `template: :1:12: executing "" at <{{template "x"}}>: template "x" not defined`
    let err = Templates::new(&[]).unwrap().execute_text(r#"{{ template "x" }}"#, &sample()).unwrap_err();
    assert_eq!(err.0, r#"template: :1:12: executing "" at <{{template "x"}}>: template "x" not defined"#);
    // amtool's errors for fields the data types lack.
    let t = Templates::new(&[]).unwrap();
    assert_eq!(
        t.execute_text("{{ .Nope }}", &sample()).unwrap_err().0,
        r#"template: :1:3: executing "" at <.Nope>: can't evaluate field Nope in type template.Data"#
    );
    assert_eq!(
        t.execute_text("{{ .Alerts.Firing.Nope }}", &sample()).unwrap_err().0,
        r#"template: :1:10: executing "" at <.Alerts.Firing.Nope>: can't evaluate field Nope in type []template.Alert"#
    );
    assert_eq!(
        t.execute_text("{{ template }}", &sample()).unwrap_err().0,
        r#"template: :1: unexpected "}}" in template clause"#
    );
}
