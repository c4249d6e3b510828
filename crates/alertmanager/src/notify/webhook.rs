//! The webhook integration: POSTs Alertmanager's version "4" JSON message
//! (see `../shared/testdata/alertmanager/WEBHOOK.md`) to `url`, truncated to
//! `max_alerts`.

use serde::Serialize;

use super::data::{Data, DataAlert, go_json};
use super::http::{authorize, client, send};
use super::{NotifyCtx, NotifyError};
use crate::alert::Alert;
use crate::config::WebhookConfig;

/// A configured webhook.
#[derive(Debug)]
pub(crate) struct Webhook {
    pub(crate) conf: WebhookConfig,
    client: reqwest::Client,
}

#[derive(Serialize)]
struct Message<'a> {
    receiver: &'a str,
    status: &'a str,
    alerts: &'a [DataAlert],
    #[serde(rename = "groupLabels")]
    group_labels: &'a std::collections::BTreeMap<String, String>,
    #[serde(rename = "commonLabels")]
    common_labels: &'a std::collections::BTreeMap<String, String>,
    #[serde(rename = "commonAnnotations")]
    common_annotations: &'a std::collections::BTreeMap<String, String>,
    #[serde(rename = "externalURL")]
    external_url: &'a str,
    version: &'static str,
    #[serde(rename = "groupKey")]
    group_key: &'a str,
    #[serde(rename = "truncatedAlerts")]
    truncated_alerts: u64,
}

/// The webhook body for `data`, truncating to `max_alerts` (0 = all).
pub(crate) fn message(data: &Data, group_key: &str, max_alerts: u64) -> Result<Vec<u8>, NotifyError> {
    let n = data.alerts.len();
    let keep = if max_alerts == 0 { n } else { n.min(usize::try_from(max_alerts).unwrap_or(usize::MAX)) };
    let msg = Message {
        receiver: &data.receiver,
        status: data.status,
        alerts: data.alerts.get(..keep).unwrap_or(&data.alerts),
        group_labels: &data.group_labels,
        common_labels: &data.common_labels,
        common_annotations: &data.common_annotations,
        external_url: &data.external_url,
        version: "4",
        group_key,
        truncated_alerts: (n - keep) as u64,
    };
    go_json(&msg).map_err(|e| NotifyError::permanent(format!("cannot encode webhook message: {e}")))
}

impl Webhook {
    pub(crate) fn new(conf: WebhookConfig) -> Result<Self, String> {
        let client = client(conf.http_config.as_ref())?;
        Ok(Webhook { conf, client })
    }

    pub(crate) async fn notify(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<(), NotifyError> {
        let url = self.conf.url.as_deref().unwrap_or_default();
        let data = ctx.data(alerts);
        let body = message(&data, &ctx.group_key, self.conf.max_alerts)?;
        let req = self.client.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        let req = authorize(req, self.conf.http_config.as_ref())?;
        send(req, url).await.map(|_| ())
    }
}
