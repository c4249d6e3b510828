//! The Amazon SNS integration: the Publish action of SNS' query API
//! (form-encoded, sorted keys, as aws-sdk-go v1 builds it for Alertmanager
//! 0.25's `notify/sns`), signed with SigV4 (`sigv4.rs`). Credentials come
//! from `sigv4.access_key`/`secret_key`, else the environment
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), else
//! the shared credentials file's `sigv4.profile` (or `AWS_PROFILE`, or
//! `default`). `role_arn` (STS AssumeRole) is not implemented. The message is
//! cut to 256 KiB (1600 bytes for SMS) with a `truncated` attribute; FIFO
//! topics get the group key's hash as deduplication and group id. 2xx is
//! success, 5xx and transport errors are retried.

use super::http::{authorize, client};
use super::pagerduty::key_hash;
use super::sigv4::{self, Credentials};
use super::util::form_encode;
use super::{NotifyCtx, NotifyError};
use crate::alert::Alert;
use crate::config::SnsConfig;

/// A configured SNS target.
#[derive(Debug)]
pub(crate) struct Sns {
    conf: SnsConfig,
    client: reqwest::Client,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Reads `[profile]` from an AWS shared credentials file.
fn profile_credentials(text: &str, profile: &str) -> Option<Credentials> {
    let (mut in_section, mut ak, mut sk, mut token) = (false, None, None, None);
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_section = name.trim() == profile;
            continue;
        }
        let Some((k, v)) = line.split_once('=') else { continue };
        if !in_section {
            continue;
        }
        let v = Some(v.trim().to_string());
        match k.trim() {
            "aws_access_key_id" => ak = v,
            "aws_secret_access_key" => sk = v,
            "aws_session_token" => token = v,
            _ => {}
        }
    }
    Some(Credentials { access_key: ak?, secret_key: sk?, session_token: token })
}

/// The first 0..=limit bytes of `s` ending on a character boundary
/// (aws-sdk-go cuts bytes; a split character would not be valid UTF-8).
fn truncate_at(s: String, limit: usize) -> (String, bool) {
    if s.len() <= limit {
        return (s, false);
    }
    let mut end = limit;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (s.get(..end).unwrap_or_default().to_string(), true)
}

/// `<Message>` of an AWS XML error response.
fn aws_error_message(body: &str) -> &str {
    body.split_once("<Message>").and_then(|(_, r)| r.split_once("</Message>")).map_or(body, |(m, _)| m)
}

impl Sns {
    pub(crate) fn new(conf: SnsConfig) -> Result<Self, String> {
        let client = client(conf.http_config.as_ref())?;
        Ok(Sns { conf, client })
    }

