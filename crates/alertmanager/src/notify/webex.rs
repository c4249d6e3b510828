//! The Webex integration: the templated message as Markdown to a room,
//! cut to 7439 bytes, authorized by `http_config.authorization` (Alertmanager
//! 0.25's `notify/webex`). 2xx is success, 5xx retried.

use serde::Serialize;

use super::data::go_json;
use super::http::{authorize, client, send};
use super::util::truncate_bytes;
use super::{NotifyCtx, NotifyError};
use crate::alert::Alert;
use crate::config::WebexConfig;

/// Webex's limit on a message, in bytes.
const MAX_MESSAGE_SIZE: usize = 7439;

/// A configured Webex room.
#[derive(Debug)]
pub(crate) struct Webex {
    conf: WebexConfig,
    client: reqwest::Client,
}

#[derive(Serialize)]
struct Message {
    markdown: String,
    #[serde(rename = "roomId", skip_serializing_if = "String::is_empty")]
    room_id: String,
}

impl Webex {
    pub(crate) fn new(conf: WebexConfig) -> Result<Self, String> {
        let client = client(conf.http_config.as_ref())?;
        Ok(Webex { conf, client })
    }

    pub(crate) async fn notify(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<(), NotifyError> {
        let c = &self.conf;
        let v = ctx.data(alerts).to_value();
        let markdown = truncate_bytes(ctx.text(&c.message, &v)?, MAX_MESSAGE_SIZE);
        let body = go_json(&Message { markdown, room_id: c.room_id.clone() })
            .map_err(|e| NotifyError::permanent(e.to_string()))?;
        let url = c.api_url.as_deref().unwrap_or_default();
        let req = self.client.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        send(authorize(req, c.http_config.as_ref())?, url).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use crate::notify::testutil::{Recorder, ctx, firing, receiver};

    #[tokio::test]
    async fn posts_markdown_to_room_with_bearer() {
        let rec = Recorder::start().await;
        let conf = receiver(&format!(
            "webex_configs: [{{api_url: '{}/v1/messages', room_id: r1, message: '**{{{{ .Status }}}}** <x>', http_config: {{authorization: {{credentials: tok}}}}}}]",
            rec.url
        ));
        let n = super::Webex::new(conf.webex_configs[0].clone()).unwrap();
        n.notify(&ctx(), &[firing("a")]).await.unwrap();
        let r = &rec.requests()[0];
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/messages"));
        assert_eq!(r.header("authorization"), "Bearer tok");
        assert_eq!(r.header("content-type"), "application/json");
        assert_eq!(r.body, "{\"markdown\":\"**firing** \\u003cx\\u003e\",\"roomId\":\"r1\"}\n");
    }
}
