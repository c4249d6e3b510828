//! `msteams_configs`: Microsoft Teams incoming webhooks. Alertmanager 0.25
//! has no Teams integration; this follows 0.26's (`webhook_url`, `title`,
//! `summary`, `text`), a deliberate addition documented in ARCHITECTURE.md.

use serde::Deserialize;

use super::{check_http, check_secret_url, inherit_http, integration, tmpl};
use crate::config::global::Global;
use crate::config::secret::Secret;

integration!(
    /// `msteams_configs[]`.
    MsTeamsConfig, send_resolved = true, {
    /// `webhook_url` (secret).
    webhook_url: Option<Secret> = None,
    /// `title`.
    title: String = tmpl("msteams.default.title"),
    /// `summary`.
    summary: String = tmpl("msteams.default.summary"),
    /// `text`.
    text: String = tmpl("msteams.default.text"),
});

impl MsTeamsConfig {
    /// The checks Alertmanager 0.26 runs while decoding this integration.
    pub(crate) fn check(&mut self) -> Result<(), String> {
        let c = self;
        check_http(&mut c.http_config)?;
        if c.webhook_url.is_none() {
            return Err("missing webhook_url or webhook_url_file".into());
        }
        check_secret_url(&c.webhook_url)?;
        Ok(())
    }

    /// Fills settings from `global`.
    pub(crate) fn apply_global(&mut self, g: &Global) -> Result<(), String> {
        inherit_http(&mut self.http_config, g);
        Ok(())
    }
}
