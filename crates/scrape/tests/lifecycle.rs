//! Target set changes: file SD updates, removed targets and jobs (staleness
//! markers), reloads that keep series, HTTP SD, in-process targets.

mod common;

use std::sync::Arc;

use argus_model::exposition::Format;
use argus_model::is_stale_nan;
use argus_scrape::{ManagerOpts, ScrapeManager, TargetState};
use axum::routing::get;
use common::*;

async fn target_server(name: &'static str) -> String {
    serve(axum::Router::new().route("/metrics", get(move || async move { format!("{name}_metric 1\n") }))).await
}

fn last_is_stale(v: &[f64]) -> bool {
    v.last().is_some_and(|x| is_stale_nan(*x))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_sd_change_starts_and_stops_targets() {
    let (a, b, h) = (target_server("a").await, target_server("b").await, target_server("h").await);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.json");
    std::fs::write(&file, format!(r#"[{{"targets": ["{a}"], "labels": {{"env": "x"}}}}]"#)).unwrap();
    let y = format!(
        "global: {{scrape_interval: 100ms, scrape_timeout: 100ms}}\n\
         scrape_configs:\n\
         - job_name: healthy\n  static_configs: [{{targets: ['{h}']}}]\n\
         - job_name: files\n  file_sd_configs: [{{files: ['{}'], refresh_interval: 1m}}]\n",
        dir.path().join("*.json").display()
    );
    let (m, st) = manager(&y).await;
    eventually("a scraped", || (!values(&st, "a_metric", &a).is_empty()).then_some(())).await;
    assert_eq!(series(&st, "a_metric", &[])[0].0.get("env"), Some("x"));

    // Replace a by b: a's series and its up go stale, b is scraped.
    std::fs::write(&file, format!(r#"[{{"targets": ["{b}"]}}]"#)).unwrap();
    eventually("b scraped", || (!values(&st, "b_metric", &b).is_empty()).then_some(())).await;
    eventually("a stale", || last_is_stale(&values(&st, "a_metric", &a)).then_some(())).await;
    assert!(last_is_stale(&values(&st, "up", &a)));
    let t = m.targets(TargetState::Active);
    let files: Vec<_> = t.active_targets.iter().filter(|t| t.scrape_pool == "files").collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].scrape_url, format!("http://{b}/metrics"));
    assert_eq!(files[0].discovered_labels.get("__meta_filepath").map(String::as_str), Some(file.to_str().unwrap()));
    keeps_scraping(&st, &h, 2).await;
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_job_writes_stale_markers_and_reload_keeps_series() {
    let (a, h) = (target_server("a").await, target_server("h").await);
    let job_a = format!("- job_name: a\n  static_configs: [{{targets: ['{a}']}}]\n");
    let job_h = format!("- job_name: healthy\n  static_configs: [{{targets: ['{h}']}}]\n");
    let head = "global: {scrape_interval: 100ms, scrape_timeout: 100ms}\nscrape_configs:\n";
    let (m, st) = manager(&format!("{head}{job_a}{job_h}")).await;
    eventually("a scraped twice", || (values(&st, "a_metric", &a).len() >= 2).then_some(())).await;

    // A changed job (sample_limit) restarts its loop with the old cache: no
    // staleness marker, and the series is not counted as added again.
    let changed = format!("{job_a}  sample_limit: 100\n");
    m.apply_config(&config(&format!("{head}{changed}{job_h}"))).await.unwrap();
    let n = values(&st, "a_metric", &a).len();
    eventually("a scraped after reload", || (values(&st, "a_metric", &a).len() >= n + 2).then_some(())).await;
    assert!(!values(&st, "a_metric", &a).iter().any(|v| is_stale_nan(*v)), "reload must not mark a stale");
    let added = values(&st, "scrape_series_added", &a);
    assert_eq!(added[0], 1.0);
    assert!(added[1..].iter().all(|v| *v == 0.0), "{added:?}");

    // Removing the job marks everything stale; the other job goes on.
    m.apply_config(&config(&format!("{head}{job_h}"))).await.unwrap();
    assert!(last_is_stale(&values(&st, "a_metric", &a)));
    for name in ["up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_series_added"] {
        assert!(last_is_stale(&values(&st, name, &a)), "{name}");
    }
    assert_eq!(m.scrape_pools(), vec!["healthy".to_string()]);
    keeps_scraping(&st, &h, 2).await;

    // Shutdown leaves series alone.
    m.stop().await;
    assert!(!last_is_stale(&values(&st, "h_metric", &h)));
    assert!(m.scrape_pools().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_sd_targets() {
    let a = target_server("a").await;
    let body = format!(r#"[{{"targets": ["{a}"], "labels": {{"team": "t1"}}}}]"#);
    let sd = serve(
        axum::Router::new()
            .route("/sd", get(move || async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], body) })),
    )
    .await;
    let y = format!(
        "global: {{scrape_interval: 100ms, scrape_timeout: 100ms}}\n\
         scrape_configs:\n\
         - job_name: sd\n  http_sd_configs: [{{url: 'http://{sd}/sd', refresh_interval: 1s}}]\n"
    );
    let (m, st) = manager(&y).await;
    eventually("a scraped", || (!values(&st, "a_metric", &a).is_empty()).then_some(())).await;
    let s = series(&st, "a_metric", &[]);
    assert_eq!(s[0].0.get("team"), Some("t1"));
    let t = target(&m, &a).await;
    assert_eq!(t.discovered_labels.get("__meta_url"), Some(&format!("http://{sd}/sd")));
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_sd_a_records() {
    let a = target_server("a").await;
    let port = a.rsplit_once(':').unwrap().1;
    let y = format!(
        "global: {{scrape_interval: 100ms, scrape_timeout: 100ms}}\n\
         scrape_configs:\n\
         - job_name: dns\n  dns_sd_configs: [{{names: ['localhost'], type: A, port: {port}}}]\n"
    );
    let (m, st) = manager(&y).await;
    let inst = format!("127.0.0.1:{port}");
    eventually("a scraped via DNS", || (!values(&st, "a_metric", &inst).is_empty()).then_some(())).await;
    assert_eq!(target(&m, &inst).await.discovered_labels.get("__meta_dns_name").map(String::as_str), Some("localhost"));
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_resolver_serves_targets_in_process() {
    let st = argus_model::storage::MemStorage::new();
    let resolver: argus_scrape::InternalResolver = Arc::new(|t: &argus_scrape::Target| {
        let path = t.all_labels().get("__metrics_path__")?;
        (path == "/node/metrics").then(|| {
            let src: argus_scrape::Source =
                Arc::new(|| (b"# TYPE node_x gauge\nnode_x 7\n".to_vec(), Format::PromText));
            src
        })
    });
    let opts = ManagerOpts { internal: Some(resolver), ..Default::default() };
    let m = ScrapeManager::new(Arc::new(st.clone()), opts);
    // Nothing listens on this port: only the in-process source can answer.
    let y = "global: {scrape_interval: 100ms, scrape_timeout: 100ms}\n\
             scrape_configs:\n\
             - job_name: node\n  metrics_path: /node/metrics\n  static_configs: [{targets: ['localhost:1']}]\n";
    m.apply_config(&config(y)).await.unwrap();
    eventually("node_x stored", || series(&st, "node_x", &[("job", "node")]).first().map(|s| s.1[0])).await;
    assert_eq!(series(&st, "node_x", &[])[0].1[0], 7.0);
    assert_eq!(target(&m, "localhost:1").await.health, argus_scrape::Health::Up);
    let md = m.targets_metadata(&[], Some("node_x"), None);
    assert_eq!(md.len(), 1);
    assert_eq!(md[0].kind, "gauge");
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_limit_fails_every_target() {
    let (a, b) = (target_server("a").await, target_server("b").await);
    let y = format!(
        "global: {{scrape_interval: 100ms, scrape_timeout: 100ms}}\n\
         scrape_configs:\n\
         - job_name: lim\n  target_limit: 1\n  static_configs: [{{targets: ['{a}', '{b}']}}]\n"
    );
    let (m, st) = manager(&y).await;
    let err = last_error_after(&m, &st, &a, 1).await;
    assert_eq!(err, "target_limit exceeded (number of targets: 2, limit: 1)");
    assert!(values(&st, "a_metric", &a).is_empty());
    m.stop().await;
}
