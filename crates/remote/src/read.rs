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
                    added.push(l.name.clone());
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
