//! The API snapshots in Prometheus 2.42's JSON shape, content negotiation,
//! metadata, and scraping through a proxy.

mod common;

use std::sync::{Arc, Mutex};

use argus_model::Matcher;
use argus_scrape::TargetState;
use axum::http::header;
use axum::routing::get;
use common::*;
use tokio::io::AsyncWriteExt;

const OM_BODY: &str = "# TYPE req counter\n# HELP req Requests.\n# UNIT req_seconds seconds\nreq_total{code=\"200\"} 3 1700000000.5\n# TYPE req_seconds gauge\nreq_seconds 1.5\n# EOF\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_json_metadata_and_openmetrics() {
    let om = serve(axum::Router::new().route(
        "/metrics",
        get(|| async {
            ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], OM_BODY)
        }),
    ))
    .await;
    let y = format!(
        "global: {{scrape_interval: 100ms, scrape_timeout: 100ms}}\n\
         scrape_configs:\n\
         - job_name: om\n  params: {{module: [m1]}}\n  static_configs: [{{targets: ['{om}', 'drop.me:1'], labels: {{env: e}}}}]\n  relabel_configs: [{{source_labels: [__address__], regex: 'drop.*', action: drop}}]\n"
    );
    let (m, st) = manager(&y).await;
    last_error_after(&m, &st, &om, 1).await;
    // The exposed timestamp is kept (honor_timestamps defaults to true).
    let req = series(&st, "req_total", &[]);
    assert_eq!(req[0].1[0], 3.0);
    let q = argus_model::storage::Queryable::querier(&st, 0, i64::MAX).unwrap();
    let h = argus_model::storage::SelectHints { start: 0, end: i64::MAX, ..Default::default() };
    let s: Vec<_> = q.select(&[Matcher::equal("__name__", "req_total")], &h).unwrap().map(|s| s.unwrap()).collect();
    assert_eq!(s[0].samples[0].t, 1_700_000_000_500);

    // The stored samples can be visible a moment before the loop records its
    // status; wait (bounded) for the status of a successful scrape.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let json = loop {
        let json = serde_json::to_value(m.targets(TargetState::Any)).unwrap();
        if json["activeTargets"][0]["health"] == "up" || std::time::Instant::now() > deadline {
            break json;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let active = &json["activeTargets"][0];
    let keys: Vec<&str> = active.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "discoveredLabels",
        "labels",
        "scrapePool",
        "scrapeUrl",
        "globalUrl",
        "lastError",
        "lastScrape",
        "lastScrapeDuration",
        "health",
        "scrapeInterval",
        "scrapeTimeout",
    ];
    want.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, want);
    assert_eq!(active["health"], "up");
    assert_eq!(active["scrapePool"], "om");
    assert_eq!(active["scrapeUrl"], format!("http://{om}/metrics?module=m1"));
    assert_eq!(active["scrapeInterval"], "100ms");
    assert_eq!(active["labels"], serde_json::json!({"env": "e", "instance": om, "job": "om"}));
    assert_eq!(active["discoveredLabels"]["__param_module"], "m1");
    let last = active["lastScrape"].as_str().unwrap();
    assert!(last.ends_with('Z') && last.len() > 20 && !last.starts_with("0001"), "{last}");
    assert!(active["lastScrapeDuration"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        json["droppedTargets"],
        serde_json::json!([{"discoveredLabels": {
            "__address__": "drop.me:1", "__metrics_path__": "/metrics", "__param_module": "m1",
            "__scheme__": "http", "__scrape_interval__": "100ms", "__scrape_timeout__": "100ms",
            "env": "e", "job": "om"
        }}])
    );
    let only_active = serde_json::to_value(m.targets(TargetState::Active)).unwrap();
    assert_eq!(only_active["droppedTargets"], serde_json::json!([]));
    let only_dropped = serde_json::to_value(m.targets(TargetState::Dropped)).unwrap();
    assert_eq!(only_dropped["activeTargets"], serde_json::json!([]));
    assert_eq!(m.scrape_pools(), vec!["om".to_string()]);

    // Metadata: everything for the target, one metric, a non-matching target.
    let md = serde_json::to_value(m.targets_metadata(&[Matcher::equal("job", "om")], None, None)).unwrap();
    assert_eq!(
        md,
        serde_json::json!([
            {"target": {"env": "e", "instance": om, "job": "om"}, "metric": "req", "type": "counter", "help": "Requests.", "unit": ""},
            {"target": {"env": "e", "instance": om, "job": "om"}, "metric": "req_seconds", "type": "gauge", "help": "", "unit": "seconds"},
        ])
    );
    let one = serde_json::to_value(m.targets_metadata(&[], Some("req"), None)).unwrap();
    assert_eq!(one[0].get("metric"), None);
    assert_eq!(one[0]["type"], "counter");
    assert!(m.targets_metadata(&[Matcher::equal("job", "other")], None, None).is_empty());
    assert!(m.targets_metadata(&[], None, Some(0)).is_empty());
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrapes_through_proxy_url() {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let s = seen.clone();
    // A forward proxy sees the absolute URL in the request line.
    let proxy = serve_raw(move |mut c| {
        let s = s.clone();
        async move {
            let head = read_head(&mut c).await;
            s.lock().unwrap().push(head.lines().next().unwrap_or("").to_string());
            let body = "proxied 1\n";
            let resp = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            let _ = c.write_all(resp.as_bytes()).await;
        }
    })
    .await;
    let y = format!(
        "global: {{scrape_interval: 100ms, scrape_timeout: 100ms}}\n\
         scrape_configs:\n\
         - job_name: p\n  proxy_url: 'http://{proxy}'\n  static_configs: [{{targets: ['behind.proxy.invalid:9100']}}]\n"
    );
    let (m, st) = manager(&y).await;
    eventually("proxied", || (!series(&st, "proxied", &[]).is_empty()).then_some(())).await;
    assert_eq!(seen.lock().unwrap()[0], "GET http://behind.proxy.invalid:9100/metrics HTTP/1.1");
    m.stop().await;
}
