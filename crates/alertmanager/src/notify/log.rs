//! The `log` integration (an argus extension, `log_configs`): writes each
//! notification to the process log with tracing. It is what the built-in
//! default configuration notifies, so alerts are visible with no receiver set
//! up.

use super::{NotifyCtx, NotifyError};
use crate::alert::Alert;

/// Logs notifications.
#[derive(Debug)]
pub(crate) struct LogNotifier;

impl LogNotifier {
    pub(crate) async fn notify(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<(), NotifyError> {
        let data = ctx.data(alerts);
        for a in &data.alerts {
            let labels: Vec<String> = a.labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            let annotations: Vec<String> = a.annotations.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            tracing::warn!(
                receiver = %ctx.receiver,
                group_key = %ctx.group_key,
                status = a.status,
                labels = %labels.join(","),
                annotations = %annotations.join(","),
                starts_at = %a.starts_at,
                ends_at = %a.ends_at,
                fingerprint = %a.fingerprint,
                "alert notification"
            );
        }
        Ok(())
    }
}
