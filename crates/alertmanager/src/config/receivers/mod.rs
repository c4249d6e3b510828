//! Receivers and the configuration of every integration Alertmanager 0.25 has:
//! discord, email, opsgenie, pagerduty, pushover, slack, sns, telegram,
//! victorops, webex, webhook and wechat, plus msteams (0.26's; 0.25 has none).
//!
//! Each integration's struct is its YAML form with Alertmanager's defaults filled
//! in by serde; [`Receiver::check`] applies the checks Alertmanager runs while
//! decoding, and [`Receiver::apply_global`] the ones it runs against `global`
//! (inheriting `http_config`, SMTP settings, API URLs and keys).

mod discord;
mod email;
mod msteams;
mod opsgenie;
mod pagerduty;
mod pushover;
mod slack;
mod sns;
mod telegram;
mod victorops;
mod webex;
mod webhook;
mod wechat;

pub use discord::*;
pub use email::*;
pub use msteams::*;
pub use opsgenie::*;
pub use pagerduty::*;
pub use pushover::*;
pub use slack::*;
pub use sns::*;
pub use telegram::*;
pub use victorops::*;
pub use webex::*;
pub use webhook::*;
pub use wechat::*;

use serde::Deserialize;

use super::global::Global;
use super::http::HttpClientConfig;
use super::secret::{Secret, parse_url};

/// A named receiver with its integrations.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Receiver {
    /// `name`, unique among receivers.
    pub name: String,
    /// `discord_configs`.
    pub discord_configs: Vec<DiscordConfig>,
    /// `email_configs`.
    pub email_configs: Vec<EmailConfig>,
    /// `pagerduty_configs`.
    pub pagerduty_configs: Vec<PagerdutyConfig>,
    /// `slack_configs`.
    pub slack_configs: Vec<SlackConfig>,
    /// `webhook_configs`.
    pub webhook_configs: Vec<WebhookConfig>,
    /// `opsgenie_configs`.
    pub opsgenie_configs: Vec<OpsGenieConfig>,
    /// `wechat_configs`.
    pub wechat_configs: Vec<WechatConfig>,
    /// `pushover_configs`.
    pub pushover_configs: Vec<PushoverConfig>,
    /// `victorops_configs`.
    pub victorops_configs: Vec<VictorOpsConfig>,
    /// `sns_configs`.
    pub sns_configs: Vec<SnsConfig>,
    /// `telegram_configs`.
    pub telegram_configs: Vec<TelegramConfig>,
    /// `webex_configs`.
    pub webex_configs: Vec<WebexConfig>,
    /// `msteams_configs` (Alertmanager 0.26's; an argus addition to 0.25).
    pub msteams_configs: Vec<MsTeamsConfig>,
    /// `log_configs` (argus extension): write notifications to the process log.
    pub log_configs: Vec<LogConfig>,
}

/// `log_configs[]` (argus extension, not in Alertmanager): the log integration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `send_resolved` (default true).
    #[serde(deserialize_with = "crate::de::bool11")]
    pub send_resolved: bool,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { send_resolved: true }
    }
}

