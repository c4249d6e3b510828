//! Receivers and the configuration of every integration Alertmanager 0.25 has:
//! discord, email, opsgenie, pagerduty, pushover, slack, sns, telegram,
//! victorops, webex, webhook and wechat (0.25 has no msteams).
//!
//! Each integration's struct is its YAML form with Alertmanager's defaults filled
//! in by serde; [`Receiver::check`] applies the checks Alertmanager runs while
//! decoding, and [`Receiver::apply_global`] the ones it runs against `global`
//! (inheriting `http_config`, SMTP settings, API URLs and keys).

use std::collections::BTreeMap;

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
            pub http_config: Option<HttpClientConfig>,
            $($(#[$fm])* pub $field: $ty,)*
        }
        impl Default for $name {
            fn default() -> Self {
                $name { send_resolved: $sr, http_config: None, $($field: $def,)* }
            }
        }
    };
}

integration!(
    /// `webhook_configs[]`.
    WebhookConfig, send_resolved = true, {
    /// `url` (required).
    url: Option<String> = None,
    /// `max_alerts` (0 = all).
    max_alerts: u64 = 0,
});

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

integration!(
    /// `pagerduty_configs[]`.
    PagerdutyConfig, send_resolved = true, {
    /// `service_key` (Events API v1).
    service_key: Secret = Secret::default(),
    /// `service_key_file`.
    service_key_file: String = String::new(),
    /// `routing_key` (Events API v2).
    routing_key: Secret = Secret::default(),
    /// `routing_key_file`.
    routing_key_file: String = String::new(),
    /// `url`; defaults to `global.pagerduty_url`.
    url: Option<String> = None,
    /// `client`.
    client: String = tmpl("pagerduty.default.client"),
    /// `client_url`.
    client_url: String = tmpl("pagerduty.default.clientURL"),
    /// `description`.
    description: String = tmpl("pagerduty.default.description"),
    /// `details`; Alertmanager's default keys are added when missing.
    details: BTreeMap<String, String> = BTreeMap::new(),
    /// `images`.
    images: Vec<PagerdutyImage> = Vec::new(),
    /// `links`.
    links: Vec<PagerdutyLink> = Vec::new(),
    /// `source`.
    source: String = String::new(),
    /// `severity`.
    severity: String = "error".to_string(),
    /// `class`.
    class: String = String::new(),
    /// `component`.
    component: String = String::new(),
    /// `group`.
    group: String = String::new(),
});

/// A PagerDuty image.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PagerdutyImage {
    /// `src`.
    pub src: String,
    /// `alt`.
    pub alt: String,
    /// `href`.
    pub href: String,
}

/// A PagerDuty link.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PagerdutyLink {
    /// `href`.
    pub href: String,
    /// `text`.
    pub text: String,
}

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

integration!(
    /// `opsgenie_configs[]`.
    OpsGenieConfig, send_resolved = true, {
    /// `api_key` (secret); defaults to `global.opsgenie_api_key`.
    api_key: Secret = Secret::default(),
    /// `api_key_file`.
    api_key_file: String = String::new(),
    /// `api_url`; defaults to `global.opsgenie_api_url`.
    api_url: Option<String> = None,
    /// `message`.
    message: String = tmpl("opsgenie.default.message"),
    /// `description`.
    description: String = tmpl("opsgenie.default.description"),
    /// `source`.
    source: String = tmpl("opsgenie.default.source"),
    /// `details`.
    details: BTreeMap<String, String> = BTreeMap::new(),
    /// `entity`.
    entity: String = String::new(),
    /// `responders`.
    responders: Vec<OpsGenieResponder> = Vec::new(),
    /// `actions`.
    actions: String = String::new(),
    /// `tags`.
    tags: String = String::new(),
    /// `note`.
    note: String = String::new(),
    /// `priority`.
    priority: String = String::new(),
    /// `update_alerts`.
    update_alerts: bool = false,
});

/// An Opsgenie responder.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpsGenieResponder {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `username`.
    pub username: String,
    /// `type`: team, teams, user, escalation or schedule.
    #[serde(rename = "type")]
    pub kind: String,
}

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

