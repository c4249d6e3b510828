//! Bad targets: each test runs a broken target next to a healthy one in one
//! manager and checks `up`, the broken target's `lastError`, and that the
//! healthy target kept being scraped.

mod common;

use std::time::Duration;

use argus_model::exposition::{Format, Parser};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use common::*;
use tokio::io::AsyncWriteExt;

const HEALTHY_BODY: &str = "# HELP h_total Healthy.\n# TYPE h_total counter\nh_total 1\n";

async fn healthy() -> String {
    serve(axum::Router::new().route("/metrics", get(|| async { HEALTHY_BODY }))).await
}

/// A config with the healthy target and `bad` as job `bad` (extra YAML for
/// the job in `job_extra`, indented as a job's fields).
fn yaml(healthy: &str, bad: &str, job_extra: &str) -> String {
    format!(
        "global: {{scrape_interval: 100ms, scrape_timeout: 100ms}}\n\
         scrape_configs:\n\
         - job_name: healthy\n  static_configs: [{{targets: ['{healthy}']}}]\n\
         - job_name: bad\n  static_configs: [{{targets: ['{bad}']}}]\n{job_extra}"
    )
}

/// Runs `bad` next to a healthy target; returns the bad target's lastError
/// after two scrapes, with `up` 0 for it and the healthy one still scraping.
async fn check_down(bad: &str, job_extra: &str) -> String {
    let h = healthy().await;
    let (m, st) = manager(&yaml(&h, bad, job_extra)).await;
    let err = last_error_after(&m, &st, bad, 2).await;
    keeps_scraping(&st, &h, 3).await;
    let t = target(&m, bad).await;
    assert_eq!(t.health, argus_scrape::Health::Down, "{err}");
    assert!(values(&st, "up", bad).iter().all(|v| *v == 0.0));
    assert_eq!(target(&m, &h).await.health, argus_scrape::Health::Up);
    m.stop().await;
    err
}

