//! An Alertmanager API v2 client: the [`AlertSink`] for external
//! Alertmanagers (Prometheus' `notifier.Manager` for one Alertmanager).
//!
//! `send` only queues (bounded; the oldest alerts are dropped and counted
//! when full, as Prometheus does); [`AlertmanagerClient::run`] drains the
//! queue in batches with `POST <url><path_prefix>/api/v2/alerts`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use argus_model::alerting::{AlertSink, PostableAlert};
use parking_lot::Mutex;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;
use serde::Serialize;
use tokio::sync::{Notify, watch};

use crate::timefmt::rfc3339;

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct NotifierOptions {
    /// Alertmanager base URL, e.g. `http://am:9093`.
    pub url: String,
    /// `path_prefix` of the alertmanager config (e.g. `/am`).
    pub path_prefix: String,
    /// Per-request timeout (Prometheus' default 10s).
    pub timeout: Duration,
    /// Most alerts per request (Prometheus: 64).
    pub max_batch: usize,
    /// Queue capacity (`--alertmanager.notification-queue-capacity`, default 10000).
    pub queue_capacity: usize,
}

impl NotifierOptions {
    /// Prometheus' defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        NotifierOptions {
            url: url.into(),
            path_prefix: String::new(),
            timeout: Duration::from_secs(10),
            max_batch: 64,
            queue_capacity: 10_000,
        }
    }

    fn endpoint(&self) -> String {
        let prefix = self.path_prefix.trim_end_matches('/');
        format!("{}{}/api/v2/alerts", self.url.trim_end_matches('/'), prefix)
    }
}

#[derive(Serialize)]
struct Wire<'a> {
    labels: BTreeMap<&'a str, &'a str>,
    annotations: &'a BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    starts_at: String,
    #[serde(rename = "endsAt", skip_serializing_if = "Option::is_none")]
    ends_at: Option<String>,
    #[serde(rename = "generatorURL")]
    generator_url: &'a str,
}

/// The JSON body of `POST /api/v2/alerts` for `alerts`.
pub fn encode_alerts(alerts: &[PostableAlert]) -> String {
    let wire: Vec<Wire<'_>> = alerts
        .iter()
        .map(|a| Wire {
            labels: a.labels.iter().map(|l| (l.name.as_str(), l.value.as_str())).collect(),
            annotations: &a.annotations,
            starts_at: rfc3339(Some(a.starts_at_ms)),
            ends_at: a.ends_at_ms.map(|t| rfc3339(Some(t))),
            generator_url: &a.generator_url,
        })
        .collect();
    serde_json::to_string(&wire).unwrap_or_else(|_| "[]".into())
}

/// Sends alerts to one Alertmanager. Share it behind an `Arc`.
pub struct AlertmanagerClient {
    opts: NotifierOptions,
    queue: Mutex<VecDeque<PostableAlert>>,
    wake: Notify,
    client: reqwest::Client,
    sent: Counter,
    errors: Counter,
    dropped: Counter,
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the Alertmanager HTTP client: {0}")]
pub struct BuildError(#[source] reqwest::Error);

impl AlertmanagerClient {
    /// A client; nothing is sent until [`AlertmanagerClient::run`] runs.
    pub fn new(opts: NotifierOptions) -> Result<Self, BuildError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder().timeout(opts.timeout).build().map_err(BuildError)?;
        Ok(AlertmanagerClient {
            opts,
            queue: Mutex::new(VecDeque::new()),
            wake: Notify::new(),
            client,
            sent: Counter::default(),
            errors: Counter::default(),
            dropped: Counter::default(),
        })
    }

    /// Alerts waiting to be sent.
    pub fn queue_len(&self) -> usize {
        self.queue.lock().len()
    }

    /// Alerts dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.get()
    }

    /// Registers `argus_notifications_{sent,errors,dropped}_total`.
    pub fn register_metrics(&self, reg: &mut Registry) {
        reg.register("argus_notifications_sent", "Total number of alerts sent.", self.sent.clone());
        reg.register(
            "argus_notifications_errors",
            "Total number of sent alerts affected by errors.",
            self.errors.clone(),
        );
        reg.register(
            "argus_notifications_dropped",
            "Total number of alerts dropped due to errors or a full queue.",
            self.dropped.clone(),
        );
    }

