//! The remote write receiver (`POST /api/v1/write`) and the remote read
//! endpoint (`POST /api/v1/read`), with Prometheus 2.42's status codes.
//!
//! Write: the whole request is one storage transaction, as in Prometheus'
//! `write_handler.go`: a sample refused as out of order, duplicate or out
//! of bounds rolls it back and answers 400 (so the sender does not retry);
//! other storage failures answer 500 (the sender retries); series with
//! invalid labels are skipped and counted. Success is 204.
//! Read: the SAMPLES response type only; external labels are added to the
//! series returned, and matchers on them are answered as Prometheus does.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use argus_model::remote::{self, QueryResult, ReadResponse, TimeSeries};
use argus_model::storage::{Appendable, SelectHints, StorageError};
use argus_model::{Labels, Matcher};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::WebState;

/// The remote write receiver's handle and counters.
#[derive(Clone)]
pub struct RemoteWriteState {
    /// Where received samples go.
    pub appendable: Arc<dyn Appendable>,
    /// Counters (exported by the binary as `argus_remote_write_*`).
    pub stats: Arc<RemoteWriteStats>,
}

/// Counters of the remote write receiver.
#[derive(Debug, Default)]
pub struct RemoteWriteStats {
    /// Requests answered 204.
    pub requests_ok: AtomicU64,
    /// Requests refused (4xx) or failed (5xx).
    pub requests_failed: AtomicU64,
    /// Samples committed.
    pub samples: AtomicU64,
    /// Series skipped for invalid labels.
    pub invalid_series: AtomicU64,
    /// Exemplars and native histogram samples received and dropped.
    pub dropped_unsupported: AtomicU64,
}

/// Largest decompressed remote write/read body accepted.
const MAX_DECODED: usize = 64 << 20;

pub(crate) fn routes() -> axum::Router<WebState> {
    axum::Router::new().route("/api/v1/write", post(write)).route("/api/v1/read", post(read))
}

fn text(status: StatusCode, msg: impl Into<String>) -> Response {
    let mut m = msg.into();
    m.push('\n');
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], m).into_response()
}

async fn write(State(st): State<WebState>, body: Bytes) -> Response {
    let Some(rw) = st.remote_write.clone() else {
        return text(
            StatusCode::NOT_FOUND,
            "remote write receiver needs to be enabled with --web.enable-remote-write-receiver",
        );
    };
    let stats = rw.stats.clone();
    let res = tokio::task::spawn_blocking(move || append(&rw, &body)).await;
    let resp = match res {
        Ok(Ok(())) => return StatusCode::NO_CONTENT.into_response(),
        Ok(Err((status, msg))) => text(status, msg),
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("remote write panicked: {e}")),
    };
    stats.requests_failed.fetch_add(1, Ordering::Relaxed);
    resp
}

fn append(rw: &RemoteWriteState, body: &[u8]) -> Result<(), (StatusCode, String)> {
    let req = remote::decode_write_request(body, MAX_DECODED).map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
    let mut app = rw.appendable.appender();
    let mut n = 0u64;
    for ts in &req.timeseries {
        let labels = remote::labels_from_wire(&ts.labels);
        if let Err(reason) = valid(&labels) {
            tracing::warn!(series = %labels, reason, "remote write: invalid labels; series skipped");
            rw.stats.invalid_series.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        rw.stats.dropped_unsupported.fetch_add((ts.exemplars.len() + ts.histograms.len()) as u64, Ordering::Relaxed);
        let mut sref = 0;
        for s in &ts.samples {
            match app.append(sref, &labels, s.timestamp, s.value) {
                Ok(r) => sref = r,
                Err(e) => {
                    app.rollback();
                    let status = match e {
                        StorageError::OutOfOrderSample
                        | StorageError::DuplicateSampleForTimestamp
                        | StorageError::OutOfBounds
                        | StorageError::InvalidSeries { .. } => StatusCode::BAD_REQUEST,
                        _ => StatusCode::INTERNAL_SERVER_ERROR,
                    };
                    return Err((status, e.to_string()));
                }
            }
            n += 1;
        }
    }
    app.commit().map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    rw.stats.samples.fetch_add(n, Ordering::Relaxed);
    rw.stats.requests_ok.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// Prometheus' `labels.IsValid`: a metric name, valid label names, no duplicates.
fn valid(ls: &Labels) -> Result<(), &'static str> {
    let name = ls.get(argus_model::METRIC_NAME).ok_or("no metric name")?;
    let name_ok = |s: &str, colon: bool| {
        let mut cs = s.chars();
        cs.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || (colon && c == ':'))
            && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':'))
    };
    if !name_ok(name, true) {
        return Err("invalid metric name");
    }
    if !ls.iter().all(|l| name_ok(&l.name, false)) {
        return Err("invalid label name");
    }
    Ok(())
}

