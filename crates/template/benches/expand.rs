//! Template expansion cost on the two hot paths: an alert annotation
//! (every alert, every evaluation) and a notification title (every
//! notification). No harness dependency: `cargo bench -p argus-template`
//! prints the mean time per call (ALERTS=n sets the group size, default
//! 20); results are recorded in benches/RESULTS.md.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use argus_template::alertmanager::{AlertData, Templates, data};
use argus_template::prometheus::Expander;

fn bench(name: &str, iters: u32, mut f: impl FnMut()) {
    for _ in 0..iters / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    println!("{name:<40} {:>10.2?} per call", start.elapsed() / iters);
}

fn main() {
    let ex = Expander {
        labels: BTreeMap::from([
            ("instance".to_string(), "host:9090".to_string()),
            ("job".to_string(), "api".to_string()),
        ]),
        external_labels: BTreeMap::new(),
        external_url: "http://prometheus.example.com".into(),
        value: 1234.5,
        timestamp_ms: 0,
        query: None,
    };
    let text =
        r#"{{ $labels.instance }} 인스턴스가 {{ $value | humanize }} 요청/초를 처리 중 ({{ printf "%.1f" $value }})"#;
    bench("prometheus annotation", 50_000, || {
        black_box(ex.expand("__alert_HighLoad", black_box(text)).ok());
    });

    let t = Templates::new(&[]).unwrap_or_else(|e| panic!("default templates: {e}"));
    let n_alerts: usize = std::env::var("ALERTS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let alerts: Vec<AlertData> = (0..n_alerts)
        .map(|i| AlertData {
            status: "firing".into(),
            labels: BTreeMap::from([
                ("alertname".into(), "HighLatency".into()),
                ("instance".into(), format!("host-{i}:9090")),
            ]),
            annotations: BTreeMap::from([("summary".into(), "p95 above 1s".into())]),
            starts_at: "2023-03-01T10:00:00Z".into(),
            ends_at: String::new(),
            generator_url: "http://prometheus.example.com/graph".into(),
            fingerprint: format!("{i:016x}"),
        })
        .collect();
    let group = BTreeMap::from([("alertname".to_string(), "HighLatency".to_string())]);
    let d = data("team", "", &alerts, &group, &BTreeMap::new(), &BTreeMap::new(), "http://am.example.com");
    bench(&format!("alertmanager slack title ({n_alerts} alerts)"), 5_000, || {
        black_box(t.execute_text(r#"{{ template "slack.default.title" . }}"#, &d).ok());
    });
    bench(&format!("alertmanager email html ({n_alerts} alerts)"), 500, || {
        black_box(t.execute_html(r#"{{ template "email.default.html" . }}"#, &d).ok());
    });
    bench("alertmanager Templates::new", 200, || {
        black_box(Templates::new(&[]).ok());
    });
}
