//! `discord_configs`: the discord integration's settings, defaults and checks (Alertmanager 0.25).

use serde::Deserialize;

use super::{check_http, check_secret_url, inherit_http, integration, tmpl};
use crate::config::global::Global;
use crate::config::secret::Secret;

integration!(
    /// `discord_configs[]`.
    DiscordConfig, send_resolved = true, {
    /// `webhook_url` (secret).
    webhook_url: Option<Secret> = None,
    /// `title`.
    title: String = tmpl("discord.default.title"),
    /// `message`.
    message: String = tmpl("discord.default.message"),
});

impl DiscordConfig {
    /// The checks Alertmanager runs while decoding this integration.
    pub(crate) fn check(&mut self) -> Result<(), String> {
        let c = self;
        check_http(&mut c.http_config)?;
        if c.webhook_url.is_none() {
            return Err("no discord webhook URL provided".into());
        }
        check_secret_url(&c.webhook_url)?;
        Ok(())
    }

    /// Fills settings from `global` and runs the checks that need it.
    pub(crate) fn apply_global(&mut self, g: &Global) -> Result<(), String> {
        let c = self;
        inherit_http(&mut c.http_config, g);
        Ok(())
    }
}