async fn read(State(st): State<WebState>, body: Bytes) -> Response {
    let req = match remote::decode_read_request(&body, MAX_DECODED) {
        Ok(r) => r,
        Err(e) => return text(StatusCode::BAD_REQUEST, e.to_string()),
    };
    if !req.accepted_response_types.is_empty() && !req.accepted_response_types.contains(&0) {
        return text(
            StatusCode::BAD_REQUEST,
            "server does not support any of the requested response types; argus serves SAMPLES (0)",
        );
    }
    let storage = st.api.storage.clone();
    let external = (st.api.external_labels)();
    let res = tokio::task::spawn_blocking(move || {
        let mut results = Vec::new();
        for q in &req.queries {
            let ms = remote::matchers_from_wire(&q.matchers).map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
            results.push(read_query(&*storage, &external, ms, q.start_timestamp_ms, q.end_timestamp_ms)?);
        }
        Ok::<_, (StatusCode, String)>(ReadResponse { results })
    })
    .await;
    match res {
        Ok(Ok(resp)) => (
            [(header::CONTENT_TYPE, "application/x-protobuf"), (header::CONTENT_ENCODING, "snappy")],
            remote::encode_read_response(&resp),
        )
            .into_response(),
        Ok(Err((status, msg))) => text(status, msg),
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("remote read panicked: {e}")),
    }
}

