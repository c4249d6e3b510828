//! The Opsgenie integration (Alertmanager 0.25's `notify/opsgenie`, without
//! `update_alerts`): a firing group creates (or re-creates) the alert
//! `POST {api_url}v2/alerts` with alias = SHA-256 of the group key; a resolved
//! group closes it by alias. Authorization is `GenieKey <api_key>`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::http::{client, send};
use super::pagerduty::key_hash;
use super::slack::truncate;
use super::{NotifyCtx, NotifyError};
use crate::alert::Alert;
use crate::config::OpsGenieConfig;

/// A configured Opsgenie account.
#[derive(Debug)]
pub(crate) struct Opsgenie {
    conf: OpsGenieConfig,
    client: reqwest::Client,
}

#[derive(Serialize)]
struct Responder {
    #[serde(skip_serializing_if = "String::is_empty")]
    id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    username: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Serialize)]
struct Create {
    alias: String,
    message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    description: String,
    details: BTreeMap<String, String>,
    source: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    responders: Vec<Responder>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    note: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    priority: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    entity: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    actions: Vec<String>,
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
}

impl Opsgenie {
    pub(crate) fn new(conf: OpsGenieConfig) -> Result<Self, String> {
        let client = client(conf.http_config.as_ref())?;
        Ok(Opsgenie { conf, client })
    }

    pub(crate) async fn notify(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<(), NotifyError> {
        let c = &self.conf;
        let data = ctx.data(alerts);
        let resolved = data.status == "resolved";
        let v = data.to_value();
        let t = |s: &str| ctx.text(s, &v);
        let key = if c.api_key_file.is_empty() {
            c.api_key.expose().to_string()
        } else {
            std::fs::read_to_string(&c.api_key_file)
                .map(|s| s.trim().to_string())
                .map_err(|e| NotifyError::permanent(format!("read api_key_file: {e}")))?
        };
        let base = c.api_url.as_deref().unwrap_or("https://api.opsgenie.com/");
        let base = if base.ends_with('/') { base.to_string() } else { format!("{base}/") };
        let alias = key_hash(&ctx.group_key);
        let (url, body) = if resolved {
            let body = serde_json::json!({"source": t(&c.source)?});
            (format!("{base}v2/alerts/{alias}/close?identifierType=alias"), body.to_string())
        } else {
            let mut details = BTreeMap::new();
            for (k, tmpl) in &c.details {
                details.insert(k.clone(), t(tmpl)?);
            }
            let responders = c
                .responders
                .iter()
                .map(|r| {
                    Ok(Responder { id: t(&r.id)?, name: t(&r.name)?, username: t(&r.username)?, kind: t(&r.kind)? })
                })
                .collect::<Result<Vec<_>, NotifyError>>()?;
            let create = Create {
                alias,
                message: truncate(t(&c.message)?, 130),
                description: t(&c.description)?,
                details,
                source: t(&c.source)?,
                responders,
                tags: split_list(&t(&c.tags)?),
                note: t(&c.note)?,
                priority: t(&c.priority)?,
                entity: t(&c.entity)?,
                actions: split_list(&t(&c.actions)?),
            };
            let body = serde_json::to_string(&create).map_err(|e| NotifyError::permanent(e.to_string()))?;
            (format!("{base}v2/alerts"), body)
        };
        let req = self
            .client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::AUTHORIZATION, format!("GenieKey {key}"))
            .body(body);
        send(req, &url).await.map(|_| ())
    }
}