    fn credentials(&self) -> Result<Credentials, NotifyError> {
        let s = &self.conf.sigv4;
        if !s.role_arn.is_empty() {
            return Err(NotifyError::permanent(
                "sns: sigv4.role_arn (STS AssumeRole) is not supported by argus".into(),
            ));
        }
        if !s.access_key.is_empty() && !s.secret_key.is_empty() {
            return Ok(Credentials {
                access_key: s.access_key.clone(),
                secret_key: s.secret_key.expose().to_string(),
                session_token: None,
            });
        }
        if s.profile.is_empty()
            && let (Some(ak), Some(sk)) = (
                env("AWS_ACCESS_KEY_ID").or_else(|| env("AWS_ACCESS_KEY")),
                env("AWS_SECRET_ACCESS_KEY").or_else(|| env("AWS_SECRET_KEY")),
            )
        {
            return Ok(Credentials { access_key: ak, secret_key: sk, session_token: env("AWS_SESSION_TOKEN") });
        }
        let profile = if s.profile.is_empty() {
            env("AWS_PROFILE").unwrap_or_else(|| "default".into())
        } else {
            s.profile.clone()
        };
        let file = env("AWS_SHARED_CREDENTIALS_FILE")
            .or_else(|| env("HOME").map(|h| format!("{h}/.aws/credentials")))
            .unwrap_or_default();
        std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| profile_credentials(&t, &profile))
            .ok_or_else(|| NotifyError::retryable("NoCredentialProviders: no valid providers in chain".into()))
    }

    /// The Publish parameters (before the sorting of the form encoding).
    fn publish_params(&self, ctx: &NotifyCtx, v: &argus_template::Value) -> Result<Vec<(String, String)>, NotifyError> {
        let c = &self.conf;
        let retry = |e: NotifyError| NotifyError::retryable(e.message);
        let t = |s: &str| ctx.text(s, v).map_err(retry);
        let mut p =
            vec![("Action".to_string(), "Publish".to_string()), ("Version".to_string(), "2010-03-31".to_string())];
        let mut limit = 256 * 1024;
        if !c.topic_arn.is_empty() {
            let arn = t(&c.topic_arn)?;
            if arn.ends_with(".fifo") {
                p.push(("MessageDeduplicationId".into(), key_hash(&ctx.group_key)));
                p.push(("MessageGroupId".into(), key_hash(&ctx.group_key)));
            }
            p.push(("TopicArn".into(), arn));
        }
        if !c.phone_number.is_empty() {
            p.push(("PhoneNumber".into(), t(&c.phone_number)?));
            limit = 1600;
        }
        if !c.target_arn.is_empty() {
            p.push(("TargetArn".into(), t(&c.target_arn)?));
        }
        let mut attributes = std::collections::BTreeMap::new();
        for (k, val) in c.attributes.iter().flatten() {
            attributes.insert(t(k)?, t(val)?);
        }
        let (message, truncated) = truncate_at(t(&c.message)?, limit);
        if truncated {
            attributes.insert("truncated".into(), "true".into());
        }
        p.push(("Message".into(), message));
        if attributes.is_empty() {
            p.push(("MessageAttributes".into(), String::new()));
        }
        for (i, (k, val)) in attributes.into_iter().enumerate() {
            let prefix = format!("MessageAttributes.entry.{}", i + 1);
            p.push((format!("{prefix}.Name"), k));
            p.push((format!("{prefix}.Value.DataType"), "String".into()));
            p.push((format!("{prefix}.Value.StringValue"), val));
        }
        if !c.subject.is_empty() {
            p.push(("Subject".into(), t(&c.subject)?));
        }
        Ok(p)
    }

    pub(crate) async fn notify(&self, ctx: &NotifyCtx, alerts: &[Alert]) -> Result<(), NotifyError> {
        let c = &self.conf;
        let v = ctx.data(alerts).to_value();
        let region =
            [Some(c.sigv4.region.clone()).filter(|r| !r.is_empty()), env("AWS_REGION"), env("AWS_DEFAULT_REGION")]
                .into_iter()
                .flatten()
                .next()
                .ok_or_else(|| {
                    NotifyError::retryable(
                        "region not configured in sns.sigv4.region or in default credentials chain".into(),
                    )
                })?;
        let creds = self.credentials()?;
        let mut endpoint = ctx.text(&c.api_url, &v).map_err(|e| NotifyError::retryable(e.message))?;
        if endpoint.is_empty() {
            endpoint = format!("https://sns.{region}.amazonaws.com");
        } else if !endpoint.contains("://") {
            endpoint = format!("https://{endpoint}");
        }
        // aws-sdk-go appends the operation's path ("/") to the endpoint.
        let url = reqwest::Url::parse(&format!("{endpoint}/"))
            .map_err(|e| NotifyError::permanent(format!("invalid SNS endpoint {endpoint:?}: {e}")))?;
        let body = form_encode(&self.publish_params(ctx, &v)?);
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => return Err(NotifyError::permanent(format!("SNS endpoint {endpoint:?} has no host"))),
        };
        let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let content_type = "application/x-www-form-urlencoded; charset=utf-8";
        let mut headers = vec![
            ("content-type".to_string(), content_type.to_string()),
            ("host".to_string(), host),
            ("x-amz-date".to_string(), amz_date.clone()),
        ];
        if let Some(tok) = &creds.session_token {
            headers.push(("x-amz-security-token".to_string(), tok.clone()));
        }
        let query: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let sreq = sigv4::Request {
            method: "POST",
            path: url.path(),
            query: &query,
            headers: &headers,
            payload: body.as_bytes(),
        };
        let auth = sigv4::authorization(&sreq, &creds, &region, "sns", &amz_date);
        let mut req = self.client.post(url.clone()).header(reqwest::header::AUTHORIZATION, auth);
        for (k, val) in headers.iter().filter(|(k, _)| k != "host") {
            req = req.header(k.as_str(), val.as_str());
        }
        let req = authorize(req.body(body), c.http_config.as_ref())?;
        let resp = req.send().await.map_err(|e| NotifyError::retryable(e.without_url().to_string()))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let text = resp.text().await.unwrap_or_default();
        let msg = format!("unexpected status code {}: {}", status.as_u16(), aws_error_message(&text));
        if status.is_server_error() { Err(NotifyError::retryable(msg)) } else { Err(NotifyError::permanent(msg)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::testutil::{Recorder, ctx, firing, receiver};

    fn sns(url: &str, extra: &str) -> Sns {
        let conf = receiver(&format!(
            "sns_configs: [{{api_url: '{url}', sigv4: {{region: eu-west-1, access_key: AK, secret_key: SK}}, {extra}}}]"
        ));
        Sns::new(conf.sns_configs[0].clone()).unwrap()
    }

    #[tokio::test]
    async fn publishes_signed_form() {
        let rec = Recorder::start().await;
        let n = sns(
            &rec.url,
            "topic_arn: 'arn:aws:sns:eu-west-1:1:t.fifo', subject: 'S {{ .Status }}', message: 'm & n', attributes: {b: '2', a: '{{ .Status }}'}",
        );
        n.notify(&ctx(), &[firing("a")]).await.unwrap();
        let r = &rec.requests()[0];
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/"));
        assert_eq!(r.header("content-type"), "application/x-www-form-urlencoded; charset=utf-8");
        let h = key_hash(&ctx().group_key);
        assert_eq!(
            r.body,
            format!(
                "Action=Publish&Message=m+%26+n&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String\
                 &MessageAttributes.entry.1.Value.StringValue=firing&MessageAttributes.entry.2.Name=b\
                 &MessageAttributes.entry.2.Value.DataType=String&MessageAttributes.entry.2.Value.StringValue=2\
                 &MessageDeduplicationId={h}&MessageGroupId={h}&Subject=S+firing\
                 &TopicArn=arn%3Aaws%3Asns%3Aeu-west-1%3A1%3At.fifo&Version=2010-03-31"
            )
        );
        // The signature covers what was sent.
        let date = r.header("x-amz-date").to_string();
        let host = rec.url.trim_start_matches("http://").to_string();
        let headers = vec![
            ("content-type".to_string(), r.header("content-type").to_string()),
            ("host".to_string(), host),
            ("x-amz-date".to_string(), date.clone()),
        ];
        let creds = Credentials { access_key: "AK".into(), secret_key: "SK".into(), session_token: None };
        let sreq =
            sigv4::Request { method: "POST", path: "/", query: &[], headers: &headers, payload: r.body.as_bytes() };
        assert_eq!(r.header("authorization"), sigv4::authorization(&sreq, &creds, "eu-west-1", "sns", &date));
        assert!(
            r.header("authorization").contains(&format!("Credential=AK/{}/eu-west-1/sns/aws4_request", &date[..8]))
        );
    }

    #[tokio::test]
    async fn sms_truncation_and_errors() {
        let rec = Recorder::start().await;
        let n = sns(&rec.url, &format!("phone_number: '+100', message: '{}'", "x".repeat(2000)));
        n.notify(&ctx(), &[firing("a")]).await.unwrap();
        let body = &rec.requests()[0].body;
        assert!(body.contains(&format!("Message={}&", "x".repeat(1600))), "{body}");
        assert!(body.contains("MessageAttributes.entry.1.Name=truncated&"));
        assert!(body.contains("PhoneNumber=%2B100&"));
        let e =
            sns(&format!("{}/status/400", rec.url), "topic_arn: t").notify(&ctx(), &[firing("a")]).await.unwrap_err();
        assert_eq!((e.retry, e.message.as_str()), (false, "unexpected status code 400: boom"));
        let e =
            sns(&format!("{}/status/503", rec.url), "topic_arn: t").notify(&ctx(), &[firing("a")]).await.unwrap_err();
        assert!(e.retry);
        let n = sns(&rec.url, "topic_arn: t");
        n.notify(&ctx(), &[firing("a")]).await.unwrap();
        assert!(rec.requests().last().unwrap().body.contains("&MessageAttributes=&"));
    }

    #[test]
    fn shared_credentials_file() {
        let text = "[default]\naws_access_key_id = A\naws_secret_access_key = B\n[ops]\naws_access_key_id=C\naws_secret_access_key=D\naws_session_token=E\n";
        let c = profile_credentials(text, "ops").unwrap();
        assert_eq!((c.access_key.as_str(), c.secret_key.as_str(), c.session_token.as_deref()), ("C", "D", Some("E")));
        assert!(profile_credentials(text, "none").is_none());
    }
}