    fn next_batch(&self) -> Vec<PostableAlert> {
        let mut q = self.queue.lock();
        let n = q.len().min(self.opts.max_batch.max(1));
        q.drain(..n).collect()
    }

    /// Sends queued batches until `stop` turns true; a failed batch is
    /// counted as errors and dropped, as Prometheus does.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let url = self.opts.endpoint();
        loop {
            loop {
                let batch = self.next_batch();
                if batch.is_empty() {
                    break;
                }
                let body = encode_alerts(&batch);
                let res = self
                    .client
                    .post(&url)
                    .header("Content-Type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .and_then(|r| r.error_for_status());
                match res {
                    Ok(_) => {
                        self.sent.inc_by(batch.len() as u64);
                    }
                    Err(e) => {
                        tracing::error!(alertmanager = %url, count = batch.len(), err = %e, "error sending alerts");
                        self.errors.inc_by(batch.len() as u64);
                        self.dropped.inc_by(batch.len() as u64);
                    }
                }
            }
            if *stop.borrow() {
                return;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                r = stop.changed() => if r.is_err() || *stop.borrow() { return },
            }
        }
    }
}

impl AlertSink for AlertmanagerClient {
    fn send(&self, alerts: Vec<PostableAlert>) {
        let mut q = self.queue.lock();
        let cap = self.opts.queue_capacity;
        // Like Prometheus: keep the newest alerts when the queue overflows.
        let mut alerts = alerts;
        if alerts.len() > cap {
            let d = alerts.len() - cap;
            alerts.drain(..d);
            self.dropped.inc_by(d as u64);
        }
        let over = (q.len() + alerts.len()).saturating_sub(cap);
        if over > 0 {
            q.drain(..over);
            self.dropped.inc_by(over as u64);
            tracing::warn!(count = over, "alert notification queue full, dropping alerts");
        }
        q.extend(alerts);
        drop(q);
        self.wake.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argus_model::Labels;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn alert(name: &str) -> PostableAlert {
        PostableAlert {
            labels: Labels::from_pairs([("alertname", name)]),
            annotations: BTreeMap::from([("summary".to_string(), "s".to_string())]),
            starts_at_ms: 1_000,
            ends_at_ms: None,
            generator_url: "http://p/graph".into(),
        }
    }

    #[test]
    fn json_and_queue_overflow() {
        assert_eq!(
            encode_alerts(&[alert("A")]),
            r#"[{"labels":{"alertname":"A"},"annotations":{"summary":"s"},"startsAt":"1970-01-01T00:00:01Z","generatorURL":"http://p/graph"}]"#
        );
        let mut o = NotifierOptions::new("http://x");
        o.queue_capacity = 2;
        let c = AlertmanagerClient::new(o).unwrap();
        c.send(vec![alert("A"), alert("B")]);
        c.send(vec![alert("C")]);
        assert_eq!(c.queue_len(), 2);
        assert_eq!(c.dropped(), 1);
        let names: Vec<String> =
            c.next_batch().iter().map(|a| a.labels.get("alertname").unwrap().to_string()).collect();
        assert_eq!(names, ["B", "C"]);
    }

    #[tokio::test]
    async fn posts_batches_to_api_v2_with_path_prefix() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = s.read(&mut chunk).await.unwrap();
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(i) = text.find("\r\n\r\n") {
                    let len: usize = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase().strip_prefix("content-length: ").map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if buf.len() >= i + 4 + len {
                        s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await.unwrap();
                        return text;
                    }
                }
            }
        });
        let mut o = NotifierOptions::new(format!("http://{addr}"));
        o.path_prefix = "/am/".into();
        let c = Arc::new(AlertmanagerClient::new(o).unwrap());
        c.send(vec![alert("A")]);
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(c.clone().run(rx));
        let req = server.await.unwrap();
        tx.send(true).unwrap();
        task.await.unwrap();
        assert!(req.starts_with("POST /am/api/v2/alerts HTTP/1.1"), "{req}");
        assert!(req.contains(r#""labels":{"alertname":"A"}"#), "{req}");
        assert_eq!(c.sent.get(), 1);
    }
}
