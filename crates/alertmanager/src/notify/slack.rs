//! The Slack integration: one incoming-webhook message with one attachment
//! whose texts come from the configured templates (Alertmanager 0.25's
//! `notify/slack`). 2xx is success, 5xx is retried.

use serde::Serialize;

use super::http::{authorize, client, send};
use super::{NotifyCtx, NotifyError};
use crate::alert::Alert;
use crate::config::SlackConfig;

/// A configured Slack webhook.
#[derive(Debug)]
pub(crate) struct Slack {
    conf: SlackConfig,
    client: reqwest::Client,
}

#[derive(Serialize)]
struct Field {
    title: String,
    value: String,
    short: bool,
}

#[derive(Serialize)]
struct Confirm {
    #[serde(skip_serializing_if = "String::is_empty")]
    title: String,
    text: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    ok_text: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    dismiss_text: String,
}

#[derive(Serialize)]
struct Action {
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    text: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    url: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    style: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    confirm: Option<Confirm>,
}

#[derive(Serialize)]
struct Attachment {
    #[serde(skip_serializing_if = "String::is_empty")]
    title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    title_link: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pretext: String,
    text: String,
    fallback: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    callback_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<Field>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    actions: Vec<Action>,
    #[serde(skip_serializing_if = "String::is_empty")]
    image_url: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    thumb_url: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    footer: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    color: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mrkdwn_in: Vec<String>,
}

#[derive(Serialize)]
struct Request {
    #[serde(skip_serializing_if = "String::is_empty")]
    channel: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    username: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    icon_emoji: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    icon_url: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    link_names: bool,
    attachments: Vec<Attachment>,
}

/// Cuts `s` to at most `n` characters, ending with `…` when cut (Alertmanager's `notify.TruncateInRunes`).
pub(crate) fn truncate(s: String, n: usize) -> String {
    super::util::truncate_runes(s, n)
}

impl Slack {
    pub(crate) fn new(conf: SlackConfig) -> Result<Self, String> {
        let client = client(conf.http_config.as_ref())?;
        Ok(Slack { conf, client })
    }

    fn url(&self) -> Result<String, NotifyError> {
        if let Some(u) = &self.conf.api_url {
            return Ok(u.expose().to_string());
        }
        std::fs::read_to_string(&self.conf.api_url_file)
            .map(|s| s.trim().to_string())
            .map_err(|e| NotifyError::permanent(format!("cannot read api_url_file: {e}")))
    }

    pub(crate) async fn notify(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<(), NotifyError> {
        let data = ctx.data(alerts).to_value();
        let t = |s: &str| ctx.text(s, &data);
        let c = &self.conf;
        let fields = c
            .fields
            .iter()
            .map(|f| Ok(Field { title: t(&f.title)?, value: t(&f.value)?, short: f.short.unwrap_or(c.short_fields) }))
            .collect::<Result<Vec<_>, NotifyError>>()?;
        let actions = c
            .actions
            .iter()
            .map(|a| {
                Ok(Action {
                    kind: t(&a.kind)?,
                    text: t(&a.text)?,
                    url: t(&a.url)?,
                    style: t(&a.style)?,
                    name: t(&a.name)?,
                    value: t(&a.value)?,
                    confirm: match &a.confirm {
                        Some(cf) => Some(Confirm {
                            title: t(&cf.title)?,
                            text: t(&cf.text)?,
                            ok_text: t(&cf.ok_text)?,
                            dismiss_text: t(&cf.dismiss_text)?,
                        }),
                        None => None,
                    },
                })
            })
            .collect::<Result<Vec<_>, NotifyError>>()?;
        let mrkdwn_in = if c.mrkdwn_in.is_empty() {
            vec!["fallback".to_string(), "pretext".to_string(), "text".to_string()]
        } else {
            c.mrkdwn_in.clone()
        };
        let att = Attachment {
            title: truncate(t(&c.title)?, 1024),
            title_link: t(&c.title_link)?,
            pretext: t(&c.pretext)?,
            text: t(&c.text)?,
            fallback: t(&c.fallback)?,
            callback_id: t(&c.callback_id)?,
            fields,
            actions,
            image_url: t(&c.image_url)?,
            thumb_url: t(&c.thumb_url)?,
            footer: t(&c.footer)?,
            color: t(&c.color)?,
            mrkdwn_in,
        };
        let req = Request {
            channel: t(&c.channel)?,
            username: t(&c.username)?,
            icon_emoji: t(&c.icon_emoji)?,
            icon_url: t(&c.icon_url)?,
            link_names: c.link_names,
            attachments: vec![att],
        };
        let body = super::data::go_json(&req).map_err(|e| NotifyError::permanent(e.to_string()))?;
        let url = self.url()?;
        let http = self.client.post(&url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        send(authorize(http, c.http_config.as_ref())?, "<slack api_url>").await.map(|_| ())
    }
}
