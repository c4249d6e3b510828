//! An Alertmanager API v2 client: the [`AlertSink`] for external
//! Alertmanagers (Prometheus' `notifier.Manager`, one client per discovered
//! Alertmanager).
//!
//! `send` only queues (bounded; the oldest alerts are dropped and counted
//! when full, as Prometheus does); [`AlertmanagerClient::run`] drains the
//! queue in batches with `POST <alerts URL>`. A failed batch is dropped and
//! counted, like Prometheus (the rule manager re-sends active alerts every
//! resend delay anyway). All clients share one [`NotifierMetrics`], labelled
//! by Alertmanager URL.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use argus_model::alerting::{AlertSink, PostableAlert};
use parking_lot::Mutex;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use serde::Serialize;
use tokio::sync::{Notify, watch};

use crate::timefmt::rfc3339;

/// Adds credentials to a request (basic auth, `authorization`, OAuth2);
/// an error is the reason the request cannot be sent.
pub type Authorize = Arc<dyn Fn(reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder, String> + Send + Sync>;

/// Where and how to send.
#[derive(Clone)]
pub struct NotifierOptions {
    /// Alertmanager base URL, e.g. `http://am:9093`.
    pub url: String,
    /// `path_prefix` of the alertmanager config (e.g. `/am`).
    pub path_prefix: String,
    /// The whole path to POST to, when discovery relabeled `__alerts_path__`;
    /// overrides `path_prefix`.
    pub alerts_path: Option<String>,
    /// Per-request timeout (Prometheus' default 10s).
    pub timeout: Duration,
    /// Most alerts per request (Prometheus: 64).
    pub max_batch: usize,
    /// Queue capacity (`--alertmanager.notification-queue-capacity`, default 10000).
    pub queue_capacity: usize,
    /// The HTTP client (TLS, proxy); a plain one when `None`.
    pub client: Option<reqwest::Client>,
    /// Credentials added to every request.
    pub authorize: Option<Authorize>,
    /// Shared metrics; private ones when `None`.
    pub metrics: Option<Arc<NotifierMetrics>>,
}

impl std::fmt::Debug for NotifierOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifierOptions")
            .field("url", &self.url)
            .field("path_prefix", &self.path_prefix)
            .field("alerts_path", &self.alerts_path)
            .field("timeout", &self.timeout)
            .field("max_batch", &self.max_batch)
            .field("queue_capacity", &self.queue_capacity)
            .field("authorize", &self.authorize.is_some())
            .finish_non_exhaustive()
    }
}

impl NotifierOptions {
    /// Prometheus' defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        NotifierOptions {
            url: url.into(),
            path_prefix: String::new(),
            alerts_path: None,
            timeout: Duration::from_secs(10),
            max_batch: 64,
            queue_capacity: 10_000,
            client: None,
            authorize: None,
            metrics: None,
        }
    }

    /// The URL alerts are posted to.
    pub fn endpoint(&self) -> String {
        let base = self.url.trim_end_matches('/');
        match &self.alerts_path {
            Some(p) => format!("{base}/{}", p.trim_start_matches('/')),
            None => format!("{base}{}/api/v2/alerts", self.path_prefix.trim_end_matches('/')),
        }
    }
}

/// The `alertmanager="<url>"` label of the notifier metrics.
type AmLabel = Vec<(String, String)>;

/// Prometheus' notifier metrics with the `argus_` prefix, shared by every
/// external Alertmanager client.
#[derive(Debug)]
pub struct NotifierMetrics {
    sent: Family<AmLabel, Counter>,
    errors: Family<AmLabel, Counter>,
    latency: Family<AmLabel, Histogram, fn() -> Histogram>,
    dropped: Counter,
    queue_length: Gauge,
    discovered: Gauge,
}

impl Default for NotifierMetrics {
    fn default() -> Self {
        NotifierMetrics {
            sent: Family::default(),
            errors: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            dropped: Counter::default(),
            queue_length: Gauge::default(),
            discovered: Gauge::default(),
        }
    }
}

fn latency_histogram() -> Histogram {
    Histogram::new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
}

impl NotifierMetrics {
    /// Registers `argus_notifications_{sent,errors,dropped}_total`,
    /// `argus_notifications_latency_seconds`, `argus_notifications_queue_length`
    /// and `argus_notifications_alertmanagers_discovered`.
    pub fn register(&self, reg: &mut Registry) {
        reg.register("argus_notifications_sent", "Total number of alerts sent.", self.sent.clone());
        reg.register(
            "argus_notifications_errors",
            "Total number of sent alerts affected by errors.",
            self.errors.clone(),
        );
        reg.register(
            "argus_notifications_latency_seconds",
            "Latency of sending alerts to an Alertmanager.",
            self.latency.clone(),
        );
        reg.register(
            "argus_notifications_dropped",
            "Total number of alerts dropped due to errors when sending to Alertmanager or a full queue.",
            self.dropped.clone(),
        );
        reg.register(
            "argus_notifications_queue_length",
            "The number of alert notifications in the queues.",
            self.queue_length.clone(),
        );
        reg.register(
            "argus_notifications_alertmanagers_discovered",
            "The number of alertmanagers discovered and active.",
            self.discovered.clone(),
        );
    }

