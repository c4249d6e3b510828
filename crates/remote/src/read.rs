//! Remote read: a [`Queryable`] over one `remote_read` entry, as Prometheus
//! 2.42's remote storage querier. `select` sends one `ReadRequest` (response
//! type SAMPLES) with the query's matchers and range and returns the series.
//!
//! Prometheus' filters are applied in its order: with `read_recent: false`
//! a query whose range starts after the oldest local sample is not sent and
//! the range is cut at that sample; a query lacking any of the
//! `required_matchers` (as equality matchers) is not sent; with
//! `filter_external_labels` the external labels become equality matchers
//! (unless the query matches that label itself) and are removed from the
//! series returned. Label names and values are not asked of the remote
//! (2.42's remote querier answers them empty too).
//!
//! The seam is synchronous, the HTTP client is not: `select` runs the request
//! on the runtime given at construction and waits for it (callers run
//! queries on blocking threads, as `argus-web` does).

use std::sync::Arc;
use std::time::Duration;

use argus_model::remote::{self as prompb, LabelMatcher, Query, ReadRequest, ReadResponse};
use argus_model::storage::{Querier, Queryable, SelectHints, Series, SeriesSet, StorageError, StorageResult};
use argus_model::{Labels, MatchOp, Matcher, Sample};
use argus_scrape::config::RemoteReadConfig;
use prost::Message;

use crate::client::RemoteClient;
use crate::error::{Error, Result};

/// Largest compressed response accepted from a remote.
pub const MAX_READ_RESPONSE_BYTES: usize = 64 << 20;
/// Largest decompressed response accepted from a remote.
pub const MAX_READ_DECODED_BYTES: usize = 512 << 20;

/// The oldest timestamp (ms) in local storage, for `read_recent: false`;
/// `i64::MAX` when storage is empty.
pub type StartTimeFn = Arc<dyn Fn() -> i64 + Send + Sync>;

/// One `remote_read` entry as a [`Queryable`].
pub struct RemoteRead {
    cfg: RemoteReadConfig,
    client: Arc<RemoteClient>,
    external_labels: Labels,
    local_start: Option<StartTimeFn>,
    runtime: tokio::runtime::Handle,
}

impl RemoteRead {
    /// A reader for `cfg`. Blocking (reads TLS files); `runtime` runs the requests.
    pub fn new(
        cfg: &RemoteReadConfig,
        external_labels: &Labels,
        local_start: Option<StartTimeFn>,
        runtime: tokio::runtime::Handle,
    ) -> Result<RemoteRead> {
        let client = RemoteClient::new(&cfg.url, &cfg.http_client, &cfg.headers, cfg.remote_timeout, false)?;
        Ok(RemoteRead {
            cfg: cfg.clone(),
            client: Arc::new(client),
            external_labels: external_labels.clone(),
            local_start,
            runtime,
        })
    }

    /// The endpoint.
    pub fn url(&self) -> &str {
        &self.cfg.url
    }
}

impl Queryable for RemoteRead {
    fn querier(&self, mint: i64, maxt: i64) -> StorageResult<Box<dyn Querier>> {
        let mut maxt = maxt;
        if let (false, Some(start)) = (self.cfg.read_recent, &self.local_start) {
            let local = start();
            if mint > local {
                return Ok(Box::new(Empty));
            }
            maxt = maxt.min(local);
        }
        Ok(Box::new(RemoteQuerier {
            mint,
            maxt,
            cfg: self.cfg.clone(),
            client: self.client.clone(),
            external_labels: self.external_labels.clone(),
            runtime: self.runtime.clone(),
        }))
    }
}

struct Empty;

impl Querier for Empty {
    fn select(&self, _: &[Matcher], _: &SelectHints) -> StorageResult<SeriesSet> {
        Ok(Box::new(std::iter::empty()))
    }
    fn label_names(&self, _: &[Matcher]) -> StorageResult<Vec<String>> {
        Ok(Vec::new())
    }
    fn label_values(&self, _: &str, _: &[Matcher]) -> StorageResult<Vec<String>> {
        Ok(Vec::new())
    }
}

struct RemoteQuerier {
    mint: i64,
    maxt: i64,
    cfg: RemoteReadConfig,
    client: Arc<RemoteClient>,
    external_labels: Labels,
    runtime: tokio::runtime::Handle,
}

