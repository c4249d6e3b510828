//! The Discord integration: one webhook message with one embed (title,
//! description, color red while firing and green once resolved), as
//! Alertmanager 0.25's `notify/discord` posts it. 2xx is success, 5xx retried.

use serde::Serialize;

use super::data::go_json;
use super::http::{authorize, client, send};
use super::{NotifyCtx, NotifyError};
use crate::alert::Alert;
use crate::config::DiscordConfig;

const COLOR_RED: u32 = 0x992D22;
const COLOR_GREEN: u32 = 0x2ECC71;

/// A configured Discord webhook.
#[derive(Debug)]
pub(crate) struct Discord {
    conf: DiscordConfig,
    client: reqwest::Client,
}

#[derive(Serialize)]
struct Webhook {
    content: String,
    embeds: Vec<Embed>,
}

#[derive(Serialize)]
struct Embed {
    title: String,
    description: String,
    color: u32,
}

impl Discord {
    pub(crate) fn new(conf: DiscordConfig) -> Result<Self, String> {
        let client = client(conf.http_config.as_ref())?;
        Ok(Discord { conf, client })
    }

    pub(crate) async fn notify(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<(), NotifyError> {
        let c = &self.conf;
        let data = ctx.data(alerts);
        let v = data.to_value();
        let color = if data.status == "firing" { COLOR_RED } else { COLOR_GREEN };
        let msg = Webhook {
            content: String::new(),
            embeds: vec![Embed { title: ctx.text(&c.title, &v)?, description: ctx.text(&c.message, &v)?, color }],
        };
        let body = go_json(&msg).map_err(|e| NotifyError::permanent(e.to_string()))?;
        let url = c.webhook_url.as_ref().map(|u| u.expose().to_string()).unwrap_or_default();
        let req = self.client.post(&url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        send(authorize(req, c.http_config.as_ref())?, "<discord webhook_url>").await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use crate::notify::testutil::{Recorder, ctx, firing, resolved};

    #[tokio::test]
    async fn posts_one_embed() {
        let rec = Recorder::start().await;
        let conf = crate::notify::testutil::receiver(&format!(
            "discord_configs: [{{webhook_url: '{}/api/webhooks/1/x', title: 'T {{{{ .Status }}}}'}}]",
            rec.url
        ));
        let n = super::Discord::new(conf.discord_configs[0].clone()).unwrap();
        n.notify(&ctx(), &[firing("a")]).await.unwrap();
        n.notify(&ctx(), &[resolved("a")]).await.unwrap();
        let reqs = rec.requests();
        assert_eq!(reqs[0].method, "POST");
        assert_eq!(reqs[0].path, "/api/webhooks/1/x");
        assert_eq!(reqs[0].header("content-type"), "application/json");
        assert!(reqs[0].body.starts_with(r#"{"content":"","embeds":[{"title":"T firing","description":""#));
        assert!(reqs[0].body.ends_with("\"color\":10038562}]}\n"), "{}", reqs[0].body);
        assert_eq!(reqs[1].json()["embeds"][0]["color"], 0x2ECC71);
        assert!(reqs[0].json()["embeds"][0]["description"].as_str().unwrap().contains("Alerts Firing:"));
    }

    #[tokio::test]
    async fn retries_5xx_only() {
        let rec = Recorder::start().await;
        for (path, retry) in [("/500", true), ("/429", false), ("/400", false)] {
            let conf = crate::notify::testutil::receiver(&format!(
                "discord_configs: [{{webhook_url: '{}/status{path}'}}]",
                rec.url
            ));
            let n = super::Discord::new(conf.discord_configs[0].clone()).unwrap();
            let e = n.notify(&ctx(), &[firing("a")]).await.unwrap_err();
            assert_eq!(e.retry, retry, "{path}: {e}");
        }
    }
}
