//! The seam between rule evaluation and alert delivery.
//!
//! The rules engine hands alerts to an [`AlertSink`]; the built-in alert
//! manager implements it in process, and the Alertmanager API v2 client
//! (external Alertmanagers) implements it over HTTP. Neither side knows the
//! other.

use std::collections::BTreeMap;

use crate::Labels;

/// An alert as Prometheus sends it to Alertmanager (`PostableAlert` of API v2).
#[derive(Debug, Clone, PartialEq)]
pub struct PostableAlert {
    /// Identifying labels (rule labels, series labels, external labels).
    pub labels: Labels,
    /// Expanded annotations.
    pub annotations: BTreeMap<String, String>,
    /// When the alert became active, Unix milliseconds.
    pub starts_at_ms: i64,
    /// When it ends: for firing alerts Prometheus sends a time in the future
    /// (now + 4 × max(resend delay, eval interval)); for resolved ones the
    /// resolve time. `None` leaves it to the receiver's resolve_timeout.
    pub ends_at_ms: Option<i64>,
    /// Link back to the expression (`/graph?g0.expr=...`).
    pub generator_url: String,
}

/// Receives batches of alerts. Implementations must not block for long:
/// queue and return.
pub trait AlertSink: Send + Sync {
    /// Hands over a batch of alerts (firing and resolved).
    fn send(&self, alerts: Vec<PostableAlert>);
}