integration!(
    /// `pushover_configs[]`.
    PushoverConfig, send_resolved = true, {
    /// `user_key`.
    user_key: Secret = Secret::default(),
    /// `token`.
    token: Secret = Secret::default(),
    /// `title`.
    title: String = tmpl("pushover.default.title"),
    /// `message`.
    message: String = tmpl("pushover.default.message"),
    /// `url`.
    url: String = tmpl("pushover.default.url"),
    /// `url_title`.
    url_title: String = String::new(),
    /// `sound`.
    sound: String = String::new(),
    /// `priority`.
    priority: String = r#"{{ if eq .Status "firing" }}2{{ else }}0{{ end }}"#.to_string(),
    /// `retry` (Go duration, default 1m).
    retry: String = "1m".to_string(),
    /// `expire` (Go duration, default 1h).
    expire: String = "1h".to_string(),
    /// `html`.
    html: bool = false,
});

integration!(
    /// `victorops_configs[]`.
    VictorOpsConfig, send_resolved = true, {
    /// `api_key`.
    api_key: Secret = Secret::default(),
    /// `api_key_file`.
    api_key_file: String = String::new(),
    /// `api_url`.
    api_url: Option<String> = None,
    /// `routing_key` (required).
    routing_key: String = String::new(),
    /// `message_type`.
    message_type: String = "CRITICAL".to_string(),
    /// `state_message`.
    state_message: String = tmpl("victorops.default.state_message"),
    /// `entity_display_name`.
    entity_display_name: String = tmpl("victorops.default.entity_display_name"),
    /// `monitoring_tool`.
    monitoring_tool: String = tmpl("victorops.default.monitoring_tool"),
    /// `custom_fields`.
    custom_fields: BTreeMap<String, String> = BTreeMap::new(),
});

integration!(
    /// `sns_configs[]`.
    SnsConfig, send_resolved = true, {
    /// `api_url`.
    api_url: String = String::new(),
    /// `sigv4`.
    sigv4: SigV4 = SigV4::default(),
    /// `topic_arn`.
    topic_arn: String = String::new(),
    /// `phone_number`.
    phone_number: String = String::new(),
    /// `target_arn`.
    target_arn: String = String::new(),
    /// `subject`.
    subject: String = tmpl("sns.default.subject"),
    /// `message`.
    message: String = tmpl("sns.default.message"),
    /// `attributes`.
    attributes: Option<BTreeMap<String, String>> = None,
});

/// AWS Signature Version 4 settings of the SNS integration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SigV4 {
    /// `region`.
    pub region: String,
    /// `access_key`.
    pub access_key: String,
    /// `secret_key`.
    pub secret_key: Secret,
    /// `profile`.
    pub profile: String,
    /// `role_arn`.
    pub role_arn: String,
}

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

/// `email_configs[]` (no `http_config`; SMTP settings inherit from `global`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    /// `send_resolved`.
    #[serde(deserialize_with = "crate::de::bool11")]
    pub send_resolved: bool,
    /// `to` (required).
    pub to: String,
    /// `from`; defaults to `global.smtp_from`.
    pub from: String,
    /// `hello`; defaults to `global.smtp_hello`.
    pub hello: String,
    /// `smarthost` as `host:port`; defaults to `global.smtp_smarthost`.
    pub smarthost: String,
    /// `auth_username`.
    pub auth_username: String,
    /// `auth_password`.
    pub auth_password: Secret,
    /// `auth_password_file`.
    pub auth_password_file: String,
    /// `auth_secret`.
    pub auth_secret: Secret,
    /// `auth_identity`.
    pub auth_identity: String,
    /// `headers`, canonicalised as Go's `textproto.CanonicalMIMEHeaderKey`.
    pub headers: BTreeMap<String, String>,
    /// `html` body template.
    pub html: String,
    /// `text` body template.
    pub text: String,
    /// `require_tls`; defaults to `global.smtp_require_tls`.
    #[serde(deserialize_with = "crate::de::opt_bool11")]
    pub require_tls: Option<bool>,
    /// `tls_config`.
    pub tls_config: Option<super::http::TlsConfig>,
}