fn parse_error(body: &[u8]) -> String {
    Parser::new(body, Format::PromText).find_map(Result::err).expect("body must not parse").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_500() {
    let bad =
        serve(axum::Router::new().route("/metrics", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "oops") })))
            .await;
    assert_eq!(check_down(&bad, "").await, "server returned HTTP status 500 Internal Server Error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_body() {
    const BODY: &[u8] = b"ok_metric 1\nthis is { not a metric\n";
    let bad = serve(axum::Router::new().route("/metrics", get(|| async { BODY }))).await;
    let err = check_down(&bad, "").await;
    assert_eq!(err, parse_error(BODY));
    assert!(err.starts_with("line 2:"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_and_metric_names() {
    const UTF8: &[u8] = b"m{l=\"\xff\xfe\"} 1\n";
    let bad = serve(axum::Router::new().route("/metrics", get(|| async { UTF8 }))).await;
    assert_eq!(check_down(&bad, "").await, parse_error(UTF8));
    const NAME: &[u8] = b"0starts_with_digit 1\n";
    let bad = serve(axum::Router::new().route("/metrics", get(|| async { NAME }))).await;
    assert_eq!(check_down(&bad, "").await, parse_error(NAME));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_target_times_out() {
    let bad = serve(axum::Router::new().route(
        "/metrics",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late 1\n"
        }),
    ))
    .await;
    assert_eq!(check_down(&bad, "").await, format!("Get \"http://{bad}/metrics\": context deadline exceeded"));
}

/// Headers, then body chunks forever.
async fn endless(mut s: tokio::net::TcpStream) {
    read_head(&mut s).await;
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nTransfer-Encoding: chunked\r\n\r\n";
    if s.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let line = "endless_metric{i=\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"} 1\n".repeat(20);
    let chunk = format!("{:x}\r\n{line}\r\n", line.len());
    loop {
        if s.write_all(chunk.as_bytes()).await.is_err() {
            return;
        }
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_body_stops_at_body_size_limit() {
    let bad = serve_raw(endless).await;
    // A long timeout, so only the limit can end the scrape.
    let job = "  body_size_limit: 16KB\n  scrape_interval: 1s\n  scrape_timeout: 1s\n";
    assert_eq!(check_down(&bad, job).await, "body size limit exceeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_body_without_limit_times_out() {
    let bad = serve_raw(endless).await;
    assert_eq!(check_down(&bad, "").await, "context deadline exceeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_over_limit() {
    let body = "big_metric 1\n".repeat(200); // 2600 bytes
    let bad = serve(axum::Router::new().route("/metrics", get(move || async move { body }))).await;
    assert_eq!(check_down(&bad, "  body_size_limit: 2KB\n").await, "body size limit exceeded");
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_body_is_decompressed_and_limited_after_decompression() {
    let small = gzip(b"# TYPE zipped gauge\nzipped{a=\"1\"} 42\n");
    let big = gzip("zipped_big 1\n".repeat(10_000).as_bytes()); // 130 kB, compresses to < 1 kB
    assert!(big.len() < 2048);
    let router = axum::Router::new()
        .route(
            "/small",
            get(move |h: HeaderMap| async move {
                assert_eq!(h.get(header::ACCEPT_ENCODING).unwrap(), "gzip");
                ([(header::CONTENT_ENCODING, "gzip")], small)
            }),
        )
        .route("/big", get(move || async move { ([(header::CONTENT_ENCODING, "gzip")], big) }));
    let addr = serve(router).await;
    let y = format!(
        "global: {{scrape_interval: 100ms, scrape_timeout: 100ms}}\n\
         scrape_configs:\n\
         - job_name: small\n  metrics_path: /small\n  static_configs: [{{targets: ['{addr}']}}]\n\
         - job_name: big\n  metrics_path: /big\n  body_size_limit: 64KB\n  static_configs: [{{targets: ['{addr}']}}]\n"
    );
    let (m, st) = manager(&y).await;
    eventually("zipped stored", || series(&st, "zipped", &[("job", "small")]).first().map(|s| s.1[0])).await;
    assert_eq!(series(&st, "zipped", &[("a", "1")])[0].1[0], 42.0);
    eventually("big failed", || {
        let t = m.targets(argus_scrape::TargetState::Active);
        t.active_targets.into_iter().find(|t| t.scrape_pool == "big" && !t.last_error.is_empty()).map(|t| t.last_error)
    })
    .await
    .eq("body size limit exceeded")
    .then_some(())
    .expect("big fails with the body size limit");
    assert!(series(&st, "zipped_big", &[]).is_empty());
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_series_first_wins_and_scrape_succeeds() {
    let bad = serve(axum::Router::new().route("/metrics", get(|| async { "dup 1\ndup 2\nother 3\n" }))).await;
    let h = healthy().await;
    let (m, st) = manager(&yaml(&h, &bad, "")).await;
    let err = last_error_after(&m, &st, &bad, 2).await;
    assert_eq!(err, "");
    assert_eq!(target(&m, &bad).await.health, argus_scrape::Health::Up);
    let dup = series(&st, "dup", &[]);
    assert_eq!(dup.len(), 1);
    assert!(dup[0].1.iter().all(|v| *v == 1.0), "first sample wins: {:?}", dup[0].1);
    assert!(values(&st, "scrape_samples_scraped", &bad).iter().all(|v| *v == 3.0));
    let mut reg = prometheus_client::registry::Registry::default();
    m.register_metrics(&mut reg);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &reg).unwrap();
    let dups: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("argus_scrape_sample_duplicate_timestamp_total "))
        .and_then(|v| v.parse().ok())
        .expect("duplicate counter exported");
    assert!(dups >= 2.0, "{text}");
    keeps_scraping(&st, &h, 2).await;
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sample_and_label_limits() {
    let bad = serve(axum::Router::new().route("/metrics", get(|| async { "a 1\nb 2\nc{x=\"1\"} 3\n" }))).await;
    assert_eq!(check_down(&bad, "  sample_limit: 2\n").await, "sample limit exceeded");
    assert_eq!(
        check_down(&bad, "  label_limit: 3\n").await,
        "label_limit exceeded (metric: c, number of labels: 4, limit: 3)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused() {
    // Bind and drop a listener so the port is very likely closed.
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    assert_eq!(
        check_down(&addr, "").await,
        format!("Get \"http://{addr}/metrics\": dial tcp {addr}: connect: connection refused")
    );
}
