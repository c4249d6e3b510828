//! The VictorOps integration: a JSON object of strings (Go map, so keys in
//! sorted order) posted to `api_url` + `<api_key>/<routing_key>`, as
//! Alertmanager 0.25's `notify/victorops` sends it. `message_type` falls
//! back to CRITICAL while firing and is RECOVERY once resolved; `entity_id`
//! is the SHA-256 of the group key. 2xx is success, 5xx retried.

use std::collections::BTreeMap;

use super::data::go_json;
use super::http::{authorize, client, send};
use super::pagerduty::key_hash;
use super::util::truncate_runes;
use super::{NotifyCtx, NotifyError};
use crate::alert::Alert;
use crate::config::VictorOpsConfig;

const MAX_MESSAGE_LEN_RUNES: usize = 20480;

/// A configured VictorOps routing key.
#[derive(Debug)]
pub(crate) struct VictorOps {
    conf: VictorOpsConfig,
    client: reqwest::Client,
}

impl VictorOps {
    pub(crate) fn new(conf: VictorOpsConfig) -> Result<Self, String> {
        let client = client(conf.http_config.as_ref())?;
        Ok(VictorOps { conf, client })
    }

    fn api_key(&self) -> Result<String, NotifyError> {
        let c = &self.conf;
        if !c.api_key.is_empty() {
            return Ok(c.api_key.expose().to_string());
        }
        std::fs::read_to_string(&c.api_key_file)
            .map(|s| s.trim().to_string())
            .map_err(|e| NotifyError::permanent(format!("failed to read API key from file: {e}")))
    }

    /// The payload; Alertmanager retries when it cannot build it.
    fn payload(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<Vec<u8>, NotifyError> {
        let c = &self.conf;
        let data = ctx.data(alerts);
        let v = data.to_value();
        let retry = |e: NotifyError| NotifyError::retryable(e.message);
        let t = |s: &str| ctx.text(s, &v).map_err(retry);
        let mut message_type = t(&c.message_type)?;
        if data.status == "firing" && !["INFO", "WARNING", "CRITICAL"].contains(&message_type.as_str()) {
            message_type = "CRITICAL".into();
        }
        if data.status == "resolved" {
            message_type = "RECOVERY".into();
        }
        let mut msg = BTreeMap::from([
            ("message_type".to_string(), message_type),
            ("entity_id".to_string(), key_hash(&ctx.group_key)),
            ("entity_display_name".to_string(), t(&c.entity_display_name)?),
            ("state_message".to_string(), truncate_runes(t(&c.state_message)?, MAX_MESSAGE_LEN_RUNES)),
            ("monitoring_tool".to_string(), t(&c.monitoring_tool)?),
        ]);
        for (k, val) in &c.custom_fields {
            msg.insert(k.clone(), t(val)?);
        }
        go_json(&msg).map_err(|e| NotifyError::retryable(e.to_string()))
    }

    pub(crate) async fn notify(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<(), NotifyError> {
        let c = &self.conf;
        let v = ctx.data(alerts).to_value();
        let routing_key = ctx.text(&c.routing_key, &v)?;
        let base = c.api_url.as_deref().unwrap_or_default();
        let url = format!("{base}{}/{routing_key}", self.api_key()?);
        let body = self.payload(ctx, alerts)?;
        let req = self.client.post(&url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        send(authorize(req, c.http_config.as_ref())?, &format!("{base}<api_key>/{routing_key}")).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use crate::notify::testutil::{Recorder, ctx, firing, receiver, resolved};

    #[tokio::test]
    async fn posts_sorted_fields_to_key_and_routing_key() {
        let rec = Recorder::start().await;
        let conf = receiver(&format!(
            "victorops_configs: [{{api_url: '{}/integrations/generic/alert/', api_key: k1, routing_key: 'team-{{{{ .GroupLabels.alertname }}}}', message_type: WHATEVER, state_message: 'st', custom_fields: {{zeta: '{{{{ .Status }}}}'}}}}]",
            rec.url
        ));
        let n = super::VictorOps::new(conf.victorops_configs[0].clone()).unwrap();
        n.notify(&ctx(), &[firing("a")]).await.unwrap();
        n.notify(&ctx(), &[resolved("a")]).await.unwrap();
        let reqs = rec.requests();
        let r = &reqs[0];
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/integrations/generic/alert/k1/team-Down"));
        assert_eq!(r.header("content-type"), "application/json");
        let hash = super::key_hash(&ctx().group_key);
        assert_eq!(
            r.body,
            format!(
                "{{\"entity_display_name\":\"[FIRING:1] Down (a)\",\"entity_id\":\"{hash}\",\"message_type\":\"CRITICAL\",\"monitoring_tool\":\"Alertmanager\",\"state_message\":\"st\",\"zeta\":\"firing\"}}\n"
            )
        );
        assert_eq!(reqs[1].json()["message_type"], "RECOVERY");
    }

    #[tokio::test]
    async fn global_key_and_retry_rules() {
        let rec = Recorder::start().await;
        let conf = receiver_with_global_url(&rec.url);
        let n = super::VictorOps::new(conf.victorops_configs[0].clone()).unwrap();
        let e = n.notify(&ctx(), &[firing("a")]).await.unwrap_err();
        assert!(e.retry, "{e}");
        assert!(!e.message.contains("gk"), "the API key stays out of errors: {e}");
        assert_eq!(rec.requests()[0].path, "/status/500/gk/rk");
    }

    fn receiver_with_global_url(url: &str) -> crate::config::Receiver {
        crate::notify::testutil::receiver_with_global(
            "victorops_configs: [{routing_key: rk}]",
            &format!("victorops_api_key: gk, victorops_api_url: '{url}/status/500/'"),
        )
    }
}