impl RemoteQuerier {
    /// The matchers to send and the label names to strip from the answer.
    fn matchers(&self, ms: &[Matcher]) -> (Vec<Matcher>, Vec<String>) {
        let mut out = ms.to_vec();
        let mut added = Vec::new();
        if self.cfg.filter_external_labels {
            for l in self.external_labels.iter() {
                if ms.iter().any(|m| m.name == l.name) {
                    continue;
                }
                if let Ok(m) = Matcher::new(MatchOp::Equal, l.name.clone(), l.value.clone()) {
                    out.push(m);
                    added.push(l.name.to_string());
                }
            }
        }
        (out, added)
    }

    fn has_required(&self, ms: &[Matcher]) -> bool {
        self.cfg
            .required_matchers
            .iter()
            .all(|(k, v)| ms.iter().any(|m| m.op == MatchOp::Equal && &m.name == k && &m.value == v))
    }

    fn fetch(&self, req: ReadRequest) -> Result<ReadResponse> {
        let body = argus_model::remote::snappy_encode(&req.encode_to_vec());
        let client = self.client.clone();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.runtime.spawn(async move {
            let _ = tx.send(client.read(body, MAX_READ_RESPONSE_BYTES).await);
        });
        let err = |message: String| Error::Read { url: self.cfg.url.clone(), message };
        let wait = self.cfg.remote_timeout + Duration::from_secs(5);
        let raw = rx.recv_timeout(wait).map_err(|_| err("no response within remote_timeout".into()))??;
        let decoded =
            argus_model::remote::snappy_decode(&raw, MAX_READ_DECODED_BYTES).map_err(|e| err(e.to_string()))?;
        ReadResponse::decode(decoded.as_slice()).map_err(|e| err(format!("cannot decode response: {e}")))
    }
}