fn tmpl(name: &str) -> String {
    format!(r#"{{{{ template "{name}" . }}}}"#)
}

fn check_http(h: &mut Option<HttpClientConfig>) -> Result<(), String> {
    h.as_mut().map_or(Ok(()), HttpClientConfig::validate)
}

fn check_url(u: &Option<String>) -> Result<(), String> {
    u.as_deref().map_or(Ok(()), |u| parse_url(u).map(drop))
}

/// A secret URL; `<secret>` itself is accepted so that a shown config loads again.
fn check_secret_url(u: &Option<Secret>) -> Result<(), String> {
    u.as_ref().map_or(Ok(()), |u| if u.expose() == "<secret>" { Ok(()) } else { parse_url(u.expose()).map(drop) })
}

fn inherit_http(h: &mut Option<HttpClientConfig>, g: &Global) {
    if h.is_none() {
        *h = Some(g.http_config.clone());
    }
}

/// Declares an integration's config struct with the shared `send_resolved` and
/// `http_config` fields and a `Default` holding Alertmanager's defaults.
macro_rules! integration {
    ($(#[$m:meta])* $name:ident, send_resolved = $sr:expr, { $($(#[$fm:meta])* $field:ident : $ty:ty = $def:expr),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct $name {
            /// `send_resolved`: also notify about resolved alerts.
            #[serde(deserialize_with = "crate::de::bool11")]
            pub send_resolved: bool,
            /// `http_config`; `None` until inherited from `global.http_config`.
            pub http_config: Option<$crate::config::HttpClientConfig>,
            $($(#[$fm])* pub $field: $ty,)*
        }
        impl Default for $name {
            fn default() -> Self {
                $name { send_resolved: $sr, http_config: None, $($field: $def,)* }
            }
        }
    };
}
pub(crate) use integration;

/// Checks `host:port` as Go's `net.SplitHostPort` would, with its wording.
pub(crate) fn check_host_port(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    let port = if let Some(rest) = s.strip_prefix('[') {
        let Some((_host, after)) = rest.split_once(']') else {
            return Err(format!("address {s}: missing ']' in address"));
        };
        match after.strip_prefix(':') {
            Some(p) => p,
            None => return Err(format!("address {s}: missing port in address")),
        }
    } else {
        match s.rsplit_once(':') {
            None => return Err(format!("address {s}: missing port in address")),
            Some((host, _)) if host.contains(':') => return Err(format!("address {s}: too many colons in address")),
            Some((_, port)) => port,
        }
    };
    if port.is_empty() {
        return Err(format!("address {s:?}: port cannot be empty"));
    }
    Ok(())
}

impl Receiver {
    /// The checks Alertmanager runs while decoding each integration, in its order.
    pub(crate) fn check(&mut self) -> Result<(), String> {
        if self.name.is_empty() {
            return Err("missing name in receiver".into());
        }
        for c in &mut self.discord_configs {
            c.check()?;
        }
        for c in &mut self.email_configs {
            c.check()?;
        }
        for c in &mut self.pagerduty_configs {
            c.check()?;
        }
        for c in &mut self.slack_configs {
            c.check()?;
        }
        for c in &mut self.webhook_configs {
            c.check()?;
        }
        for c in &mut self.opsgenie_configs {
            c.check()?;
        }
        for c in &mut self.wechat_configs {
            c.check()?;
        }
        for c in &mut self.pushover_configs {
            c.check()?;
        }
        for c in &mut self.victorops_configs {
            c.check()?;
        }
        for c in &mut self.sns_configs {
            c.check()?;
        }
        for c in &mut self.telegram_configs {
            c.check()?;
        }
        for c in &mut self.webex_configs {
            c.check()?;
        }
        for c in &mut self.msteams_configs {
            c.check()?;
        }
        Ok(())
    }

    /// Fills settings from `global` and runs the checks that need it, in Alertmanager's order.
    pub(crate) fn apply_global(&mut self, g: &Global) -> Result<(), String> {
        for c in &mut self.webhook_configs {
            c.apply_global(g)?;
        }
        for c in &mut self.email_configs {
            c.apply_global(g)?;
        }
        for c in &mut self.slack_configs {
            c.apply_global(g)?;
        }
        for c in &mut self.pushover_configs {
            c.apply_global(g)?;
        }
        for c in &mut self.pagerduty_configs {
            c.apply_global(g)?;
        }
        for c in &mut self.opsgenie_configs {
            c.apply_global(g)?;
        }
        for c in &mut self.wechat_configs {
            c.apply_global(g)?;
        }
        for c in &mut self.victorops_configs {
            c.apply_global(g)?;
        }
        for c in &mut self.sns_configs {
            c.apply_global(g)?;
        }
        for c in &mut self.telegram_configs {
            c.apply_global(g)?;
        }
        for c in &mut self.discord_configs {
            c.apply_global(g)?;
        }
        for c in &mut self.webex_configs {
            c.apply_global(g)?;
        }
        for c in &mut self.msteams_configs {
            c.apply_global(g)?;
        }
        Ok(())
    }

    /// The number of integrations this receiver notifies.
    pub fn integration_count(&self) -> usize {
        self.discord_configs.len()
            + self.msteams_configs.len()
            + self.email_configs.len()
            + self.pagerduty_configs.len()
            + self.slack_configs.len()
            + self.webhook_configs.len()
            + self.opsgenie_configs.len()
            + self.wechat_configs.len()
            + self.pushover_configs.len()
            + self.victorops_configs.len()
            + self.sns_configs.len()
            + self.telegram_configs.len()
            + self.webex_configs.len()
            + self.log_configs.len()
    }
}