impl Default for EmailConfig {
    fn default() -> Self {
        EmailConfig {
            send_resolved: false,
            to: String::new(),
            from: String::new(),
            hello: String::new(),
            smarthost: String::new(),
            auth_username: String::new(),
            auth_password: Secret::default(),
            auth_password_file: String::new(),
            auth_secret: Secret::default(),
            auth_identity: String::new(),
            headers: BTreeMap::new(),
            html: tmpl("email.default.html"),
            text: String::new(),
            require_tls: None,
            tls_config: None,
        }
    }
}

/// Go's `textproto.CanonicalMIMEHeaderKey` for ASCII keys: `content-type` to `Content-Type`.
fn canonical_header(k: &str) -> String {
    if k.bytes().any(|b| !(b.is_ascii_alphanumeric() || b == b'-')) {
        return k.to_string();
    }
    let mut upper = true;
    k.chars()
        .map(|c| {
            let out = if upper { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() };
            upper = c == '-';
            out
        })
        .collect()
}

/// Checks `host:port` as Go's `net.SplitHostPort` would, with its wording.
pub(crate) fn check_host_port(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let Some(end) = rest.find(']') else { return Err(format!("address {s}: missing ']' in address")) };
        let after = &rest[end + 1..];
        match after.strip_prefix(':') {
            Some(p) => (&rest[..end], p),
            None => return Err(format!("address {s}: missing port in address")),
        }
    } else {
        match s.rfind(':') {
            None => return Err(format!("address {s}: missing port in address")),
            Some(i) if s[..i].contains(':') => return Err(format!("address {s}: too many colons in address")),
            Some(i) => (&s[..i], &s[i + 1..]),
        }
    };
    let _ = host;
    if port.is_empty() {
        return Err(format!("address {s:?}: port cannot be empty"));
    }
    Ok(())
}

/// Parses a Go `time.Duration` string (`1m30s`, `1.5h`), for pushover's retry/expire.
pub(crate) fn check_go_duration(s: &str) -> Result<(), String> {
    let orig = s;
    let mut s = s.strip_prefix(['-', '+']).unwrap_or(s);
    if s == "0" {
        return Ok(());
    }
    if s.is_empty() {
        return Err(format!("time: invalid duration {orig:?}"));
    }
    while !s.is_empty() {
        let num_end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
        if num_end == 0 || &s[..num_end] == "." {
            return Err(format!("time: invalid duration {orig:?}"));
        }
        s = &s[num_end..];
        let unit_end = s.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(s.len());
        let unit = &s[..unit_end];
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration {orig:?}"));
        }
        if !["ns", "us", "µs", "μs", "ms", "s", "m", "h"].contains(&unit) {
            return Err(format!("time: unknown unit {unit:?} in duration {orig:?}"));
        }
        s = &s[unit_end..];
    }
    Ok(())
}

const VICTOROPS_RESERVED: [&str; 7] = [
    "routing_key",
    "message_type",
    "state_message",
    "entity_display_name",
    "monitoring_tool",
    "entity_id",
    "entity_state",
];