fn matcher_to_wire(m: &Matcher) -> LabelMatcher {
    let t = match m.op {
        MatchOp::Equal => 0,
        MatchOp::NotEqual => 1,
        MatchOp::Re => 2,
        MatchOp::NotRe => 3,
    };
    LabelMatcher { r#type: t, name: m.name.clone(), value: m.value.clone() }
}

impl Querier for RemoteQuerier {
    fn select(&self, matchers: &[Matcher], hints: &SelectHints) -> StorageResult<SeriesSet> {
        if !self.has_required(matchers) {
            return Ok(Box::new(std::iter::empty()));
        }
        let (ms, added) = self.matchers(matchers);
        let (start, end) = (hints.start.max(self.mint), hints.end.min(self.maxt));
        if start > end {
            return Ok(Box::new(std::iter::empty()));
        }
        let req = ReadRequest {
            queries: vec![Query {
                start_timestamp_ms: start,
                end_timestamp_ms: end,
                matchers: ms.iter().map(matcher_to_wire).collect(),
                hints: Some(prompb::ReadHints {
                    step_ms: hints.step,
                    func: hints.func.clone().unwrap_or_default(),
                    start_ms: start,
                    end_ms: end,
                }),
            }],
            accepted_response_types: vec![0],
        };
        let resp = self.fetch(req).map_err(|e| StorageError::Unavailable(e.to_string()))?;
        let mut out: Vec<Series> = Vec::new();
        for r in resp.results {
            for ts in r.timeseries {
                let mut ls = argus_model::remote::labels_from_wire(&ts.labels);
                if !added.is_empty() {
                    let mut b = ls.builder();
                    for n in &added {
                        b.del(n);
                    }
                    ls = b.build();
                }
                let mut samples: Vec<Sample> = if hints.labels_only {
                    Vec::new()
                } else {
                    ts.samples
                        .iter()
                        .filter(|s| s.timestamp >= start && s.timestamp <= end)
                        .map(|s| Sample::new(s.timestamp, s.value))
                        .collect()
                };
                samples.sort_by_key(|s| s.t);
                samples.dedup_by_key(|s| s.t);
                out.push(Series { labels: ls, samples });
            }
        }
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        Ok(Box::new(out.into_iter().map(Ok)))
    }

    fn label_names(&self, _: &[Matcher]) -> StorageResult<Vec<String>> {
        Ok(Vec::new())
    }

    fn label_values(&self, _: &str, _: &[Matcher]) -> StorageResult<Vec<String>> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parking_lot::Mutex;

    /// A fake remote-read server: records each request's matchers and range,
    /// answers one series carrying the external label `dc`.
    async fn fake() -> (String, Arc<Mutex<Vec<Query>>>) {
        let seen: Arc<Mutex<Vec<Query>>> = Arc::default();
        let s = seen.clone();
        let app = axum::Router::new().route(
            "/read",
            axum::routing::post(move |body: axum::body::Bytes| {
                let s = s.clone();
                async move {
                    let req = argus_model::remote::decode_read_request(&body, 1 << 20).unwrap();
                    s.lock().extend(req.queries.clone());
                    let ts = prompb::TimeSeries {
                        labels: vec![
                            prompb::Label { name: "__name__".into(), value: "up".into() },
                            prompb::Label { name: "dc".into(), value: "eu1".into() },
                        ],
                        samples: vec![
                            prompb::Sample { value: 1.0, timestamp: 2000 },
                            prompb::Sample { value: 2.0, timestamp: 1000 },
                            prompb::Sample { value: 3.0, timestamp: 99_000 },
                        ],
                        ..Default::default()
                    };
                    let resp = ReadResponse { results: vec![prompb::QueryResult { timeseries: vec![ts] }] };
                    argus_model::remote::encode_read_response(&resp)
                }
            }),
        );
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/read", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (url, seen)
    }

    fn cfg(url: &str, extra: &str) -> RemoteReadConfig {
        let text = format!("remote_read:\n  - url: {url}\n{extra}");
        argus_scrape::config::parse(&text, std::path::Path::new("t.yml"), &Default::default()).unwrap().remote_read[0]
            .clone()
    }

    async fn select(q: Arc<RemoteRead>, mint: i64, maxt: i64, ms: Vec<Matcher>) -> Vec<Series> {
        tokio::task::spawn_blocking(move || {
            let querier = q.querier(mint, maxt).unwrap();
            let h = SelectHints { start: mint, end: maxt, ..Default::default() };
            querier.select(&ms, &h).unwrap().map(|s| s.unwrap()).collect()
        })
        .await
        .unwrap()
    }

    fn up() -> Vec<Matcher> {
        vec![Matcher::new(MatchOp::Equal, "__name__", "up").unwrap()]
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn external_labels_are_matched_and_stripped() {
        let (url, seen) = fake().await;
        let ext = Labels::from_pairs([("dc", "eu1")]);
        let r = Arc::new(RemoteRead::new(&cfg(&url, ""), &ext, None, tokio::runtime::Handle::current()).unwrap());
        let got = select(r, 0, 10_000, up()).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].labels, Labels::from_pairs([("__name__", "up")]));
        // Sorted, and cut to the range.
        assert_eq!(got[0].samples, vec![Sample::new(1000, 2.0), Sample::new(2000, 1.0)]);
        let q = seen.lock()[0].clone();
        assert_eq!((q.start_timestamp_ms, q.end_timestamp_ms), (0, 10_000));
        assert!(q.matchers.iter().any(|m| m.name == "dc" && m.value == "eu1" && m.r#type == 0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn required_matchers_and_read_recent_skip_the_remote() {
        let (url, seen) = fake().await;
        let rt = tokio::runtime::Handle::current();
        let req = cfg(&url, "    required_matchers: {job: x}\n");
        let r = Arc::new(RemoteRead::new(&req, &Labels::empty(), None, rt.clone()).unwrap());
        assert!(select(r.clone(), 0, 10_000, up()).await.is_empty());
        assert!(seen.lock().is_empty(), "a query without job=\"x\" must not be sent");
        let mut with_job = up();
        with_job.push(Matcher::new(MatchOp::Equal, "job", "x").unwrap());
        assert_eq!(select(r, 0, 10_000, with_job).await.len(), 1);
        assert_eq!(seen.lock().len(), 1);

        // read_recent: false with local data from t=5000: a range starting later
        // is not sent, an older one is cut at 5000.
        let local: StartTimeFn = Arc::new(|| 5000);
        let r = Arc::new(RemoteRead::new(&cfg(&url, ""), &Labels::empty(), Some(local), rt).unwrap());
        assert!(select(r.clone(), 6000, 10_000, up()).await.is_empty());
        assert_eq!(seen.lock().len(), 1);
        select(r, 0, 10_000, up()).await;
        assert_eq!(seen.lock()[1].end_timestamp_ms, 5000);
    }
}
