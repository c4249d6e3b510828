//! The Telegram integration: the bot API's `sendMessage` with the templated
//! message (cut to 4096 characters), as Alertmanager 0.25 sends it through
//! telebot (a JSON object of string parameters, link previews disabled).

use std::collections::BTreeMap;

use super::http::{authorize, client, send};
use super::slack::truncate;
use super::{NotifyCtx, NotifyError};
use crate::alert::Alert;
use crate::config::TelegramConfig;

/// A configured Telegram bot.
#[derive(Debug)]
pub(crate) struct Telegram {
    conf: TelegramConfig,
    client: reqwest::Client,
}

impl Telegram {
    pub(crate) fn new(conf: TelegramConfig) -> Result<Self, String> {
        let client = client(conf.http_config.as_ref())?;
        Ok(Telegram { conf, client })
    }

    pub(crate) async fn notify(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<(), NotifyError> {
        let c = &self.conf;
        let data = ctx.data(alerts).to_value();
        let text = truncate(ctx.text(&c.message, &data)?, 4096);
        let mut params = BTreeMap::from([
            ("chat_id", c.chat_id.to_string()),
            ("text", text),
            ("disable_web_page_preview", "true".to_string()),
        ]);
        if !c.parse_mode.is_empty() {
            params.insert("parse_mode", c.parse_mode.clone());
        }
        if c.disable_notifications {
            params.insert("disable_notification", "true".to_string());
        }
        let base = c.api_url.as_deref().unwrap_or("https://api.telegram.org").trim_end_matches('/');
        let url = format!("{base}/bot{}/sendMessage", c.bot_token.expose());
        let body = serde_json::to_vec(&params).map_err(|e| NotifyError::permanent(e.to_string()))?;
        let req = self.client.post(&url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        let resp = send(authorize(req, c.http_config.as_ref())?, &format!("{base}/bot<token>/sendMessage")).await?;
        // The bot API answers 200 with {"ok": false, ...} for some refusals.
        let v: serde_json::Value = serde_json::from_str(&resp).unwrap_or_default();
        if v.get("ok").and_then(|o| o.as_bool()) == Some(false) {
            let why = v.get("description").and_then(|d| d.as_str()).unwrap_or("unknown error");
            return Err(NotifyError::permanent(format!("telegram: {why}")));
        }
        Ok(())
    }
}
