//! OAuth 2.0 client credentials for HTTP clients (`oauth2` in a scrape job,
//! HTTP SD, remote write or an Alertmanager): what Prometheus' common/config
//! does with `golang.org/x/oauth2/clientcredentials`. A token is fetched from
//! `token_url` on first use and cached until ten seconds before it expires
//! (Go's `expiryDelta`), shared by every request of the client; a token
//! without `expires_in` is kept until the secret changes.
//!
//! State: the cached token, behind an async mutex so that concurrent scrapes
//! of one pool wait for a single token request instead of each sending one.

use std::time::{Duration, Instant};

use crate::config::{HttpClientConfig, OAuth2};
use crate::http::{ClientError, build_client, error_chain, read_secret};

/// Go's `oauth2.expiryDelta`: a token this close to its expiry is renewed.
const EXPIRY_DELTA: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
struct Token {
    /// The whole `Authorization` header value (`Bearer abc`).
    header: String,
    expires_at: Option<Instant>,
    /// The client secret it was fetched with (a rotated secret file means a new token).
    secret: String,
}

/// A client-credentials token source for one HTTP client config.
#[derive(Debug)]
pub struct TokenSource {
    cfg: OAuth2,
    client: reqwest::Client,
    cached: tokio::sync::Mutex<Option<Token>>,
}

impl TokenSource {
    /// A source for `cfg`; its token requests use `cfg.tls_config` and
    /// `cfg.proxy_url`. Blocking (reads TLS files).
    pub fn new(cfg: &OAuth2) -> Result<Self, ClientError> {
        let http = HttpClientConfig {
            tls_config: cfg.tls_config.clone(),
            proxy_url: cfg.proxy_url.clone(),
            ..HttpClientConfig::default()
        };
        Ok(TokenSource { cfg: cfg.clone(), client: build_client(&http)?, cached: tokio::sync::Mutex::new(None) })
    }

    /// The `Authorization` header value to send now: the cached token while
    /// it is valid, else a new one. Errors read as Go's oauth2 package words
    /// them (`oauth2: cannot fetch token: ...`).
    pub async fn authorization(&self) -> Result<String, String> {
        let secret = match (&self.cfg.client_secret, &self.cfg.client_secret_file) {
            (_, Some(f)) => read_secret(f)?,
            (s, None) => s.clone().unwrap_or_default(),
        };
        let mut cached = self.cached.lock().await;
        if let Some(t) = cached.as_ref()
            && t.secret == secret
            && t.expires_at.is_none_or(|e| Instant::now() + EXPIRY_DELTA < e)
        {
            return Ok(t.header.clone());
        }
        let t = self.fetch(secret).await?;
        let header = t.header.clone();
        *cached = Some(t);
        Ok(header)
    }

    async fn fetch(&self, secret: String) -> Result<Token, String> {
        let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
        let scopes = self.cfg.scopes.join(" ");
        if !scopes.is_empty() {
            form.push(("scope", &scopes));
        }
        for (k, v) in &self.cfg.endpoint_params {
            form.push((k, v));
        }
        let sent = Instant::now();
        let resp = self
            .client
            .post(&self.cfg.token_url)
            .basic_auth(form_escape(&self.cfg.client_id), Some(form_escape(&secret)))
            .form(&form)
            .send()
            .await
            .map_err(|e| format!("Post {:?}: {}", self.cfg.token_url, error_chain(&e)))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| format!("oauth2: cannot fetch token: {}", error_chain(&e)))?;
        if !status.is_success() {
            return Err(format!(
                "oauth2: cannot fetch token: {} {}\nResponse: {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or(""),
                String::from_utf8_lossy(&body)
            ));
        }
        parse_token(&body, sent, secret)
    }
}

/// Go's `url.QueryEscape`, which the oauth2 package applies to the client
/// ID and secret before basic auth (RFC 6749 section 2.3.1).
fn form_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A token response (RFC 6749 section 5.1, JSON).
fn parse_token(body: &[u8], sent: Instant, secret: String) -> Result<Token, String> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("oauth2: cannot parse json: {e}"))?;
    let access = v.get("access_token").and_then(|a| a.as_str()).unwrap_or("");
    if access.is_empty() {
        return Err("oauth2: server response missing access_token".to_string());
    }
    // Go's `Token.Type`: the usual spellings normalised, empty means Bearer.
    let kind = match v.get("token_type").and_then(|t| t.as_str()).unwrap_or("") {
        t if t.is_empty() || t.eq_ignore_ascii_case("bearer") => "Bearer",
        t if t.eq_ignore_ascii_case("mac") => "MAC",
        t if t.eq_ignore_ascii_case("basic") => "Basic",
        t => t,
    };
    // `expires_in` may be a number or a numeric string; 0 or absent: no expiry.
    let expires_in = match v.get("expires_in") {
        Some(serde_json::Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(serde_json::Value::String(s)) => s.parse().unwrap_or(0.0),
        _ => 0.0,
    };
    let expires_at = (expires_in > 0.0).then(|| sent + Duration::from_secs_f64(expires_in.min(1e9)));
    Ok(Token { header: format!("{kind} {access}"), expires_at, secret })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_responses() {
        let now = Instant::now();
        let t =
            parse_token(br#"{"access_token":"abc","token_type":"bearer","expires_in":60}"#, now, "s".into()).unwrap();
        assert_eq!(t.header, "Bearer abc");
        assert_eq!(t.expires_at, Some(now + Duration::from_secs(60)));
        let t = parse_token(br#"{"access_token":"x","expires_in":"5"}"#, now, "s".into()).unwrap();
        assert_eq!((t.header.as_str(), t.expires_at), ("Bearer x", Some(now + Duration::from_secs(5))));
        assert_eq!(parse_token(br#"{"access_token":"x"}"#, now, "s".into()).unwrap().expires_at, None);
        assert!(parse_token(br#"{"token_type":"bearer"}"#, now, "s".into()).is_err());
        assert!(parse_token(b"nope", now, "s".into()).is_err());
        assert_eq!(form_escape("a b/c:d"), "a+b%2Fc%3Ad");
    }
}
