//! The WeChat (WeCom) integration: an access token from `gettoken` (cached
//! for two hours, dropped when WeChat says it expired), then the message to
//! `message/send`, as Alertmanager 0.25's `notify/wechat` does. Any status
//! but 200 is retried; the reply's `code` decides otherwise (0 is success,
//! 42001 "token expired" is retried with a new token, others are final).

use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::data::go_json;
use super::http::{authorize, client};
use super::util::form_encode;
use super::{NotifyCtx, NotifyError};
use crate::alert::Alert;
use crate::config::WechatConfig;

const TOKEN_LIFETIME: Duration = Duration::from_secs(2 * 3600);

/// A configured WeChat application.
#[derive(Debug)]
pub(crate) struct Wechat {
    conf: WechatConfig,
    client: reqwest::Client,
    token: Mutex<Option<(String, Instant)>>,
}

#[derive(Serialize, Default)]
struct Content {
    content: String,
}

/// Go's `weChatMessage`: `omitempty` does not omit the two struct fields.
#[derive(Serialize)]
struct Message {
    text: Content,
    #[serde(skip_serializing_if = "String::is_empty")]
    touser: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    toparty: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    totag: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    agentid: String,
    safe: &'static str,
    msgtype: String,
    markdown: Content,
}

#[derive(Deserialize, Default)]
struct Token {
    #[serde(default)]
    access_token: String,
}

/// Alertmanager 0.25 reads `code` and `error` (WeChat itself answers
/// `errcode`/`errmsg`, so in practice every 200 counts as success there too).
#[derive(Deserialize, Default)]
struct Response {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    error: String,
}

fn network(e: reqwest::Error) -> NotifyError {
    NotifyError::retryable(e.without_url().to_string())
}

impl Wechat {
    pub(crate) fn new(conf: WechatConfig) -> Result<Self, String> {
        let client = client(conf.http_config.as_ref())?;
        Ok(Wechat { conf, client, token: Mutex::new(None) })
    }

    async fn access_token(&self, ctx: &NotifyCtx, v: &argus_template::Value) -> Result<String, NotifyError> {
        if let Some((t, at)) = self.token.lock().as_ref()
            && at.elapsed() <= TOKEN_LIFETIME
        {
            return Ok(t.clone());
        }
        let c = &self.conf;
        let err = |e: NotifyError| NotifyError::permanent(format!("templating error: {}", e.message));
        let params = vec![
            ("corpsecret".to_string(), ctx.text(c.api_secret.expose(), v).map_err(err)?),
            ("corpid".to_string(), ctx.text(&c.corp_id, v).map_err(err)?),
        ];
        let base = c.api_url.as_deref().unwrap_or_default();
        let url = format!("{base}gettoken?{}", form_encode(&params));
        let resp = authorize(self.client.get(&url), c.http_config.as_ref())?.send().await.map_err(network)?;
        let body = resp.text().await.map_err(network)?;
        let token: Token = serde_json::from_str(&body).map_err(|e| NotifyError::permanent(e.to_string()))?;
        if token.access_token.is_empty() {
            return Err(NotifyError::permanent(format!("invalid APISecret for CorpID: {}", c.corp_id)));
        }
        *self.token.lock() = Some((token.access_token.clone(), Instant::now()));
        Ok(token.access_token)
    }

    pub(crate) async fn notify(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<(), NotifyError> {
        let c = &self.conf;
        let v = ctx.data(alerts).to_value();
        let token = self.access_token(ctx, &v).await?;
        let err = |e: NotifyError| NotifyError::permanent(format!("templating error: {}", e.message));
        let t = |s: &str| ctx.text(s, &v).map_err(err);
        let content = Content { content: t(&c.message)? };
        let (text, markdown) =
            if c.message_type == "markdown" { (Content::default(), content) } else { (content, Content::default()) };
        let msg = Message {
            text,
            touser: t(&c.to_user)?,
            toparty: t(&c.to_party)?,
            totag: t(&c.to_tag)?,
            agentid: t(&c.agent_id)?,
            safe: "0",
            msgtype: c.message_type.clone(),
            markdown,
        };
        let body = go_json(&msg).map_err(|e| NotifyError::permanent(e.to_string()))?;
        let base = c.api_url.as_deref().unwrap_or_default();
        let url = format!("{base}message/send?{}", form_encode(&[("access_token".to_string(), token)]));
        let req = self.client.post(&url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        let resp = authorize(req, c.http_config.as_ref())?.send().await.map_err(network)?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(NotifyError::retryable(format!("unexpected status code {status}")));
        }
        let body = resp.text().await.map_err(network)?;
        let r: Response = serde_json::from_str(&body).map_err(|e| NotifyError::retryable(e.to_string()))?;
        match r.code {
            0 => Ok(()),
            42001 => {
                *self.token.lock() = None;
                Err(NotifyError::retryable(r.error))
            }
            _ => Err(NotifyError::permanent(r.error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::notify::testutil::{Recorder, ctx, firing, receiver};

    #[tokio::test]
    async fn token_then_message_and_token_cached() {
        let rec = Recorder::start().await;
        let conf = receiver(&format!(
            "wechat_configs: [{{api_url: '{}/cgi-bin/', api_secret: 's e', corp_id: c1, to_user: '@all', agent_id: '7', message: 'hi <{{{{ .Status }}}}>'}}]",
            rec.url
        ));
        let n = super::Wechat::new(conf.wechat_configs[0].clone()).unwrap();
        n.notify(&ctx(), &[firing("a")]).await.unwrap();
        n.notify(&ctx(), &[firing("a")]).await.unwrap();
        let reqs = rec.requests();
        assert_eq!(reqs.len(), 3, "the token is fetched once: {reqs:?}");
        assert_eq!((reqs[0].method.as_str(), reqs[0].path.as_str()), ("GET", "/cgi-bin/gettoken"));
        assert_eq!(reqs[0].query, "corpid=c1&corpsecret=s+e");
        assert_eq!((reqs[1].method.as_str(), reqs[1].path.as_str()), ("POST", "/cgi-bin/message/send"));
        assert_eq!(reqs[1].query, "access_token=tok1");
        assert_eq!(reqs[1].header("content-type"), "application/json");
        assert_eq!(
            reqs[1].body,
            "{\"text\":{\"content\":\"hi \\u003cfiring\\u003e\"},\"touser\":\"@all\",\"agentid\":\"7\",\"safe\":\"0\",\"msgtype\":\"text\",\"markdown\":{\"content\":\"\"}}\n"
        );
    }

    #[tokio::test]
    async fn expired_token_is_retried_and_refetched() {
        let rec = Recorder::start().await;
        let conf = receiver(&format!(
            "wechat_configs: [{{api_url: '{}/wxerr/', api_secret: s, corp_id: c, message_type: markdown}}]",
            rec.url
        ));
        let n = super::Wechat::new(conf.wechat_configs[0].clone()).unwrap();
        let e = n.notify(&ctx(), &[firing("a")]).await.unwrap_err();
        assert!(e.retry);
        assert_eq!(e.message, "access_token expired");
        assert!(rec.requests()[1].json()["markdown"]["content"].as_str().unwrap().contains("FIRING"));
        n.notify(&ctx(), &[firing("a")]).await.unwrap_err();
        assert_eq!(rec.requests().iter().filter(|r| r.path.ends_with("gettoken")).count(), 2);
    }
}
