//! The PagerDuty integration (Alertmanager 0.25's `notify/pagerduty`): Events
//! API v2 with a `routing_key` (trigger or resolve, dedup key = SHA-256 of the
//! group key), or v1 with a `service_key`. 2xx is success; 429 and 5xx are
//! retried.

use std::collections::BTreeMap;

use serde::Serialize;

use super::http::{authorize, client, send};
use super::slack::truncate;
use super::{NotifyCtx, NotifyError};
use crate::alert::Alert;
use crate::config::PagerdutyConfig;

/// A configured PagerDuty service.
#[derive(Debug)]
pub(crate) struct Pagerduty {
    conf: PagerdutyConfig,
    client: reqwest::Client,
}

#[derive(Serialize)]
struct Payload {
    summary: String,
    source: String,
    severity: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    class: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    component: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    group: String,
    custom_details: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct Image {
    src: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    alt: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    href: String,
}

#[derive(Serialize)]
struct Link {
    href: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    text: String,
}

#[derive(Serialize)]
struct MessageV2 {
    routing_key: String,
    event_action: &'static str,
    dedup_key: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    images: Vec<Image>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link>,
    #[serde(skip_serializing_if = "String::is_empty")]
    client: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    client_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<Payload>,
}

#[derive(Serialize)]
struct MessageV1 {
    service_key: String,
    incident_key: String,
    event_type: &'static str,
    description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    client: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    client_url: String,
    details: BTreeMap<String, String>,
}

/// Alertmanager's `notify.Key.Hash`: hex SHA-256 of the group key.
pub(crate) fn key_hash(group_key: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, group_key.as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn secret(value: &crate::config::Secret, file: &str) -> Result<String, NotifyError> {
    if file.is_empty() {
        return Ok(value.expose().to_string());
    }
    std::fs::read_to_string(file)
        .map(|s| s.trim().to_string())
        .map_err(|e| NotifyError::permanent(format!("failed to read key from file {file}: {e}")))
}

impl Pagerduty {
    pub(crate) fn new(conf: PagerdutyConfig) -> Result<Self, String> {
        let client = client(conf.http_config.as_ref())?;
        Ok(Pagerduty { conf, client })
    }

    pub(crate) async fn notify(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<(), NotifyError> {
        let c = &self.conf;
        let data = ctx.data(alerts);
        let resolved = data.status == "resolved";
        let v = data.to_value();
        let t = |s: &str| ctx.text(s, &v);
        let mut details = BTreeMap::new();
        for (k, tmpl) in &c.details {
            details.insert(k.clone(), t(tmpl)?);
        }
        let routing_key = secret(&c.routing_key, &c.routing_key_file)?;
        let body = if !routing_key.is_empty() {
            let payload = if resolved {
                None
            } else {
                Some(Payload {
                    summary: truncate(t(&c.description)?, 1024),
                    source: t(&c.source)?,
                    severity: t(&c.severity)?,
                    class: t(&c.class)?,
                    component: t(&c.component)?,
                    group: t(&c.group)?,
                    custom_details: details,
                })
            };
            let images = c
                .images
                .iter()
                .map(|i| Ok(Image { src: t(&i.src)?, alt: t(&i.alt)?, href: t(&i.href)? }))
                .collect::<Result<Vec<_>, NotifyError>>()?;
            let links = c
                .links
                .iter()
                .map(|l| Ok(Link { href: t(&l.href)?, text: t(&l.text)? }))
                .collect::<Result<Vec<_>, NotifyError>>()?;
            serde_json::to_vec(&MessageV2 {
                routing_key: t(&routing_key)?,
                event_action: if resolved { "resolve" } else { "trigger" },
                dedup_key: key_hash(&ctx.group_key),
                images,
                links,
                client: t(&c.client)?,
                client_url: t(&c.client_url)?,
                payload,
            })
        } else {
            serde_json::to_vec(&MessageV1 {
                service_key: t(&secret(&c.service_key, &c.service_key_file)?)?,
                incident_key: key_hash(&ctx.group_key),
                event_type: if resolved { "resolve" } else { "trigger" },
                description: truncate(t(&c.description)?, 1024),
                client: t(&c.client)?,
                client_url: t(&c.client_url)?,
                details,
            })
        }
        .map_err(|e| NotifyError::permanent(e.to_string()))?;
        let url = c.url.as_deref().unwrap_or("https://events.pagerduty.com/v2/enqueue");
        let req = self.client.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        match send(authorize(req, c.http_config.as_ref())?, url).await {
            Err(e) if e.message.starts_with("unexpected status code 429") => Err(NotifyError::retryable(e.message)),
            other => other.map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dedup_key_is_sha256_hex() {
        assert_eq!(super::key_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
