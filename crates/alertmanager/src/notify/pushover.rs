//! The Pushover integration: one POST to the messages API with every
//! parameter in the query string and no body (Alertmanager 0.25's
//! `notify/pushover`, which also keeps the token out of the logs). Title,
//! message and URL are cut to Pushover's limits; an empty message becomes
//! "(no details)". 2xx is success, 5xx retried.

use super::http::{authorize, client, send};
use super::util::{form_encode, truncate_runes};
use super::{NotifyCtx, NotifyError};
use crate::alert::Alert;
use crate::config::PushoverConfig;

/// Alertmanager 0.25 has no setting for the API URL.
const API_URL: &str = "https://api.pushover.net/1/messages.json";
const MAX_TITLE_LEN_RUNES: usize = 250;
const MAX_MESSAGE_LEN_RUNES: usize = 1024;
const MAX_URL_LEN_RUNES: usize = 512;

/// A configured Pushover application and user.
#[derive(Debug)]
pub(crate) struct Pushover {
    conf: PushoverConfig,
    client: reqwest::Client,
    api_url: String,
}

/// Whole seconds of a Go duration string (`1m30s`, `1.5h`), as
/// `int64(time.Duration(d).Seconds())`; the config check has validated it.
fn go_duration_secs(s: &str) -> i64 {
    let mut total = 0.0f64;
    let mut rest = s.trim_start_matches('+');
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (num, tail) = rest.split_at_checked(num_end).unwrap_or((rest, ""));
        let unit_end = tail.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(tail.len());
        let (unit, tail) = tail.split_at_checked(unit_end).unwrap_or((tail, ""));
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => 0.0,
        };
        total += num.parse::<f64>().unwrap_or(0.0) * scale;
        rest = tail;
    }
    total.trunc() as i64
}

impl Pushover {
    pub(crate) fn new(conf: PushoverConfig) -> Result<Self, String> {
        let client = client(conf.http_config.as_ref())?;
        Ok(Pushover { conf, client, api_url: API_URL.to_string() })
    }

    /// The query parameters of the request, in Alertmanager's order.
    fn parameters(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<Vec<(String, String)>, NotifyError> {
        let c = &self.conf;
        let v = ctx.data(alerts).to_value();
        let t = |s: &str| ctx.text(s, &v);
        let mut p = vec![
            ("token".to_string(), t(c.token.expose())?),
            ("user".to_string(), t(c.user_key.expose())?),
            ("title".to_string(), truncate_runes(t(&c.title)?, MAX_TITLE_LEN_RUNES)),
        ];
        let message = if c.html {
            p.push(("html".into(), "1".into()));
            ctx.templates.execute_html(&c.message, &v).map_err(|e| NotifyError::permanent(format!("template: {e}")))?
        } else {
            t(&c.message)?
        };
        let message = truncate_runes(message, MAX_MESSAGE_LEN_RUNES).trim().to_string();
        p.push(("message".into(), if message.is_empty() { "(no details)".into() } else { message }));
        p.push(("url".into(), truncate_runes(t(&c.url)?, MAX_URL_LEN_RUNES)));
        p.push(("url_title".into(), t(&c.url_title)?));
        p.push(("priority".into(), t(&c.priority)?));
        p.push(("retry".into(), go_duration_secs(&c.retry).to_string()));
        p.push(("expire".into(), go_duration_secs(&c.expire).to_string()));
        p.push(("sound".into(), t(&c.sound)?));
        Ok(p)
    }

    pub(crate) async fn notify(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<(), NotifyError> {
        let query = form_encode(&self.parameters(ctx, alerts)?);
        let url = format!("{}?{query}", self.api_url);
        let req = self.client.post(&url).header(reqwest::header::CONTENT_TYPE, "text/plain");
        // The URL holds the token: errors name only the API.
        send(authorize(req, self.conf.http_config.as_ref())?, &self.api_url).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use crate::notify::testutil::{Recorder, ctx, firing, receiver};

    #[test]
    fn durations() {
        assert_eq!(super::go_duration_secs("1m"), 60);
        assert_eq!(super::go_duration_secs("1h30m"), 5400);
        assert_eq!(super::go_duration_secs("1.5s"), 1);
    }

    #[tokio::test]
    async fn posts_parameters_in_the_query() {
        let rec = Recorder::start().await;
        let conf = receiver(
            "pushover_configs: [{user_key: 'u k', token: tok, sound: siren, html: true, message: '{{ .CommonAnnotations.summary }}'}]",
        );
        let mut n = super::Pushover::new(conf.pushover_configs[0].clone()).unwrap();
        n.api_url = format!("{}/1/messages.json", rec.url);
        n.notify(&ctx(), &[firing("a")]).await.unwrap();
        let r = &rec.requests()[0];
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/1/messages.json"));
        assert_eq!(r.header("content-type"), "text/plain");
        assert_eq!(r.body, "");
        assert_eq!(
            r.query,
            "expire=3600&html=1&message=a+is+down&priority=2&retry=60&sound=siren&title=%5BFIRING%3A1%5D+Down+%28a%29\
             &token=tok&url=http%3A%2F%2Fam.example%3A9093%2F%23%2Falerts%3Freceiver%3Dteam&url_title=&user=u+k"
        );
    }

    #[tokio::test]
    async fn empty_message_and_retry_rules() {
        let rec = Recorder::start().await;
        let conf = receiver("pushover_configs: [{user_key: u, token: t, message: '  '}]");
        let mut n = super::Pushover::new(conf.pushover_configs[0].clone()).unwrap();
        n.api_url = format!("{}/x", rec.url);
        n.notify(&ctx(), &[firing("a")]).await.unwrap();
        assert!(rec.requests()[0].query.contains("message=%28no+details%29&"));
        n.api_url = format!("{}/status/503", rec.url);
        assert!(n.notify(&ctx(), &[firing("a")]).await.unwrap_err().retry);
        n.api_url = format!("{}/status/400", rec.url);
        assert!(!n.notify(&ctx(), &[firing("a")]).await.unwrap_err().retry);
    }
}