impl Receiver {
    /// The checks Alertmanager runs while decoding each integration.
    pub(crate) fn check(&mut self) -> Result<(), String> {
        if self.name.is_empty() {
            return Err("missing name in receiver".into());
        }
        for c in &mut self.discord_configs {
            check_http(&mut c.http_config)?;
            if c.webhook_url.is_none() {
                return Err("no discord webhook URL provided".into());
            }
            check_secret_url(&c.webhook_url)?;
        }
        for c in &mut self.email_configs {
            if c.to.is_empty() {
                return Err("missing to address in email config".into());
            }
            check_host_port(&c.smarthost)?;
            let mut normalized = BTreeMap::new();
            for (k, v) in std::mem::take(&mut c.headers) {
                let key = canonical_header(&k);
                if normalized.insert(key.clone(), v).is_some() {
                    return Err(format!("duplicate header {key:?} in email config"));
                }
            }
            c.headers = normalized;
        }
        for c in &mut self.pagerduty_configs {
            check_http(&mut c.http_config)?;
            check_url(&c.url)?;
            if c.routing_key.is_empty()
                && c.service_key.is_empty()
                && c.routing_key_file.is_empty()
                && c.service_key_file.is_empty()
            {
                return Err("missing service or routing key in PagerDuty config".into());
            }
            if !c.routing_key.is_empty() && !c.routing_key_file.is_empty() {
                return Err("at most one of routing_key & routing_key_file must be configured".into());
            }
            if !c.service_key.is_empty() && !c.service_key_file.is_empty() {
                return Err("at most one of service_key & service_key_file must be configured".into());
            }
            for (k, v) in [
                ("firing", r#"{{ template "pagerduty.default.instances" .Alerts.Firing }}"#),
                ("resolved", r#"{{ template "pagerduty.default.instances" .Alerts.Resolved }}"#),
                ("num_firing", "{{ .Alerts.Firing | len }}"),
                ("num_resolved", "{{ .Alerts.Resolved | len }}"),
            ] {
                c.details.entry(k.to_string()).or_insert_with(|| v.to_string());
            }
        }
        for c in &mut self.slack_configs {
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
        }
        for c in &mut self.webhook_configs {
            check_http(&mut c.http_config)?;
            check_url(&c.url)?;
            if c.url.is_none() {
                return Err("missing URL in webhook config".into());
            }
        }
        for c in &mut self.opsgenie_configs {
            check_http(&mut c.http_config)?;
            check_url(&c.api_url)?;
            if !c.api_key.is_empty() && !c.api_key_file.is_empty() {
                return Err("at most one of api_key & api_key_file must be configured".into());
            }
            for r in &c.responders {
                let shown = format!("{{{} {} {} {}}}", r.id, r.name, r.username, r.kind);
                if r.id.is_empty() && r.username.is_empty() && r.name.is_empty() {
                    return Err(format!(
                        "opsGenieConfig responder {shown} has to have at least one of id, username or name specified"
                    ));
                }
                if !r.kind.contains("{{") {
                    let kind = r.kind.to_lowercase();
                    if !["team", "teams", "user", "escalation", "schedule"].contains(&kind.as_str()) {
                        return Err(format!(
                            "opsGenieConfig responder {shown} type does not match valid options ^(team|teams|user|escalation|schedule)$"
                        ));
                    }
                }
            }
        }
        for c in &mut self.wechat_configs {
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
        }
        for c in &mut self.pushover_configs {
            check_http(&mut c.http_config)?;
            check_go_duration(&c.retry)?;
            check_go_duration(&c.expire)?;
            if c.user_key.is_empty() {
                return Err("missing user key in Pushover config".into());
            }
            if c.token.is_empty() {
                return Err("missing token in Pushover config".into());
            }
        }
        for c in &mut self.victorops_configs {
            check_http(&mut c.http_config)?;
            check_url(&c.api_url)?;
            if c.routing_key.is_empty() {
                return Err("missing Routing key in VictorOps config".into());
            }
            if let Some(k) = c.custom_fields.keys().find(|k| VICTOROPS_RESERVED.contains(&k.as_str())) {
                return Err(format!(
                    "victorOps config contains custom field {k} which cannot be used as it conflicts with the fixed/static fields"
                ));
            }
        }
        for c in &mut self.sns_configs {
            check_http(&mut c.http_config)?;
            let (t, p, a) = (c.target_arn.is_empty(), c.topic_arn.is_empty(), c.phone_number.is_empty());
            // Alertmanager 0.25 writes this check as a chained `!=`, which also
            // accepts all three being set; we keep its exact truth table.
            if (t != p) != a {
                return Err("must provide either a Target ARN, Topic ARN, or Phone Number for SNS config".into());
            }
        }
        for c in &mut self.telegram_configs {
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
                    "unknown parse_mode on telegram_config, must be Markdown, MarkdownV2, HTML or empty string".into(),
                );
            }
        }
        for c in &mut self.webex_configs {
            check_http(&mut c.http_config)?;
            check_url(&c.api_url)?;
            if c.room_id.is_empty() {
                return Err("missing room_id on webex_config".into());
            }
            if c.http_config.as_ref().and_then(|h| h.authorization.as_ref()).is_none() {
                return Err("missing webex_configs.http_config.authorization".into());
            }
        }
        Ok(())
    }

