//! The `global` block: defaults shared by routes and integrations.

use std::time::Duration;

use serde::Deserialize;

use super::http::HttpClientConfig;
use super::secret::{Secret, parse_url};

/// `global`, with Alertmanager 0.25's defaults for every absent key.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Global {
    /// `resolve_timeout` as written (default `5m`); see [`Global::resolve_timeout`].
    #[serde(rename = "resolve_timeout")]
    pub resolve_timeout_raw: String,
    /// `http_config`, inherited by integrations that have none.
    pub http_config: HttpClientConfig,
    /// `smtp_from`.
    pub smtp_from: String,
    /// `smtp_hello` (default `localhost`).
    pub smtp_hello: String,
    /// `smtp_smarthost` as `host:port`.
    pub smtp_smarthost: String,
    /// `smtp_auth_username`.
    pub smtp_auth_username: String,
    /// `smtp_auth_password`.
    pub smtp_auth_password: Secret,
    /// `smtp_auth_password_file`.
    pub smtp_auth_password_file: String,
    /// `smtp_auth_secret`.
    pub smtp_auth_secret: Secret,
    /// `smtp_auth_identity`.
    pub smtp_auth_identity: String,
    /// `smtp_require_tls` (default true).
    #[serde(deserialize_with = "crate::de::bool11")]
    pub smtp_require_tls: bool,
    /// `slack_api_url` (secret).
    pub slack_api_url: Option<Secret>,
    /// `slack_api_url_file`.
    pub slack_api_url_file: String,
    /// `pagerduty_url`.
    pub pagerduty_url: String,
    /// `opsgenie_api_url`.
    pub opsgenie_api_url: String,
    /// `opsgenie_api_key`.
    pub opsgenie_api_key: Secret,
    /// `opsgenie_api_key_file`.
    pub opsgenie_api_key_file: String,
    /// `wechat_api_url`.
    pub wechat_api_url: String,
    /// `wechat_api_secret`.
    pub wechat_api_secret: Secret,
    /// `wechat_api_corp_id`.
    pub wechat_api_corp_id: String,
    /// `victorops_api_url`.
    pub victorops_api_url: String,
    /// `victorops_api_key`.
    pub victorops_api_key: Secret,
    /// `victorops_api_key_file`.
    pub victorops_api_key_file: String,
    /// `telegram_api_url`.
    pub telegram_api_url: String,
    /// `webex_api_url`.
    pub webex_api_url: String,
    /// The parsed `resolve_timeout`.
    #[serde(skip)]
    pub resolve_timeout: Duration,
}

impl Default for Global {
    fn default() -> Self {
        Global {
            resolve_timeout_raw: "5m".into(),
            http_config: HttpClientConfig::default(),
            smtp_from: String::new(),
            smtp_hello: "localhost".into(),
            smtp_smarthost: String::new(),
            smtp_auth_username: String::new(),
            smtp_auth_password: Secret::default(),
            smtp_auth_password_file: String::new(),
            smtp_auth_secret: Secret::default(),
            smtp_auth_identity: String::new(),
            smtp_require_tls: true,
            slack_api_url: None,
            slack_api_url_file: String::new(),
            pagerduty_url: "https://events.pagerduty.com/v2/enqueue".into(),
            opsgenie_api_url: "https://api.opsgenie.com/".into(),
            opsgenie_api_key: Secret::default(),
            opsgenie_api_key_file: String::new(),
            wechat_api_url: "https://qyapi.weixin.qq.com/cgi-bin/".into(),
            wechat_api_secret: Secret::default(),
            wechat_api_corp_id: String::new(),
            victorops_api_url: "https://alert.victorops.com/integrations/generic/20131114/alert/".into(),
            victorops_api_key: Secret::default(),
            victorops_api_key_file: String::new(),
            telegram_api_url: "https://api.telegram.org".into(),
            webex_api_url: "https://webexapis.com/v1/messages".into(),
            resolve_timeout: Duration::from_secs(300),
        }
    }
}

impl Global {
    /// Decode-time checks (URLs, durations, host:port, http_config).
    pub(crate) fn check(&mut self) -> Result<(), String> {
        self.resolve_timeout = crate::duration::parse_duration(&self.resolve_timeout_raw)?;
        self.http_config.validate()?;
        super::receivers::check_host_port(&self.smtp_smarthost)?;
        for u in [
            &self.pagerduty_url,
            &self.opsgenie_api_url,
            &self.wechat_api_url,
            &self.victorops_api_url,
            &self.telegram_api_url,
            &self.webex_api_url,
        ] {
            parse_url(u)?;
        }
        if let Some(u) = &self.slack_api_url
            && u.expose() != "<secret>"
        {
            parse_url(u.expose())?;
        }
        Ok(())
    }

    /// The mutual-exclusion checks Alertmanager runs on the whole config.
    pub(crate) fn check_exclusive(&self) -> Result<(), String> {
        if self.slack_api_url.is_some() && !self.slack_api_url_file.is_empty() {
            return Err("at most one of slack_api_url & slack_api_url_file must be configured".into());
        }
        if !self.opsgenie_api_key.is_empty() && !self.opsgenie_api_key_file.is_empty() {
            return Err("at most one of opsgenie_api_key & opsgenie_api_key_file must be configured".into());
        }
        if !self.victorops_api_key.is_empty() && !self.victorops_api_key_file.is_empty() {
            return Err("at most one of victorops_api_key & victorops_api_key_file must be configured".into());
        }
        if !self.smtp_auth_password.is_empty() && !self.smtp_auth_password_file.is_empty() {
            return Err("at most one of smtp_auth_password & smtp_auth_password_file must be configured".into());
        }
        Ok(())
    }
}
