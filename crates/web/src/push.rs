//! The Pushgateway 1.5 HTTP API on argus' port: `PUT|POST|DELETE
//! /metrics/job/<job>{/<label>/<value>}`, `GET /api/v1/metrics`,
//! `PUT /api/v1/admin/wipe` (admin API only), and `GET /pushgateway/metrics`
//! exposing the pushed groups for an external Prometheus. All semantics live
//! in `argus-push`; this is the thin HTTP adapter.

use std::sync::Arc;
use std::time::SystemTime;

use argus_push::{GroupingKey, Method, PushStore, http_status};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};

use crate::WebState;

/// The push gateway as the web layer sees it.
#[derive(Clone)]
pub struct PushState {
    /// The store.
    pub store: Arc<PushStore>,
    /// Whether `PUT /api/v1/admin/wipe` is served.
    pub admin: bool,
    /// Largest accepted body in bytes (413 above).
    pub max_body_bytes: usize,
    /// Process start time (RFC 3339) for `/api/v1/status`.
    pub start_time: String,
}

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/metrics/{*key}", put(push_put).post(push_post).delete(push_delete))
        .route("/api/v1/metrics", get(api_metrics))
        .route("/api/v1/status", get(api_status))
        .route("/api/v1/admin/wipe", put(wipe))
        .route("/pushgateway/metrics", get(exposition))
}

fn text(status: u16, body: String) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // Go's http.Error: plain text with a trailing newline.
    (code, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{body}\n")).into_response()
}

fn key_error(e: argus_push::KeyError) -> Response {
    let msg = e.to_string();
    text(http_status(&e.into()), msg)
}

fn disabled() -> Response {
    text(404, "push gateway is disabled".into())
}

async fn push(st: WebState, method: Method, key: String, headers: HeaderMap, body: Bytes) -> Response {
    let Some(p) = st.push.clone() else { return disabled() };
    if body.len() > p.max_body_bytes {
        return text(413, format!("cannot accept push: body exceeds the limit of {} bytes", p.max_body_bytes));
    }
    let key = match GroupingKey::parse(&key) {
        Ok(k) => k,
        Err(e) => return key_error(e),
    };
    let h = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (ctype, cenc) = (h(header::CONTENT_TYPE), h(header::CONTENT_ENCODING));
    let res = tokio::task::spawn_blocking(move || {
        p.store.push_encoded(method, &key, &body, ctype.as_deref(), cenc.as_deref(), SystemTime::now())
    })
    .await;
    match res {
        Ok(Ok(())) => StatusCode::OK.into_response(),
        Ok(Err(e)) => text(http_status(&e), e.to_string()),
        Err(e) => text(500, format!("push failed: {e}")),
    }
}

async fn push_put(State(st): State<WebState>, Path(key): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    push(st, Method::Put, key, headers, body).await
}

async fn push_post(State(st): State<WebState>, Path(key): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    push(st, Method::Post, key, headers, body).await
}

async fn push_delete(State(st): State<WebState>, Path(key): Path<String>) -> Response {
    let Some(p) = st.push.as_ref() else { return disabled() };
    match GroupingKey::parse(&key) {
        Ok(k) => {
            p.store.delete(&k);
            StatusCode::ACCEPTED.into_response()
        }
        Err(e) => key_error(e),
    }
}

async fn api_metrics(State(st): State<WebState>) -> Response {
    let Some(p) = st.push.as_ref() else { return disabled() };
    let body = serde_json::json!({"status": "success", "data": p.store.api_v1_metrics_json()});
    ([(header::CONTENT_TYPE, "application/json"), (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")], body.to_string())
        .into_response()
}

/// The Pushgateway's `GET /api/v1/status`: build information, flags and
/// start time, in its JSON shape.
async fn api_status(State(st): State<WebState>) -> Response {
    let Some(p) = st.push.as_ref() else { return disabled() };
    let b = &st.api.build;
    let data = serde_json::json!({
        "build_information": {
            "version": b.version, "revision": b.revision, "branch": "", "buildUser": "",
            "buildDate": b.build_date, "goVersion": "",
        },
        "flags": st.api.flags,
        "start_time": p.start_time,
    });
    (
        [(header::CONTENT_TYPE, "application/json"), (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
        serde_json::json!({"status": "success", "data": data}).to_string(),
    )
        .into_response()
}

async fn wipe(State(st): State<WebState>) -> Response {
    match st.push.as_ref() {
        Some(p) if p.admin => {
            p.store.wipe();
            StatusCode::ACCEPTED.into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn exposition(State(st): State<WebState>) -> Response {
    let Some(p) = st.push.as_ref() else { return disabled() };
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], p.store.render_text()).into_response()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    fn st() -> WebState {
        WebState {
            ready: Arc::new(AtomicBool::new(true)),
            reload: None,
            metrics: Arc::new(|| (String::new(), "text/plain")),
            api: Arc::new(crate::api::test_state(argus_model::storage::MemStorage::new())),
            node_metrics: None,
            push: Some(PushState {
                store: Arc::new(PushStore::new(argus_push::StoreOptions::default())),
                admin: false,
                max_body_bytes: 1024,
                start_time: "2026-11-22T00:00:00Z".into(),
            }),
            remote_write: None,
        }
    }

    async fn call(s: &WebState, method: &str, uri: &str, body: &str) -> (StatusCode, String) {
        let req = Request::builder().method(method).uri(uri).body(Body::from(body.to_string())).unwrap();
        let resp = crate::router(s.clone()).oneshot(req).await.unwrap();
        let code = resp.status();
        let b = resp.into_body().collect().await.unwrap().to_bytes();
        (code, String::from_utf8_lossy(&b).into_owned())
    }

    #[tokio::test]
    async fn push_read_delete() {
        let s = st();
        assert_eq!(call(&s, "PUT", "/metrics/job/backup/instance/db1", "rows 5\n").await.0, StatusCode::OK);
        let (_, text) = call(&s, "GET", "/pushgateway/metrics", "").await;
        assert!(text.contains("rows{instance=\"db1\",job=\"backup\"} 5"), "{text}");
        let (_, json) = call(&s, "GET", "/api/v1/metrics", "").await;
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["data"][0]["labels"]["job"], "backup");
        let (code, err) = call(&s, "POST", "/metrics/job/backup/odd", "rows 1\n").await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        assert!(err.contains("odd number of components"), "{err}");
        assert_eq!(call(&s, "PUT", "/metrics/job/x", &"a 1\n".repeat(500)).await.0, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(call(&s, "DELETE", "/metrics/job/backup/instance/db1", "").await.0, StatusCode::ACCEPTED);
        assert_eq!(call(&s, "PUT", "/api/v1/admin/wipe", "").await.0, StatusCode::NOT_FOUND);
        let (code, status) = call(&s, "GET", "/api/v1/status", "").await;
        assert_eq!(code, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_str(&status).unwrap();
        assert_eq!(v["data"]["build_information"]["version"], "0.1.0");
        assert_eq!(v["data"]["start_time"], "2026-11-22T00:00:00Z");
    }
}
