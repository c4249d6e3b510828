//! `slack_configs`: the slack integration's settings, defaults and checks (Alertmanager 0.25).

use serde::Deserialize;

use super::{check_http, check_secret_url, inherit_http, integration, tmpl};
use crate::config::global::Global;
use crate::config::secret::Secret;

integration!(
    /// `slack_configs[]`.
    SlackConfig, send_resolved = false, {
    /// `api_url` (secret); defaults to `global.slack_api_url`.
    api_url: Option<Secret> = None,
    /// `api_url_file`.
    api_url_file: String = String::new(),
    /// `channel`.
    channel: String = String::new(),
    /// `username`.
    username: String = tmpl("slack.default.username"),
    /// `color`.
    color: String = r#"{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}"#.to_string(),
    /// `title`.
    title: String = tmpl("slack.default.title"),
    /// `title_link`.
    title_link: String = tmpl("slack.default.titlelink"),
    /// `pretext`.
    pretext: String = tmpl("slack.default.pretext"),
    /// `text`.
    text: String = tmpl("slack.default.text"),
    /// `fields`.
    fields: Vec<SlackField> = Vec::new(),
    /// `short_fields`.
    short_fields: bool = false,
    /// `footer`.
    footer: String = tmpl("slack.default.footer"),
    /// `fallback`.
    fallback: String = tmpl("slack.default.fallback"),
    /// `callback_id`.
    callback_id: String = tmpl("slack.default.callbackid"),
    /// `icon_emoji`.
    icon_emoji: String = tmpl("slack.default.iconemoji"),
    /// `icon_url`.
    icon_url: String = tmpl("slack.default.iconurl"),
    /// `image_url`.
    image_url: String = String::new(),
    /// `thumb_url`.
    thumb_url: String = String::new(),
    /// `link_names`.
    link_names: bool = false,
    /// `mrkdwn_in`.
    mrkdwn_in: Vec<String> = vec!["fallback".into(), "pretext".into(), "text".into()],
    /// `actions`.
    actions: Vec<SlackAction> = Vec::new(),
});

/// A Slack attachment field.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlackField {
    /// `title`.
    pub title: String,
    /// `value`.
    pub value: String,
    /// `short`.
    pub short: Option<bool>,
}

/// A Slack message action (button).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlackAction {
    /// `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `text`.
    pub text: String,
    /// `url`.
    pub url: String,
    /// `style`.
    pub style: String,
    /// `name`.
    pub name: String,
    /// `value`.
    pub value: String,
    /// `confirm`.
    pub confirm: Option<SlackConfirm>,
}

/// A Slack action's confirmation dialog.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlackConfirm {
    /// `title`.
    pub title: String,
    /// `text`.
    pub text: String,
    /// `ok_text`.
    pub ok_text: String,
    /// `dismiss_text`.
    pub dismiss_text: String,
}

impl SlackConfig {
    /// The checks Alertmanager runs while decoding this integration.
    pub(crate) fn check(&mut self) -> Result<(), String> {
        let c = self;
        check_http(&mut c.http_config)?;
        check_secret_url(&c.api_url)?;
        for a in &c.actions {
            if a.kind.is_empty() {
                return Err("missing type in Slack action configuration".into());
            }
            if a.text.is_empty() {
                return Err("missing text in Slack action configuration".into());
            }
            if a.url.is_empty() && a.name.is_empty() {
                return Err("missing name or url in Slack action configuration".into());
            }
            if let Some(cf) = &a.confirm
                && cf.text.is_empty()
            {
                return Err("missing text in Slack confirmation configuration".into());
            }
        }
        for f in &c.fields {
            if f.title.is_empty() {
                return Err("missing title in Slack field configuration".into());
            }
            if f.value.is_empty() {
                return Err("missing value in Slack field configuration".into());
            }
        }
        if c.api_url.is_some() && !c.api_url_file.is_empty() {
            return Err("at most one of api_url & api_url_file must be configured".into());
        }
        Ok(())
    }

    /// Fills settings from `global` and runs the checks that need it.
    pub(crate) fn apply_global(&mut self, g: &Global) -> Result<(), String> {
        let c = self;
        inherit_http(&mut c.http_config, g);
        if c.api_url.is_none() && c.api_url_file.is_empty() {
            if g.slack_api_url.is_none() && g.slack_api_url_file.is_empty() {
                return Err("no global Slack API URL set either inline or in a file".into());
            }
            c.api_url = g.slack_api_url.clone();
            c.api_url_file = g.slack_api_url_file.clone();
        }
        Ok(())
    }
}