    /// Sets the number of active Alertmanagers.
    pub fn set_discovered(&self, n: usize) {
        self.discovered.set(n as i64);
    }

    /// Alerts sent successfully to `url`.
    pub fn sent(&self, url: &str) -> u64 {
        self.sent.get_or_create(&am_label(url)).get()
    }

    /// Alerts whose sending to `url` failed.
    pub fn errors(&self, url: &str) -> u64 {
        self.errors.get_or_create(&am_label(url)).get()
    }
}

fn am_label(url: &str) -> Vec<(String, String)> {
    vec![("alertmanager".to_string(), url.to_string())]
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
    endpoint: String,
    queue: Mutex<VecDeque<PostableAlert>>,
    wake: Notify,
    client: reqwest::Client,
    metrics: Arc<NotifierMetrics>,
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
        let client = match &opts.client {
            Some(c) => c.clone(),
            None => reqwest::Client::builder().build().map_err(BuildError)?,
        };
        let metrics = opts.metrics.clone().unwrap_or_default();
        Ok(AlertmanagerClient {
            endpoint: opts.endpoint(),
            opts,
            queue: Mutex::new(VecDeque::new()),
            wake: Notify::new(),
            client,
            metrics,
            dropped: Counter::default(),
        })
    }

    /// The URL alerts are posted to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Alerts waiting to be sent.
    pub fn queue_len(&self) -> usize {
        self.queue.lock().len()
    }

    /// Alerts this client dropped (full queue or failed sends).
    pub fn dropped(&self) -> u64 {
        self.dropped.get()
    }

    fn drop_alerts(&self, n: usize) {
        self.dropped.inc_by(n as u64);
        self.metrics.dropped.inc_by(n as u64);
    }

    fn next_batch(&self) -> Vec<PostableAlert> {
        let mut q = self.queue.lock();
        let n = q.len().min(self.opts.max_batch.max(1));
        self.metrics.queue_length.dec_by(n as i64);
        q.drain(..n).collect()
    }

    async fn post(&self, body: String) -> Result<(), String> {
        let mut req = self
            .client
            .post(&self.endpoint)
            .timeout(self.opts.timeout)
            .header("Content-Type", "application/json")
            .header("User-Agent", concat!("argus/", env!("CARGO_PKG_VERSION")))
            .body(body);
        if let Some(auth) = &self.opts.authorize {
            req = auth(req)?;
        }
        let resp = req.send().await.map_err(|e| e.to_string())?;
        let status = resp.status();
        if status.is_success() { Ok(()) } else { Err(format!("bad response status {status}")) }
    }

    /// Sends queued batches until `stop` turns true; a failed batch is
    /// counted as errors and dropped, as Prometheus does.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let label = am_label(&self.endpoint);
        loop {
            loop {
                let batch = self.next_batch();
                if batch.is_empty() {
                    break;
                }
                let started = Instant::now();
                let res = self.post(encode_alerts(&batch)).await;
                self.metrics.latency.get_or_create(&label).observe(started.elapsed().as_secs_f64());
                match res {
                    Ok(()) => {
                        self.metrics.sent.get_or_create(&label).inc_by(batch.len() as u64);
                    }
                    Err(e) => {
                        tracing::error!(alertmanager = %self.endpoint, count = batch.len(), err = %e, "error sending alerts");
                        self.metrics.errors.get_or_create(&label).inc_by(batch.len() as u64);
                        self.drop_alerts(batch.len());
                    }
                }
                if *stop.borrow() {
                    break;
                }
            }
            if *stop.borrow() {
                let left = self.queue.lock().drain(..).count();
                self.metrics.queue_length.dec_by(left as i64);
                return;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                r = stop.changed() => if r.is_err() || *stop.borrow() { continue },
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
            self.drop_alerts(d);
        }
        let over = (q.len() + alerts.len()).saturating_sub(cap);
        if over > 0 {
            q.drain(..over);
            self.metrics.queue_length.dec_by(over as i64);
            self.drop_alerts(over);
            tracing::warn!(count = over, "alert notification queue full, dropping alerts");
        }
        self.metrics.queue_length.inc_by(alerts.len() as i64);
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
        assert_eq!(c.metrics.sent(c.endpoint()), 1);
    }
}