    /// Fills settings from `global` and runs the checks that need it.
    pub(crate) fn apply_global(&mut self, g: &Global) -> Result<(), String> {
        for c in &mut self.webhook_configs {
            inherit_http(&mut c.http_config, g);
        }
        for c in &mut self.email_configs {
            if c.smarthost.is_empty() {
                if g.smtp_smarthost.is_empty() {
                    return Err("no global SMTP smarthost set".into());
                }
                c.smarthost = g.smtp_smarthost.clone();
            }
            if c.from.is_empty() {
                if g.smtp_from.is_empty() {
                    return Err("no global SMTP from set".into());
                }
                c.from = g.smtp_from.clone();
            }
            if c.hello.is_empty() {
                c.hello = g.smtp_hello.clone();
            }
            if c.auth_username.is_empty() {
                c.auth_username = g.smtp_auth_username.clone();
            }
            if c.auth_password.is_empty() && c.auth_password_file.is_empty() {
                c.auth_password = g.smtp_auth_password.clone();
                c.auth_password_file = g.smtp_auth_password_file.clone();
            }
            if c.auth_secret.is_empty() {
                c.auth_secret = g.smtp_auth_secret.clone();
            }
            if c.auth_identity.is_empty() {
                c.auth_identity = g.smtp_auth_identity.clone();
            }
            if c.require_tls.is_none() {
                c.require_tls = Some(g.smtp_require_tls);
            }
        }
        for c in &mut self.slack_configs {
            inherit_http(&mut c.http_config, g);
            if c.api_url.is_none() && c.api_url_file.is_empty() {
                if g.slack_api_url.is_none() && g.slack_api_url_file.is_empty() {
                    return Err("no global Slack API URL set either inline or in a file".into());
                }
                c.api_url = g.slack_api_url.clone();
                c.api_url_file = g.slack_api_url_file.clone();
            }
        }
        for c in &mut self.pushover_configs {
            inherit_http(&mut c.http_config, g);
        }
        for c in &mut self.pagerduty_configs {
            inherit_http(&mut c.http_config, g);
            if c.url.is_none() {
                c.url = Some(g.pagerduty_url.clone());
            }
        }
        for c in &mut self.opsgenie_configs {
            inherit_http(&mut c.http_config, g);
            let url = c.api_url.get_or_insert_with(|| g.opsgenie_api_url.clone());
            if !url.ends_with('/') {
                url.push('/');
            }
            if c.api_key.is_empty() && c.api_key_file.is_empty() {
                if g.opsgenie_api_key.is_empty() && g.opsgenie_api_key_file.is_empty() {
                    return Err("no global OpsGenie API Key set either inline or in a file".into());
                }
                c.api_key = g.opsgenie_api_key.clone();
                c.api_key_file = g.opsgenie_api_key_file.clone();
            }
        }
        for c in &mut self.wechat_configs {
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
        }
        for c in &mut self.victorops_configs {
            inherit_http(&mut c.http_config, g);
            let url = c.api_url.get_or_insert_with(|| g.victorops_api_url.clone());
            if !url.ends_with('/') {
                url.push('/');
            }
            if c.api_key.is_empty() && c.api_key_file.is_empty() {
                if g.victorops_api_key.is_empty() && g.victorops_api_key_file.is_empty() {
                    return Err("no global VictorOps API Key set".into());
                }
                c.api_key = g.victorops_api_key.clone();
                c.api_key_file = g.victorops_api_key_file.clone();
            }
        }
        for c in &mut self.sns_configs {
            inherit_http(&mut c.http_config, g);
        }
        for c in &mut self.telegram_configs {
            inherit_http(&mut c.http_config, g);
            if c.api_url.is_none() {
                c.api_url = Some(g.telegram_api_url.clone());
            }
        }
        for c in &mut self.discord_configs {
            inherit_http(&mut c.http_config, g);
        }
        for c in &mut self.webex_configs {
            inherit_http(&mut c.http_config, g);
            if c.api_url.is_none() {
                c.api_url = Some(g.webex_api_url.clone());
            }
        }
        Ok(())
    }

    /// The number of integrations this receiver notifies.
    pub fn integration_count(&self) -> usize {
        self.discord_configs.len()
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
    }
}
