//! `email_configs`: the email integration's settings, defaults and checks (Alertmanager 0.25).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{check_host_port, tmpl};
use crate::config::global::Global;
use crate::config::secret::Secret;

/// `email_configs[]` (no `http_config`; SMTP settings inherit from `global`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    /// `send_resolved`.
    #[serde(deserialize_with = "crate::de::bool11")]
    pub send_resolved: bool,
    /// `to` (required).
    pub to: String,
    /// `from`; defaults to `global.smtp_from`.
    pub from: String,
    /// `hello`; defaults to `global.smtp_hello`.
    pub hello: String,
    /// `smarthost` as `host:port`; defaults to `global.smtp_smarthost`.
    pub smarthost: String,
    /// `auth_username`.
    pub auth_username: String,
    /// `auth_password`.
    pub auth_password: Secret,
    /// `auth_password_file`.
    pub auth_password_file: String,
    /// `auth_secret`.
    pub auth_secret: Secret,
    /// `auth_identity`.
    pub auth_identity: String,
    /// `headers`, canonicalised as Go's `textproto.CanonicalMIMEHeaderKey`.
    pub headers: BTreeMap<String, String>,
    /// `html` body template.
    pub html: String,
    /// `text` body template.
    pub text: String,
    /// `require_tls`; defaults to `global.smtp_require_tls`.
    #[serde(deserialize_with = "crate::de::opt_bool11")]
    pub require_tls: Option<bool>,
    /// `tls_config`.
    pub tls_config: Option<crate::config::http::TlsConfig>,
}

impl Default for EmailConfig {
    fn default() -> Self {
        EmailConfig {
            send_resolved: false,
            to: String::new(),
            from: String::new(),
            hello: String::new(),
            smarthost: String::new(),
            auth_username: String::new(),
            auth_password: Secret::default(),
            auth_password_file: String::new(),
            auth_secret: Secret::default(),
            auth_identity: String::new(),
            headers: BTreeMap::new(),
            html: tmpl("email.default.html"),
            text: String::new(),
            require_tls: None,
            tls_config: None,
        }
    }
}

/// Go's `textproto.CanonicalMIMEHeaderKey` for ASCII keys: `content-type` to `Content-Type`.
fn canonical_header(k: &str) -> String {
    if k.bytes().any(|b| !(b.is_ascii_alphanumeric() || b == b'-')) {
        return k.to_string();
    }
    let mut upper = true;
    k.chars()
        .map(|c| {
            let out = if upper { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() };
            upper = c == '-';
            out
        })
        .collect()
}

impl EmailConfig {
    /// The checks Alertmanager runs while decoding this integration.
    pub(crate) fn check(&mut self) -> Result<(), String> {
        let c = self;
        if c.to.is_empty() {
            return Err("missing to address in email config".into());
        }
        check_host_port(&c.smarthost)?;
        let mut normalized = BTreeMap::new();
        for (k, v) in std::mem::take(&mut c.headers) {
            let key = canonical_header(&k);
            if normalized.insert(key.clone(), v).is_some() {
                return Err(format!("duplicate header {key:?} in email config"));
            }
        }
        c.headers = normalized;
        Ok(())
    }

    /// Fills settings from `global` and runs the checks that need it.
    pub(crate) fn apply_global(&mut self, g: &Global) -> Result<(), String> {
        let c = self;
        if c.smarthost.is_empty() {
            if g.smtp_smarthost.is_empty() {
                return Err("no global SMTP smarthost set".into());
            }
            c.smarthost = g.smtp_smarthost.clone();
        }
        if c.from.is_empty() {
            if g.smtp_from.is_empty() {
                return Err("no global SMTP from set".into());
            }
            c.from = g.smtp_from.clone();
        }
        if c.hello.is_empty() {
            c.hello = g.smtp_hello.clone();
        }
        if c.auth_username.is_empty() {
            c.auth_username = g.smtp_auth_username.clone();
        }
        if c.auth_password.is_empty() && c.auth_password_file.is_empty() {
            c.auth_password = g.smtp_auth_password.clone();
            c.auth_password_file = g.smtp_auth_password_file.clone();
        }
        if c.auth_secret.is_empty() {
            c.auth_secret = g.smtp_auth_secret.clone();
        }
        if c.auth_identity.is_empty() {
            c.auth_identity = g.smtp_auth_identity.clone();
        }
        if c.require_tls.is_none() {
            c.require_tls = Some(g.smtp_require_tls);
        }
        Ok(())
    }
}
