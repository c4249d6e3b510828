//! The HTTP face of argus.
//!
//! This crate owns routing and the wire formats of the HTTP endpoints: the
//! lifecycle endpoints (`/-/healthy`, `/-/ready`, `/-/reload`, `/-/quit` is not
//! offered), `/metrics`, and, as later subsystems land, the Prometheus v1 API,
//! the Alertmanager v2 API, the push API and the UI. It does not own any
//! subsystem logic: everything it serves comes through the narrow handles in
//! [`WebState`] (a readiness flag, a reload request channel, a metrics
//! renderer, the storage read seam).
//!
//! ```no_run
//! # async fn f(state: argus_web::WebState) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9090").await?;
//! argus_web::serve(listener, argus_web::router(state), std::future::pending()).await
//! # }
//! ```
#![deny(missing_docs)]

pub mod alertmanager;
mod api;
mod federate;
mod lifecycle;
mod push;
mod remote;

pub use api::{
    ApiState, BuildInfo, JsonSource, MetadataEntry, RulesFn, SnapshotFn, TargetsFn, TargetsMetadataFn, Views,
};
pub use push::PushState;
pub use remote::{RemoteWriteState, RemoteWriteStats};

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Router;
use tokio::sync::{mpsc, oneshot};

/// A request to reload the configuration; the reply says whether it worked.
pub type ReloadRequest = oneshot::Sender<Result<(), String>>;

/// Renders the self-metrics exposition and its content type.
pub type MetricsRenderer = Arc<dyn Fn() -> (String, &'static str) + Send + Sync>;

/// What the HTTP layer may see of the rest of the process.
#[derive(Clone)]
pub struct WebState {
    /// True once start-up (WAL replay) is done; `/-/ready` answers 503 before.
    pub ready: Arc<AtomicBool>,
    /// Where `/-/reload` sends its requests; `None` disables the endpoint.
    pub reload: Option<mpsc::Sender<ReloadRequest>>,
    /// Renders `/metrics`.
    pub metrics: MetricsRenderer,
    /// What the Prometheus v1 API reads (shared: axum clones the state for
    /// every request).
    pub api: Arc<ApiState>,
    /// Renders the host metrics for `/node/metrics` (node_exporter's format).
    pub node_metrics: Option<TextRenderer>,
    /// The push gateway, when enabled.
    pub push: Option<PushState>,
    /// The remote write receiver, when enabled (`--web.enable-remote-write-receiver`).
    pub remote_write: Option<RemoteWriteState>,
}

/// Renders a text-format exposition (blocking; called on the blocking pool).
pub type TextRenderer = Arc<dyn Fn() -> String + Send + Sync>;

/// The router with every endpoint this build serves.
pub fn router(state: WebState) -> Router {
    lifecycle::routes()
        .merge(api::routes())
        .merge(push::routes())
        .merge(federate::routes())
        .merge(remote::routes())
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` resolves, then finishes
/// in-flight requests and returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
