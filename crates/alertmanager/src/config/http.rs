//! Prometheus' common HTTP client configuration (`http_config`) as Alertmanager
//! 0.25 accepts it (prometheus/common v0.38: no `no_proxy`, no `username_file`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::secret::Secret;

/// `http_config`: authentication, proxy and TLS of an integration's HTTP client.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpClientConfig {
    /// `basic_auth`.
    pub basic_auth: Option<BasicAuth>,
    /// `authorization` (type defaults to `Bearer`).
    pub authorization: Option<Authorization>,
    /// `oauth2`.
    pub oauth2: Option<OAuth2>,
    /// Deprecated `bearer_token`.
    #[serde(default)]
    pub bearer_token: Secret,
    /// Deprecated `bearer_token_file`.
    #[serde(default)]
    pub bearer_token_file: String,
    /// `proxy_url`.
    pub proxy_url: Option<String>,
    /// `proxy_connect_header`.
    pub proxy_connect_header: Option<BTreeMap<String, Vec<Secret>>>,
    /// `tls_config`.
    #[serde(default)]
    pub tls_config: TlsConfig,
    /// `follow_redirects` (default true).
    #[serde(default = "yes")]
    pub follow_redirects: bool,
    /// `enable_http2` (default true).
    #[serde(default = "yes")]
    pub enable_http2: bool,
}

fn yes() -> bool {
    true
}

impl Default for HttpClientConfig {
    fn default() -> Self {
        HttpClientConfig {
            basic_auth: None,
            authorization: None,
            oauth2: None,
            bearer_token: Secret::default(),
            bearer_token_file: String::new(),
            proxy_url: None,
            proxy_connect_header: None,
            tls_config: TlsConfig::default(),
            follow_redirects: true,
            enable_http2: true,
        }
    }
}

/// `basic_auth`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BasicAuth {
    /// `username`.
    pub username: String,
    /// `password`.
    pub password: Secret,
    /// `password_file`.
    pub password_file: String,
}

/// `authorization`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Authorization {
    /// `type`; empty means `Bearer`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `credentials`.
    pub credentials: Secret,
    /// `credentials_file`.
    pub credentials_file: String,
}

/// `oauth2` client-credentials flow.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OAuth2 {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: Secret,
    /// `client_secret_file`.
    pub client_secret_file: String,
    /// `scopes`.
    pub scopes: Vec<String>,
    /// `token_url`.
    pub token_url: String,
    /// `endpoint_params`.
    pub endpoint_params: BTreeMap<String, String>,
    /// `tls_config`.
    pub tls_config: TlsConfig,
    /// `proxy_url`.
    pub proxy_url: Option<String>,
}

/// `tls_config`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// `ca_file`.
    pub ca_file: String,
    /// `cert_file`.
    pub cert_file: String,
    /// `key_file`.
    pub key_file: String,
    /// `server_name`.
    pub server_name: String,
    /// `insecure_skip_verify`.
    pub insecure_skip_verify: bool,
    /// `min_version` (`TLS10` .. `TLS13`).
    pub min_version: Option<String>,
    /// `max_version`.
    pub max_version: Option<String>,
}

impl HttpClientConfig {
    /// Validates as prometheus/common's `HTTPClientConfig.Validate` and sets the
    /// default authorization type.
    pub(crate) fn validate(&mut self) -> Result<(), String> {
        if !self.bearer_token.is_empty() && !self.bearer_token_file.is_empty() {
            return Err("at most one of bearer_token & bearer_token_file must be configured".into());
        }
        let bearer = !self.bearer_token.is_empty() || !self.bearer_token_file.is_empty();
        if (self.basic_auth.is_some() || self.oauth2.is_some()) && bearer {
            return Err("at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured".into());
        }
        if let Some(b) = &self.basic_auth
            && !b.password.is_empty()
            && !b.password_file.is_empty()
        {
            return Err("at most one of basic_auth password & password_file must be configured".into());
        }
        if let Some(a) = &mut self.authorization {
            if bearer {
                return Err("authorization is not compatible with bearer_token & bearer_token_file".into());
            }
            if !a.credentials.is_empty() && !a.credentials_file.is_empty() {
                return Err("at most one of authorization credentials & credentials_file must be configured".into());
            }
            a.kind = a.kind.trim().to_string();
            if a.kind.is_empty() {
                a.kind = "Bearer".into();
            }
            if a.kind.eq_ignore_ascii_case("basic") {
                return Err(r#"authorization type cannot be set to "basic", use "basic_auth" instead"#.into());
            }
            if self.basic_auth.is_some() || self.oauth2.is_some() {
                return Err("at most one of basic_auth, oauth2 & authorization must be configured".into());
            }
        } else if bearer {
            // Deprecated bearer_token moves into authorization, as common does.
            self.authorization = Some(Authorization {
                kind: "Bearer".into(),
                credentials: std::mem::take(&mut self.bearer_token),
                credentials_file: std::mem::take(&mut self.bearer_token_file),
            });
        }
        if let Some(o) = &self.oauth2 {
            if self.basic_auth.is_some() {
                return Err("at most one of oauth2 & basic_auth must be configured".into());
            }
            if o.client_id.is_empty() {
                return Err("oauth2 client_id must be configured".into());
            }
            if o.client_secret.is_empty() && o.client_secret_file.is_empty() {
                return Err("either oauth2 client_secret or client_secret_file must be configured".into());
            }
            if o.token_url.is_empty() {
                return Err("oauth2 token_url must be configured".into());
            }
            if !o.client_secret.is_empty() && !o.client_secret_file.is_empty() {
                return Err("at most one of oauth2 client_secret & client_secret_file must be configured".into());
            }
        }
        if self.proxy_connect_header.as_ref().is_some_and(|h| !h.is_empty())
            && self.proxy_url.as_deref().unwrap_or("").is_empty()
        {
            return Err("if proxy_connect_header is configured proxy_url must also be configured".into());
        }
        Ok(())
    }
}
