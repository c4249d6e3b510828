//! The Microsoft Teams integration: one MessageCard per notification
//! (title, summary, text, theme color red while firing, green once
//! resolved), as Alertmanager 0.26's `notify/msteams` posts it. 2xx is
//! success, 5xx retried.

use serde::Serialize;

use super::data::go_json;
use super::http::{authorize, client, send};
use super::{NotifyCtx, NotifyError};
use crate::alert::Alert;
use crate::config::MsTeamsConfig;

const COLOR_RED: &str = "8C1A1A";
const COLOR_GREEN: &str = "2DC72D";

/// A configured Teams webhook.
#[derive(Debug)]
pub(crate) struct MsTeams {
    conf: MsTeamsConfig,
    client: reqwest::Client,
}

#[derive(Serialize)]
struct MessageCard {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    title: String,
    summary: String,
    text: String,
    #[serde(rename = "themeColor")]
    theme_color: &'static str,
}

impl MsTeams {
    pub(crate) fn new(conf: MsTeamsConfig) -> Result<Self, String> {
        let client = client(conf.http_config.as_ref())?;
        Ok(MsTeams { conf, client })
    }

    pub(crate) async fn notify(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<(), NotifyError> {
        let c = &self.conf;
        let data = ctx.data(alerts);
        let v = data.to_value();
        let theme_color = if data.status == "firing" { COLOR_RED } else { COLOR_GREEN };
        let msg = MessageCard {
            context: "http://schema.org/extensions",
            kind: "MessageCard",
            title: ctx.text(&c.title, &v)?,
            summary: ctx.text(&c.summary, &v)?,
            text: ctx.text(&c.text, &v)?,
            theme_color,
        };
        let body = go_json(&msg).map_err(|e| NotifyError::permanent(e.to_string()))?;
        let url = c.webhook_url.as_ref().map(|u| u.expose().to_string()).unwrap_or_default();
        let req = self.client.post(&url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        send(authorize(req, c.http_config.as_ref())?, "<msteams webhook_url>").await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use crate::notify::testutil::{Recorder, ctx, firing, resolved};

    #[tokio::test]
    async fn posts_a_message_card() {
        let rec = Recorder::start().await;
        let conf = crate::notify::testutil::receiver(&format!(
            "msteams_configs: [{{webhook_url: '{}/webhookb2/x', title: 'T {{{{ .Status }}}}'}}]",
            rec.url
        ));
        let n = super::MsTeams::new(conf.msteams_configs[0].clone()).unwrap();
        n.notify(&ctx(), &[firing("a")]).await.unwrap();
        n.notify(&ctx(), &[resolved("a")]).await.unwrap();
        let reqs = rec.requests();
        assert_eq!(reqs[0].method, "POST");
        assert_eq!(reqs[0].path, "/webhookb2/x");
        assert_eq!(reqs[0].header("content-type"), "application/json");
        assert!(
            reqs[0].body.starts_with(
                r#"{"@context":"http://schema.org/extensions","type":"MessageCard","title":"T firing","summary":"#
            ),
            "{}",
            reqs[0].body
        );
        assert!(reqs[0].body.ends_with("\"themeColor\":\"8C1A1A\"}\n"), "{}", reqs[0].body);
        assert_eq!(reqs[1].json()["themeColor"], "2DC72D");
        let text = reqs[0].json()["text"].as_str().unwrap().to_string();
        assert!(text.contains("# Alerts Firing:\n\nLabels:\n  - alertname = Down\n"), "{text}");
    }

    #[tokio::test]
    async fn retries_5xx_only() {
        let rec = Recorder::start().await;
        for (path, retry) in [("/500", true), ("/429", false), ("/400", false)] {
            let conf = crate::notify::testutil::receiver(&format!(
                "msteams_configs: [{{webhook_url: '{}/status{path}'}}]",
                rec.url
            ));
            let n = super::MsTeams::new(conf.msteams_configs[0].clone()).unwrap();
            let e = n.notify(&ctx(), &[firing("a")]).await.unwrap_err();
            assert_eq!(e.retry, retry, "{path}: {e}");
        }
    }
}
