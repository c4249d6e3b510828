//! Handler tests of the v1 API over an in-memory store: JSON shapes, status
//! codes and error types as Prometheus 2.42 gives them.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use argus_model::storage::MemStorage;
use argus_model::{Labels, Sample};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

fn store() -> MemStorage {
    let st = MemStorage::new();
    for (job, base) in [("api", 1.0), ("db", 10.0)] {
        let l = Labels::from_pairs([("__name__", "up"), ("job", job), ("instance", "h:1")]);
        let samples: Vec<Sample> = (0..=10).map(|i| Sample::new(i * 15_000, base + i as f64)).collect();
        st.add(l, &samples);
    }
    st
}

async fn call(method: &str, uri: &str, body: &str) -> (StatusCode, serde_json::Value) {
    let state = crate::WebState {
        ready: Arc::new(AtomicBool::new(true)),
        reload: None,
        metrics: Arc::new(|| (String::new(), "text/plain")),
        api: Arc::new(super::test_state(store())),
        node_metrics: None,
        push: None,
        remote_write: None,
    };
    let mut req = Request::builder().method(method).uri(uri);
    if method == "POST" {
        req = req.header("content-type", "application/x-www-form-urlencoded");
    }
    let resp = crate::router(state).oneshot(req.body(Body::from(body.to_string())).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, v)
}

#[tokio::test]
async fn instant_query_vector() {
    let (code, v) = call("GET", "/api/v1/query?query=up&time=150", "").await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "success");
    assert_eq!(v["data"]["resultType"], "vector");
    let r = &v["data"]["result"];
    assert_eq!(r.as_array().unwrap().len(), 2);
    assert_eq!(r[0]["metric"]["job"], "api");
    assert_eq!(r[0]["value"], serde_json::json!([150, "11"]));
}

#[tokio::test]
async fn post_form_and_scalar() {
    let (code, v) = call("POST", "/api/v1/query", "query=1%2B1&time=1.5").await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["data"], serde_json::json!({"resultType": "scalar", "result": [1.5, "2"]}));
}

#[tokio::test]
async fn range_query_matrix() {
    let (code, v) = call("GET", "/api/v1/query_range?query=up%7Bjob%3D%22db%22%7D&start=0&end=60&step=30", "").await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["resultType"], "matrix");
    assert_eq!(v["data"]["result"][0]["values"], serde_json::json!([[0, "10"], [30, "12"], [60, "14"]]));
}

#[tokio::test]
async fn errors_have_prometheus_types_and_codes() {
    let cases = [
        ("/api/v1/query?query=up%7B", StatusCode::BAD_REQUEST, "bad_data"),
        ("/api/v1/query?query=up&time=yesterday", StatusCode::BAD_REQUEST, "bad_data"),
        ("/api/v1/query_range?query=up&start=10&end=0&step=1", StatusCode::BAD_REQUEST, "bad_data"),
        ("/api/v1/query_range?query=up&start=0&end=100000&step=1", StatusCode::BAD_REQUEST, "bad_data"),
        ("/api/v1/query_range?query=up&start=0&end=10&step=0", StatusCode::BAD_REQUEST, "bad_data"),
        ("/api/v1/query?query=up%20%2B%20on(instance)%20up&time=100", StatusCode::UNPROCESSABLE_ENTITY, "execution"),
        ("/api/v1/series", StatusCode::BAD_REQUEST, "bad_data"),
        ("/api/v1/series?match[]=%7Bjob%3D~%22.*%22%7D", StatusCode::BAD_REQUEST, "bad_data"),
        ("/api/v1/label/bad-name/values", StatusCode::BAD_REQUEST, "bad_data"),
    ];
    for (uri, code, kind) in cases {
        let (c, v) = call("GET", uri, "").await;
        assert_eq!(c, code, "{uri}: {v}");
        assert_eq!(v["status"], "error", "{uri}");
        assert_eq!(v["errorType"], kind, "{uri}: {v}");
    }
    // A syntax error names its position, as in 2.42.
    let (_, v) = call("GET", "/api/v1/format_query?query=sum(rate(x%5B5m%5D)", "").await;
    assert_eq!(v["error"], "invalid parameter \"query\": 1:16: parse error: unclosed left parenthesis");
    let (_, v) = call("GET", "/api/v1/query?query=sum(rate(x%5B5m%5D)", "").await;
    assert_eq!(v["error"], "invalid parameter \"query\": 1:16: parse error: unclosed left parenthesis");
    let (_, v) = call("GET", "/api/v1/query_range?query=up&start=0&end=100000&step=1", "").await;
    assert_eq!(
        v["error"],
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"
    );
}

#[tokio::test]
async fn series_labels_values() {
    let (code, v) = call("GET", "/api/v1/series?match[]=up%7Bjob%3D%22db%22%7D", "").await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["data"], serde_json::json!([{"__name__": "up", "instance": "h:1", "job": "db"}]));
    let (_, v) = call("GET", "/api/v1/labels", "").await;
    assert_eq!(v["data"], serde_json::json!(["__name__", "instance", "job"]));
    let (_, v) = call("GET", "/api/v1/label/job/values", "").await;
    assert_eq!(v["data"], serde_json::json!(["api", "db"]));
    let (_, v) = call("GET", "/api/v1/label/job/values?match[]=up%7Bjob%3D%22api%22%7D", "").await;
    assert_eq!(v["data"], serde_json::json!(["api"]));
}

#[tokio::test]
async fn status_endpoints() {
    let (_, v) = call("GET", "/api/v1/status/buildinfo", "").await;
    assert_eq!(v["data"]["version"], "0.1.0");
    let (_, v) = call("GET", "/api/v1/status/flags", "").await;
    assert_eq!(v["data"]["web.listen-address"], "127.0.0.1:0");
    let (_, v) = call("GET", "/api/v1/status/config", "").await;
    assert_eq!(v["data"]["yaml"], "global: {}\n");
    let (_, v) = call("GET", "/api/v1/query_exemplars?query=up", "").await;
    assert_eq!(v["data"], serde_json::json!([]));
    let (code, v) = call("GET", "/api/v1/format_query?query=sum(rate(x%5B5m%5D))%20by%20(job)", "").await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert!(v["data"].as_str().unwrap().contains("sum by (job)"), "{v}");
}

/// A panicking query becomes a 500 with the panic's text on both runtime
/// flavours (in place on the multi-threaded one, on the blocking pool
/// elsewhere), and the runtime keeps serving.
#[test]
fn blocking_work_that_panics_is_an_internal_error() {
    let check = |rt: tokio::runtime::Runtime| {
        rt.block_on(async {
            let e = super::blocking::<()>(|| panic!("boom at step 3")).await.unwrap_err();
            assert_eq!(e, super::ApiError::internal("request panicked: boom at step 3".into()));
            assert_eq!(super::blocking(|| Ok(7)).await, Ok(7));
        })
    };
    check(tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap());
    check(tokio::runtime::Builder::new_current_thread().build().unwrap());
}
