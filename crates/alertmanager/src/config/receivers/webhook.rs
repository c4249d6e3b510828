//! `webhook_configs`: the webhook integration's settings, defaults and checks (Alertmanager 0.25).

use serde::Deserialize;

use super::{check_http, check_url, inherit_http, integration};
use crate::config::global::Global;

integration!(
    /// `webhook_configs[]`.
    WebhookConfig, send_resolved = true, {
    /// `url` (required).
    url: Option<String> = None,
    /// `max_alerts` (0 = all).
    max_alerts: u64 = 0,
});

impl WebhookConfig {
    /// The checks Alertmanager runs while decoding this integration.
    pub(crate) fn check(&mut self) -> Result<(), String> {
        let c = self;
        check_http(&mut c.http_config)?;
        check_url(&c.url)?;
        if c.url.is_none() {
            return Err("missing URL in webhook config".into());
        }
        Ok(())
    }

    /// Fills settings from `global` and runs the checks that need it.
    pub(crate) fn apply_global(&mut self, g: &Global) -> Result<(), String> {
        let c = self;
        inherit_http(&mut c.http_config, g);
        Ok(())
    }
}
