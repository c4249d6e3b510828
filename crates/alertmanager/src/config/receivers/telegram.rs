//! `telegram_configs`: the telegram integration's settings, defaults and checks (Alertmanager 0.25).

use serde::Deserialize;

use super::{check_http, check_url, inherit_http, integration, tmpl};
use crate::config::global::Global;
use crate::config::secret::Secret;

integration!(
    /// `telegram_configs[]`.
    TelegramConfig, send_resolved = true, {
    /// `api_url`; defaults to `global.telegram_api_url`.
    api_url: Option<String> = None,
    /// `bot_token`.
    bot_token: Secret = Secret::default(),
    /// `chat_id`.
    chat_id: i64 = 0,
    /// `message`.
    message: String = tmpl("telegram.default.message"),
    /// `disable_notifications`.
    disable_notifications: bool = false,
    /// `parse_mode` (default HTML in 0.25).
    parse_mode: String = "HTML".to_string(),
});

impl TelegramConfig {
    /// The checks Alertmanager runs while decoding this integration.
    pub(crate) fn check(&mut self) -> Result<(), String> {
        let c = self;
        check_http(&mut c.http_config)?;
        check_url(&c.api_url)?;
        if c.bot_token.is_empty() {
            return Err("missing bot_token on telegram_config".into());
        }
        if c.chat_id == 0 {
            return Err("missing chat_id on telegram_config".into());
        }
        if !["", "Markdown", "MarkdownV2", "HTML"].contains(&c.parse_mode.as_str()) {
            return Err(
                "unknown parse_mode on telegram_config, must be Markdown, MarkdownV2, HTML or empty string".into()
            );
        }
        Ok(())
    }

    /// Fills settings from `global` and runs the checks that need it.
    pub(crate) fn apply_global(&mut self, g: &Global) -> Result<(), String> {
        let c = self;
        inherit_http(&mut c.http_config, g);
        if c.api_url.is_none() {
            c.api_url = Some(g.telegram_api_url.clone());
        }
        Ok(())
    }
}
