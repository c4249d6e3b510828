//! `dns_sd_configs` of type SRV and MX against a DNS server on loopback:
//! targets and `__meta_dns_*` labels from the records, refresh, and a failing
//! lookup keeping the previous targets.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argus_model::is_stale_nan;
use argus_scrape::discovery::dns_client::encode_name;
use argus_scrape::{ManagerOpts, ScrapeManager};
use axum::routing::get;
use common::*;

async fn target_server(name: &'static str) -> String {
    serve(axum::Router::new().route("/metrics", get(move || async move { format!("{name}_metric 1\n") }))).await
}

/// What the test DNS server answers: SRV/MX records for these (host, port)
/// pairs, or SERVFAIL when `None`.
type Answers = Arc<Mutex<Option<Vec<(String, u16)>>>>;

/// A UDP DNS server on 127.0.0.1 answering every SRV or MX question from
/// `answers`; counts the questions it got.
async fn dns_server(answers: Answers, queries: Arc<AtomicUsize>) -> SocketAddr {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = sock.recv_from(&mut buf).await {
            let q = &buf[..n];
            // The question: name labels up to the root, then type and class.
            let mut end = 12;
            while q[end] != 0 {
                end += 1 + q[end] as usize;
            }
            let qtype = u16::from_be_bytes([q[end + 1], q[end + 2]]);
            let question = &q[12..end + 5];
            let current = answers.lock().unwrap().clone();
            let mut r = q[..2].to_vec();
            let records = current.clone().unwrap_or_default();
            r.extend_from_slice(&[0x81, if current.is_some() { 0x80 } else { 0x82 }, 0, 1, 0, records.len() as u8]);
            r.extend_from_slice(&[0, 0, 0, 0]);
            r.extend_from_slice(question);
            for (host, port) in records {
                let mut rdata = Vec::new();
                if qtype == 33 {
                    rdata.extend_from_slice(&[0, 1, 0, 1]);
                    rdata.extend_from_slice(&port.to_be_bytes());
                } else {
                    rdata.extend_from_slice(&[0, 10]);
                }
                encode_name(&mut rdata, &host).unwrap();
                r.extend_from_slice(&[0xc0, 12]);
                r.extend_from_slice(&qtype.to_be_bytes());
                r.extend_from_slice(&[0, 1, 0, 0, 0, 5]);
                r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
                r.extend_from_slice(&rdata);
            }
            queries.fetch_add(1, Ordering::SeqCst);
            let _ = sock.send_to(&r, from).await;
        }
    });
    addr
}

async fn manager_with_dns(yaml: &str, dns: SocketAddr) -> (Arc<ScrapeManager>, argus_model::storage::MemStorage) {
    let st = argus_model::storage::MemStorage::new();
    let opts =
        ManagerOpts { initial_discovery_wait: Duration::from_secs(2), dns_servers: vec![dns], ..Default::default() };
    let m = Arc::new(ScrapeManager::new(Arc::new(st.clone()), opts));
    m.apply_config(&config(yaml)).await.unwrap();
    (m, st)
}

fn port(addr: &str) -> u16 {
    addr.rsplit_once(':').unwrap().1.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn srv_targets_refresh_and_survive_a_failed_lookup() {
    let (a, b) = (target_server("a").await, target_server("b").await);
    let answers: Answers = Arc::new(Mutex::new(Some(vec![("127.0.0.1.".to_string(), port(&a))])));
    let queries = Arc::new(AtomicUsize::new(0));
    let dns = dns_server(answers.clone(), queries.clone()).await;
    let y = "global: {scrape_interval: 100ms, scrape_timeout: 100ms}\n\
             scrape_configs:\n\
             - job_name: srv\n  dns_sd_configs: [{names: ['_prom._tcp.example.com'], refresh_interval: 100ms}]\n";
    let (m, st) = manager_with_dns(y, dns).await;
    eventually("a scraped via SRV", || (!values(&st, "a_metric", &a).is_empty()).then_some(())).await;
    let t = target(&m, &a).await;
    let label = |k: &str| t.discovered_labels.get(k).cloned();
    assert_eq!(label("__address__"), Some(a.clone()), "host and port come from the record");
    assert_eq!(label("__meta_dns_name").as_deref(), Some("_prom._tcp.example.com"));
    assert_eq!(label("__meta_dns_srv_record_target").as_deref(), Some("127.0.0.1."));
    assert_eq!(label("__meta_dns_srv_record_port"), Some(port(&a).to_string()));

    // The server fails (SERVFAIL): a refresh finds nothing usable and the
    // target found last time stays.
    *answers.lock().unwrap() = None;
    let seen = queries.load(Ordering::SeqCst);
    eventually("failed lookups", || (queries.load(Ordering::SeqCst) >= seen + 3).then_some(())).await;
    keeps_scraping(&st, &a, 2).await;
    assert!(!values(&st, "a_metric", &a).iter().any(|v| is_stale_nan(*v)), "a must not go stale on a failed lookup");

    // The record now points at b: b is scraped, a goes stale.
    *answers.lock().unwrap() = Some(vec![("127.0.0.1.".to_string(), port(&b))]);
    eventually("b scraped", || (!values(&st, "b_metric", &b).is_empty()).then_some(())).await;
    eventually("a stale", || values(&st, "a_metric", &a).last().is_some_and(|v| is_stale_nan(*v)).then_some(())).await;
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mx_targets_take_the_configured_port() {
    let a = target_server("a").await;
    let answers: Answers = Arc::new(Mutex::new(Some(vec![("127.0.0.1.".to_string(), 0)])));
    let dns = dns_server(answers, Arc::new(AtomicUsize::new(0))).await;
    let y = format!(
        "global: {{scrape_interval: 100ms, scrape_timeout: 100ms}}\n\
         scrape_configs:\n\
         - job_name: mx\n  dns_sd_configs: [{{names: ['example.com'], type: MX, port: {}}}]\n",
        port(&a)
    );
    let (m, st) = manager_with_dns(&y, dns).await;
    eventually("a scraped via MX", || (!values(&st, "a_metric", &a).is_empty()).then_some(())).await;
    let t = target(&m, &a).await;
    assert_eq!(t.discovered_labels.get("__meta_dns_mx_record_target").map(String::as_str), Some("127.0.0.1."));
    m.stop().await;
}