/// One remote read query. Matchers on an external label are checked against
/// its value and removed (Prometheus' `filterExtLabelsFromMatchers`); series
/// get the external labels they lack.
fn read_query(
    storage: &dyn argus_model::storage::Queryable,
    external: &Labels,
    ms: Vec<Matcher>,
    start: i64,
    end: i64,
) -> Result<QueryResult, (StatusCode, String)> {
    let mut kept = Vec::new();
    for m in ms {
        match external.get(&m.name) {
            Some(v) if m.matches(v) => {}
            Some(_) => return Ok(QueryResult::default()),
            None => kept.push(m),
        }
    }
    let internal = |e: StorageError| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    let q = storage.querier(start, end).map_err(internal)?;
    let hints = SelectHints { start, end, ..Default::default() };
    let mut out = QueryResult::default();
    for s in q.select(&kept, &hints).map_err(internal)? {
        let s = s.map_err(internal)?;
        let mut b = s.labels.builder();
        for l in external.iter() {
            if s.labels.get(&l.name).is_none() {
                b.set(l.name.to_string(), l.value.to_string());
            }
        }
        let ls = b.build();
        let samples: Vec<remote::Sample> = s
            .samples
            .iter()
            .filter(|x| x.t >= start && x.t <= end)
            .map(|x| remote::Sample { value: x.v, timestamp: x.t })
            .collect();
        if !samples.is_empty() {
            out.timeseries.push(TimeSeries { labels: remote::labels_to_wire(&ls), samples, ..Default::default() });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use argus_model::remote::{Label, LabelMatcher, Query, ReadRequest, Sample, WriteRequest};
    use argus_model::storage::{MemStorage, Queryable};
    use axum::body::Body;
    use axum::http::Request;
    use prost::Message;
    use tower::ServiceExt;

    use super::*;

    fn st(store: &MemStorage, enabled: bool) -> WebState {
        let mut api = crate::api::test_state(store.clone());
        api.external_labels = Arc::new(|| Labels::from_pairs([("zone", "z")]));
        WebState {
            ready: Arc::new(AtomicBool::new(true)),
            reload: None,
            metrics: Arc::new(|| (String::new(), "text/plain")),
            api: Arc::new(api),
            node_metrics: None,
            push: None,
            remote_write: enabled.then(|| RemoteWriteState {
                appendable: Arc::new(store.clone()),
                stats: Arc::new(RemoteWriteStats::default()),
            }),
        }
    }

    fn series(name: &str, samples: &[(i64, f64)]) -> TimeSeries {
        TimeSeries {
            labels: vec![
                Label { name: "__name__".into(), value: name.into() },
                Label { name: "job".into(), value: "a".into() },
            ],
            samples: samples.iter().map(|&(timestamp, value)| Sample { value, timestamp }).collect(),
            ..Default::default()
        }
    }

    async fn post(s: &WebState, uri: &str, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
        let req = Request::builder().method("POST").uri(uri).body(Body::from(body)).unwrap();
        let resp = crate::router(s.clone()).oneshot(req).await.unwrap();
        let code = resp.status();
        (code, axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap().to_vec())
    }

    fn count(store: &MemStorage) -> usize {
        let q = store.querier(i64::MIN, i64::MAX).unwrap();
        let ms = [Matcher::equal("job", "a")];
        q.select(&ms, &SelectHints { start: i64::MIN, end: i64::MAX, ..Default::default() })
            .unwrap()
            .map(|s| s.unwrap().samples.len())
            .sum()
    }

    #[tokio::test]
    async fn write_commits_whole_requests_only() {
        let store = MemStorage::new();
        let s = st(&store, true);
        let req = WriteRequest { timeseries: vec![series("up", &[(1000, 1.0), (2000, 1.0)])], metadata: vec![] };
        let (code, _) = post(&s, "/api/v1/write", remote::encode_write_request(&req)).await;
        assert_eq!(code, StatusCode::NO_CONTENT);
        assert_eq!(count(&store), 2);
        // A later series is fine, an out-of-order sample rolls back the whole request with 400.
        let bad = WriteRequest {
            timeseries: vec![series("other", &[(5000, 1.0)]), series("up", &[(1500, 2.0)])],
            metadata: vec![],
        };
        let (code, body) = post(&s, "/api/v1/write", remote::encode_write_request(&bad)).await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        assert_eq!(String::from_utf8_lossy(&body), "out of order sample\n");
        assert_eq!(count(&store), 2);
        let (code, body) = post(&s, "/api/v1/write", b"not snappy".to_vec()).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(&body));
        let invalid = WriteRequest { timeseries: vec![series("0bad", &[(9000, 1.0)])], metadata: vec![] };
        let (code, _) = post(&s, "/api/v1/write", remote::encode_write_request(&invalid)).await;
        assert_eq!(code, StatusCode::NO_CONTENT);
        assert_eq!(count(&store), 2);
        let stats = &s.remote_write.as_ref().unwrap().stats;
        assert_eq!(stats.invalid_series.load(Ordering::Relaxed), 1);
        assert_eq!(stats.requests_failed.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn write_is_off_unless_enabled() {
        let store = MemStorage::new();
        let (code, body) = post(&st(&store, false), "/api/v1/write", vec![]).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        assert!(String::from_utf8_lossy(&body).contains("--web.enable-remote-write-receiver"));
    }

    #[tokio::test]
    async fn read_returns_samples_with_external_labels() {
        let store = MemStorage::new();
        store.add(
            Labels::from_pairs([("__name__", "up"), ("job", "a")]),
            &[argus_model::Sample::new(1000, 1.0), argus_model::Sample::new(9000, 2.0)],
        );
        let s = st(&store, false);
        let q = |zone: &str| ReadRequest {
            queries: vec![Query {
                start_timestamp_ms: 0,
                end_timestamp_ms: 5000,
                matchers: vec![
                    LabelMatcher { r#type: 0, name: "__name__".into(), value: "up".into() },
                    LabelMatcher { r#type: 0, name: "zone".into(), value: zone.into() },
                ],
                hints: None,
            }],
            accepted_response_types: vec![0],
        };
        let (code, body) = post(&s, "/api/v1/read", remote::snappy_encode(&q("z").encode_to_vec())).await;
        assert_eq!(code, StatusCode::OK);
        let resp = ReadResponse::decode(remote::snappy_decode(&body, 1 << 20).unwrap().as_slice()).unwrap();
        let ts = &resp.results[0].timeseries;
        assert_eq!(ts.len(), 1);
        assert_eq!(
            remote::labels_from_wire(&ts[0].labels),
            Labels::from_pairs([("__name__", "up"), ("job", "a"), ("zone", "z")])
        );
        assert_eq!(ts[0].samples, vec![Sample { value: 1.0, timestamp: 1000 }]);
        let (_, body) = post(&s, "/api/v1/read", remote::snappy_encode(&q("other").encode_to_vec())).await;
        let resp = ReadResponse::decode(remote::snappy_decode(&body, 1 << 20).unwrap().as_slice()).unwrap();
        assert!(resp.results[0].timeseries.is_empty());
    }
}
