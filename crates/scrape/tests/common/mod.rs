//! Helpers for the scrape integration tests: local HTTP targets, a manager
//! over in-memory storage, and polling until a condition holds (never a
//! timing assertion: a condition that never holds fails after a generous
//! deadline).

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use argus_model::storage::{MemStorage, Queryable, SelectHints};
use argus_model::{Labels, Matcher, is_stale_nan};
use argus_scrape::{ManagerOpts, ScrapeManager, TargetState};

/// Serves `router` on 127.0.0.1:0; returns `host:port`.
pub async fn serve(router: axum::Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let _ = axum::serve(l, router).await;
    });
    addr
}

/// A TCP server that answers every connection with `f(request_head)`
/// written raw; for bodies axum would not produce.
pub async fn serve_raw<F, Fut>(f: F) -> String
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let f = Arc::new(f);
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let f = f.clone();
            tokio::spawn(async move { f(s).await });
        }
    });
    addr
}

/// Reads the request head from `s` (up to the blank line).
pub async fn read_head(s: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut b = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut b).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&b[..n]),
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// A config from YAML.
pub fn config(yaml: &str) -> argus_scrape::Config {
    argus_scrape::config::parse(yaml, "/tmp/prometheus.yml".as_ref(), &Default::default()).unwrap()
}

/// A manager over a fresh in-memory store, started with `yaml`.
pub async fn manager(yaml: &str) -> (Arc<ScrapeManager>, MemStorage) {
    let st = MemStorage::new();
    let opts = ManagerOpts { initial_discovery_wait: Duration::from_secs(2), ..Default::default() };
    let m = Arc::new(ScrapeManager::new(Arc::new(st.clone()), opts));
    m.apply_config(&config(yaml)).await.unwrap();
    (m, st)
}

/// All series named `name` whose labels match `extra` (`name=value` pairs).
pub fn series(st: &MemStorage, name: &str, extra: &[(&str, &str)]) -> Vec<(Labels, Vec<f64>)> {
    let q = st.querier(0, i64::MAX).unwrap();
    let h = SelectHints { start: 0, end: i64::MAX, ..Default::default() };
    let mut ms = vec![Matcher::equal("__name__", name)];
    ms.extend(extra.iter().map(|(k, v)| Matcher::equal(*k, *v)));
    q.select(&ms, &h)
        .unwrap()
        .map(|s| s.unwrap())
        .map(|s| (s.labels, s.samples.iter().map(|x| x.v).collect()))
        .collect()
}

/// The values of `name` for `instance`.
pub fn values(st: &MemStorage, name: &str, instance: &str) -> Vec<f64> {
    series(st, name, &[("instance", instance)]).into_iter().flat_map(|(_, v)| v).collect()
}

/// Polls `f` every 20ms until it returns `Some`, for at most 20s.
pub async fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..1000 {
        if let Some(v) = f() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// The `lastError` of the active target `instance` once it has been scraped
/// `n` times with `up` recorded (by counting `up` samples).
pub async fn last_error_after(m: &ScrapeManager, st: &MemStorage, instance: &str, n: usize) -> String {
    eventually(&format!("{n} scrapes of {instance}"), || {
        (values(st, "up", instance).iter().filter(|v| !is_stale_nan(**v)).count() >= n).then_some(())
    })
    .await;
    target(m, instance).await.last_error
}

/// The active target with this `instance` label, once it has reported a scrape.
/// A scrape loop publishes its target's health after committing the scrape's
/// samples (as Prometheus does), so a test that saw the samples waits for it.
pub async fn target(m: &ScrapeManager, instance: &str) -> argus_scrape::api::ActiveTarget {
    eventually(&format!("a reported scrape of {instance}"), || {
        let t = m
            .targets(TargetState::Active)
            .active_targets
            .into_iter()
            .find(|t| t.labels.get("instance").map(String::as_str) == Some(instance))
            .unwrap_or_else(|| panic!("no active target {instance}"));
        (t.health != argus_scrape::Health::Unknown).then_some(t)
    })
    .await
}

/// Waits until the healthy target `instance` has at least `n` more `up == 1`
/// samples than now: it kept being scraped.
pub async fn keeps_scraping(st: &MemStorage, instance: &str, n: usize) {
    let before = values(st, "up", instance).iter().filter(|v| **v == 1.0).count();
    eventually(&format!("{instance} keeps scraping"), || {
        (values(st, "up", instance).iter().filter(|v| **v == 1.0).count() >= before + n).then_some(())
    })
    .await;
}
