//! Lifecycle endpoints as Prometheus has them: health, readiness, reload, and
//! the self-metrics page.

use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::oneshot;

use crate::WebState;

pub(crate) fn routes() -> Router<WebState> {
    Router::new()
        .route("/-/healthy", get(healthy).head(healthy))
        .route("/-/ready", get(ready).head(ready))
        .route("/-/reload", post(reload).put(reload))
        .route("/metrics", get(metrics))
        .route("/node/metrics", get(node_metrics))
}

async fn healthy() -> &'static str {
    "Argus is Healthy.\n"
}

async fn ready(State(st): State<WebState>) -> Response {
    if st.ready.load(Ordering::Acquire) {
        (StatusCode::OK, "Argus is Ready.\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response()
    }
}

async fn reload(State(st): State<WebState>) -> Response {
    let Some(tx) = st.reload else {
        return (StatusCode::FORBIDDEN, "Lifecycle API is not enabled.").into_response();
    };
    let (reply_tx, reply_rx) = oneshot::channel();
    if tx.send(reply_tx).await.is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    match reply_rx.await {
        Ok(Ok(())) => StatusCode::OK.into_response(),
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, format!("failed to reload config: {e}")).into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response(),
    }
}

async fn metrics(State(st): State<WebState>) -> Response {
    let (body, ctype) = (st.metrics)();
    ([(header::CONTENT_TYPE, ctype)], body).into_response()
}

async fn node_metrics(State(st): State<WebState>) -> Response {
    let Some(render) = st.node_metrics else {
        return (StatusCode::NOT_FOUND, "host metrics are disabled\n").into_response();
    };
    match tokio::task::spawn_blocking(move || render()).await {
        Ok(body) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("host metrics failed: {e}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    fn state(ready: bool) -> WebState {
        WebState {
            ready: Arc::new(AtomicBool::new(ready)),
            reload: None,
            metrics: Arc::new(|| ("argus_up 1\n".to_string(), "text/plain; version=0.0.4")),
            api: Arc::new(crate::api::test_state(argus_model::storage::MemStorage::new())),
            node_metrics: Some(Arc::new(|| "node_load1 0.5\n".to_string())),
            push: None,
            remote_write: None,
        }
    }

    async fn call(st: WebState, method: &str, uri: &str) -> (StatusCode, String) {
        let resp = crate::router(st)
            .oneshot(Request::builder().method(method).uri(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn ready_follows_the_flag() {
        assert_eq!(call(state(false), "GET", "/-/ready").await.0, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(call(state(true), "GET", "/-/ready").await.0, StatusCode::OK);
        assert_eq!(call(state(false), "GET", "/-/healthy").await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn reload_replies_with_the_outcome() {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<crate::ReloadRequest>(1);
        tokio::spawn(async move {
            while let Some(r) = rx.recv().await {
                let _ = r.send(Err("bad config: line 3".into()));
            }
        });
        let mut st = state(true);
        st.reload = Some(tx);
        let (code, body) = call(st, "POST", "/-/reload").await;
        assert_eq!(code, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.contains("line 3"), "{body}");
        assert_eq!(call(state(true), "GET", "/-/reload").await.0, StatusCode::METHOD_NOT_ALLOWED);
    }

    #[tokio::test]
    async fn node_metrics_page() {
        let (code, body) = call(state(true), "GET", "/node/metrics").await;
        assert_eq!((code, body.as_str()), (StatusCode::OK, "node_load1 0.5\n"));
    }

    #[tokio::test]
    async fn metrics_page() {
        let (code, body) = call(state(true), "GET", "/metrics").await;
        assert_eq!(code, StatusCode::OK);
        assert!(body.contains("argus_up"));
    }
}
