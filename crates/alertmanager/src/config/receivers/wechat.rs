//! `wechat_configs`: the wechat integration's settings, defaults and checks (Alertmanager 0.25).

use serde::Deserialize;

use super::{check_http, check_url, inherit_http, integration, tmpl};
use crate::config::global::Global;
use crate::config::secret::Secret;

integration!(
    /// `wechat_configs[]`.
    WechatConfig, send_resolved = false, {
    /// `api_secret`.
    api_secret: Secret = Secret::default(),
    /// `corp_id`.
    corp_id: String = String::new(),
    /// `message`.
    message: String = tmpl("wechat.default.message"),
    /// `api_url`.
    api_url: Option<String> = None,
    /// `to_user`.
    to_user: String = tmpl("wechat.default.to_user"),
    /// `to_party`.
    to_party: String = tmpl("wechat.default.to_party"),
    /// `to_tag`.
    to_tag: String = tmpl("wechat.default.to_tag"),
    /// `agent_id`.
    agent_id: String = tmpl("wechat.default.agent_id"),
    /// `message_type`: text or markdown.
    message_type: String = String::new(),
});

impl WechatConfig {
    /// The checks Alertmanager runs while decoding this integration.
    pub(crate) fn check(&mut self) -> Result<(), String> {
        let c = self;
        check_http(&mut c.http_config)?;
        check_url(&c.api_url)?;
        if c.message_type.is_empty() {
            c.message_type = "text".into();
        }
        if c.message_type != "text" && c.message_type != "markdown" {
            return Err(format!(
                "weChat message type {:?} does not match valid options ^(text|markdown)$",
                c.message_type
            ));
        }
        Ok(())
    }

    /// Fills settings from `global` and runs the checks that need it.
    pub(crate) fn apply_global(&mut self, g: &Global) -> Result<(), String> {
        let c = self;
        inherit_http(&mut c.http_config, g);
        let url = c.api_url.get_or_insert_with(|| g.wechat_api_url.clone());
        if c.api_secret.is_empty() {
            if g.wechat_api_secret.is_empty() {
                return Err("no global Wechat ApiSecret set".into());
            }
            c.api_secret = g.wechat_api_secret.clone();
        }
        if c.corp_id.is_empty() {
            if g.wechat_api_corp_id.is_empty() {
                return Err("no global Wechat CorpID set".into());
            }
            c.corp_id = g.wechat_api_corp_id.clone();
        }
        if !url.ends_with('/') {
            url.push('/');
        }
        Ok(())
    }
}
