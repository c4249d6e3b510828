//! `webex_configs`: the webex integration's settings, defaults and checks (Alertmanager 0.25).

use serde::Deserialize;

use super::{check_http, check_url, inherit_http, integration, tmpl};
use crate::config::global::Global;

integration!(
    /// `webex_configs[]`.
    WebexConfig, send_resolved = true, {
    /// `api_url`; defaults to `global.webex_api_url`.
    api_url: Option<String> = None,
    /// `message`.
    message: String = tmpl("webex.default.message"),
    /// `room_id`.
    room_id: String = String::new(),
});

impl WebexConfig {
    /// The checks Alertmanager runs while decoding this integration.
    pub(crate) fn check(&mut self) -> Result<(), String> {
        let c = self;
        check_http(&mut c.http_config)?;
        check_url(&c.api_url)?;
        if c.room_id.is_empty() {
            return Err("missing room_id on webex_config".into());
        }
        if c.http_config.as_ref().and_then(|h| h.authorization.as_ref()).is_none() {
            return Err("missing webex_configs.http_config.authorization".into());
        }
        Ok(())
    }

    /// Fills settings from `global` and runs the checks that need it.
    pub(crate) fn apply_global(&mut self, g: &Global) -> Result<(), String> {
        let c = self;
        inherit_http(&mut c.http_config, g);
        if c.api_url.is_none() {
            c.api_url = Some(g.webex_api_url.clone());
        }
        Ok(())
    }
}
