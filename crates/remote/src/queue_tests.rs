//! Queue tests against an in-process fake receiver whose answers are
//! scripted: 500 then 204, 429 with and without `retry_on_http_429`, 400,
//! a receiver that hangs past `remote_timeout`; relabeling and external
//! labels; the WAL watcher end to end over a real database.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use argus_model::remote::{WriteRequest, decode_write_request, labels_from_wire};
use argus_model::{Labels, Sample};
use axum::http::{HeaderMap, StatusCode};
use parking_lot::Mutex;

use super::*;

#[derive(Clone, Copy)]
enum Answer {
    Status(u16),
    Hang,
}

#[derive(Clone, Default)]
struct Fake {
    script: Arc<Mutex<VecDeque<Answer>>>,
    received: Arc<Mutex<Vec<(HeaderMap, WriteRequest)>>>,
    attempts: Arc<Mutex<usize>>,
}

impl Fake {
    async fn start(script: &[Answer]) -> (Fake, String) {
        let fake = Fake { script: Arc::new(Mutex::new(script.iter().copied().collect())), ..Default::default() };
        let f = fake.clone();
        let app = axum::Router::new().route(
            "/write",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let f = f.clone();
                async move {
                    *f.attempts.lock() += 1;
                    let answer = f.script.lock().pop_front().unwrap_or(Answer::Status(204));
                    match answer {
                        Answer::Hang => {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                            StatusCode::NO_CONTENT
                        }
                        Answer::Status(c) if c < 300 => {
                            let req = decode_write_request(&body, 1 << 24).unwrap();
                            f.received.lock().push((headers, req));
                            StatusCode::from_u16(c).unwrap()
                        }
                        Answer::Status(c) => StatusCode::from_u16(c).unwrap(),
                    }
                }
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/write", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (fake, url)
    }

    fn samples(&self) -> Vec<(Labels, i64, f64)> {
        let mut out = Vec::new();
        for (_, r) in self.received.lock().iter() {
            for ts in &r.timeseries {
                for s in &ts.samples {
                    out.push((labels_from_wire(&ts.labels), s.timestamp, s.value));
                }
            }
        }
        out
    }
}

fn config(url: &str, extra: &str) -> argus_scrape::Config {
    let text = format!(
        "global:\n  external_labels:\n    dc: eu1\nremote_write:\n  - url: {url}\n    remote_timeout: 1s\n    queue_config:\n      batch_send_deadline: 50ms\n      min_backoff: 10ms\n      max_backoff: 50ms\n      max_samples_per_send: 10\n{extra}"
    );
    argus_scrape::config::parse(&text, std::path::Path::new("t.yml"), &Default::default()).unwrap()
}

fn queue(cfg: &argus_scrape::Config) -> (Arc<QueueManager>, Arc<Metrics>) {
    let entry = cfg.remote_write[0].clone();
    let client = RemoteClient::new(
        &entry.url,
        &entry.http_client,
        &entry.headers,
        entry.remote_timeout,
        entry.queue_config.retry_on_http_429,
    )
    .unwrap();
    let metrics = Arc::new(Metrics::default());
    let q = QueueManager::new(
        "test".into(),
        entry,
        Arc::new(client),
        QueueOptions {
            external_labels: cfg.global.external_labels.clone(),
            metadata: None,
            flush_deadline: Duration::from_secs(1),
        },
        metrics.clone(),
        tokio::runtime::Handle::current(),
    );
    q.start();
    (q, metrics)
}

fn up(job: &str) -> Labels {
    Labels::from_pairs([("__name__", "up"), ("job", job)])
}

async fn append(q: &Arc<QueueManager>, samples: Vec<(u64, Sample)>) {
    let q = q.clone();
    assert!(tokio::task::spawn_blocking(move || q.append(&samples)).await.unwrap());
}

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

fn counter(
    f: &prometheus_client::metrics::family::Family<Vec<(String, String)>, prometheus_client::metrics::counter::Counter>,
    q: &QueueManager,
) -> u64 {
    f.get_or_create(&q.labels).get()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_5xx_then_delivers_with_protocol_headers_and_external_labels() {
    let (fake, url) = Fake::start(&[Answer::Status(500), Answer::Status(503)]).await;
    let (q, m) = queue(&config(&url, ""));
    q.store_series(vec![(1, up("a"))], 0);
    append(&q, vec![(1, Sample::new(1000, 1.0)), (1, Sample::new(2000, 2.0))]).await;
    wait_for("delivery", || fake.samples().len() == 2).await;
    let got = fake.samples();
    let want = Labels::from_pairs([("__name__", "up"), ("dc", "eu1"), ("job", "a")]);
    assert_eq!(got, vec![(want.clone(), 1000, 1.0), (want, 2000, 2.0)]);
    let h = fake.received.lock()[0].0.clone();
    assert_eq!(h["content-encoding"], "snappy");
    assert_eq!(h["content-type"], "application/x-protobuf");
    assert_eq!(h["x-prometheus-remote-write-version"], "0.1.0");
    assert!(h["user-agent"].to_str().unwrap().starts_with("argus/"));
    assert_eq!(*fake.attempts.lock(), 3);
    assert_eq!(counter(&m.samples_retried, &q), 4);
    assert_eq!(counter(&m.samples_total, &q), 6);
    assert_eq!(counter(&m.samples_failed, &q), 0);
    wait_for("pending back to 0", || m.samples_pending.get_or_create(&q.labels).get() == 0).await;
    assert_eq!(m.highest_sent.get_or_create(&q.labels).get(), 2.0);
    q.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_400_and_429_are_dropped_without_retry() {
    let (fake, url) = Fake::start(&[Answer::Status(400), Answer::Status(429)]).await;
    let (q, m) = queue(&config(&url, ""));
    q.store_series(vec![(1, up("a"))], 0);
    append(&q, vec![(1, Sample::new(1000, 1.0))]).await;
    wait_for("first failure", || counter(&m.samples_failed, &q) == 1).await;
    append(&q, vec![(1, Sample::new(2000, 2.0))]).await;
    wait_for("second failure", || counter(&m.samples_failed, &q) == 2).await;
    append(&q, vec![(1, Sample::new(3000, 3.0))]).await;
    wait_for("delivery", || fake.samples().len() == 1).await;
    assert_eq!(fake.samples()[0].1, 3000);
    assert_eq!(*fake.attempts.lock(), 3);
    assert_eq!(counter(&m.samples_retried, &q), 0);
    q.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_429_is_retried_when_configured() {
    let (fake, url) = Fake::start(&[Answer::Status(429), Answer::Status(429)]).await;
    let (q, m) = queue(&config(&url, "      retry_on_http_429: true\n"));
    q.store_series(vec![(1, up("a"))], 0);
    append(&q, vec![(1, Sample::new(1000, 1.0))]).await;
    wait_for("delivery", || fake.samples().len() == 1).await;
    assert_eq!(counter(&m.samples_retried, &q), 2);
    assert_eq!(counter(&m.samples_failed, &q), 0);
    q.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_receiver_times_out_and_is_retried() {
    let (fake, url) = Fake::start(&[Answer::Hang]).await;
    let (q, m) = queue(&config(&url, ""));
    q.store_series(vec![(1, up("a"))], 0);
    append(&q, vec![(1, Sample::new(1000, 1.0))]).await;
    wait_for("delivery after the timeout", || fake.samples().len() == 1).await;
    assert_eq!(counter(&m.samples_retried, &q), 1);
    assert_eq!(*fake.attempts.lock(), 2);
    q.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_relabel_configs_drop_series_and_unknown_refs_count_as_dropped() {
    let (fake, url) = Fake::start(&[]).await;
    let relabel = "    write_relabel_configs:\n      - source_labels: [job]\n        regex: drop.*\n        action: drop\n      - target_label: dc\n        replacement: us2\n";
    let (q, m) = queue(&config(&url, relabel));
    q.store_series(
        vec![(1, up("keep")), (2, up("dropme")), (3, Labels::from_pairs([("__name__", "x"), ("dc", "own")]))],
        0,
    );
    append(
        &q,
        vec![
            (1, Sample::new(1000, 1.0)),
            (2, Sample::new(1000, 2.0)),
            (3, Sample::new(1000, 3.0)),
            (9, Sample::new(1000, 4.0)),
        ],
    )
    .await;
    wait_for("delivery", || fake.samples().len() == 2).await;
    let mut got = fake.samples();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    // External labels are added first (the series' own value wins), then relabeling runs.
    assert_eq!(got[0].0, Labels::from_pairs([("__name__", "up"), ("dc", "us2"), ("job", "keep")]));
    assert_eq!(got[1].0, Labels::from_pairs([("__name__", "x"), ("dc", "us2")]));
    assert_eq!(counter(&m.samples_dropped, &q), 2);
    assert_eq!(counter(&m.samples_in, &q), 4);
    q.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_shards_block_the_writer_until_the_receiver_recovers() {
    // Capacity 5, batches of 10: the receiver fails for a while, so appends must block, not drop.
    let script: Vec<Answer> = std::iter::repeat_n(Answer::Status(503), 10).collect();
    let (fake, url) = Fake::start(&script).await;
    let (q, m) = queue(&config(&url, "      capacity: 5\n"));
    q.store_series(vec![(1, up("a"))], 0);
    let samples: Vec<(u64, Sample)> = (1..=100).map(|i| (1, Sample::new(i * 1000, i as f64))).collect();
    append(&q, samples).await;
    wait_for("all delivered", || fake.samples().len() == 100).await;
    let ts: Vec<i64> = fake.samples().iter().map(|s| s.1).collect();
    assert_eq!(ts, (1..=100).map(|i| i * 1000).collect::<Vec<_>>(), "in order, none lost");
    assert_eq!(counter(&m.samples_failed, &q), 0);
    q.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reshard_keeps_order_and_loses_nothing() {
    let (fake, url) = Fake::start(&[]).await;
    let (q, _) = queue(&config(&url, ""));
    q.store_series((1..=20).map(|i| (i, up(&format!("j{i}")))).collect(), 0);
    let first: Vec<(u64, Sample)> = (1..=20).map(|i| (i, Sample::new(1000, 1.0))).collect();
    append(&q, first).await;
    q.reshard(4).await;
    assert_eq!(q.shard_count(), 4);
    let second: Vec<(u64, Sample)> = (1..=20).map(|i| (i, Sample::new(2000, 2.0))).collect();
    append(&q, second).await;
    wait_for("delivery", || fake.samples().len() == 40).await;
    q.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_follows_the_database_wal() {
    use argus_model::storage::Appendable;
    let (fake, url) = Fake::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let db = argus_tsdb::Db::open(dir.path(), Default::default()).unwrap();
    // Written before the watcher starts: its series are learnt, its samples are not sent.
    let mut app = db.appender();
    app.append(0, &up("old"), 1000, 1.0).unwrap();
    app.commit().unwrap();
    let mgr = crate::WriteManager::new(dir.path().join("wal"), Default::default());
    mgr.apply_config(&config(&url, "")).await.unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let db2 = db.clone();
    tokio::task::spawn_blocking(move || {
        for i in 0..5 {
            let mut app = db2.appender();
            app.append(0, &up("old"), now + 1000 + i, 2.0).unwrap();
            app.append(0, &up("new"), now + 1000 + i, 3.0).unwrap();
            app.commit().unwrap();
        }
    })
    .await
    .unwrap();
    wait_for("WAL samples at the receiver", || fake.samples().len() == 10).await;
    assert!(fake.samples().iter().all(|s| s.1 > now));
    mgr.stop().await;
    db.close().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_keeps_unchanged_queues_and_replaces_changed_ones() {
    let (_fake, url) = Fake::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let mgr = crate::WriteManager::new(dir.path().join("wal"), Default::default());
    let a = config(&url, "");
    mgr.apply_config(&a).await.unwrap();
    let before = mgr.queues().await;
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].name().len(), 6, "unnamed queues get a 6-hex-digit name");
    mgr.apply_config(&a).await.unwrap();
    assert!(Arc::ptr_eq(&before[0], &mgr.queues().await[0]), "an unchanged entry keeps its queue");
    mgr.apply_config(&config(&url, "    name: renamed\n")).await.unwrap();
    let after = mgr.queues().await;
    assert_eq!(after[0].name(), "renamed");
    assert!(before[0].is_stopping(), "the replaced queue was stopped");
    let empty = argus_scrape::config::parse("{}", std::path::Path::new("t.yml"), &Default::default()).unwrap();
    mgr.apply_config(&empty).await.unwrap();
    assert!(mgr.queues().await.is_empty());
    assert!(after[0].is_stopping());
}
