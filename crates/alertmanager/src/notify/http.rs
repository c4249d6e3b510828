//! The HTTP client of the HTTP-based integrations, built from Prometheus'
//! common `http_config`: TLS (CA, client certificate, skip-verify, versions),
//! proxy, redirects, and per-request authentication (basic auth, an
//! `authorization` header), whose file-based secrets are read at send time so
//! rotated secrets take effect without a reload.

use std::sync::Once;

use reqwest::{Client, RequestBuilder};

use super::NotifyError;
use crate::config::HttpClientConfig;

/// Installs rustls' ring provider once per process (reqwest is built
/// without a default one); losing the race to another installer is fine.
pub(crate) fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

fn tls_version(v: &str) -> Option<reqwest::tls::Version> {
    match v {
        "TLS10" => Some(reqwest::tls::Version::TLS_1_0),
        "TLS11" => Some(reqwest::tls::Version::TLS_1_1),
        "TLS12" => Some(reqwest::tls::Version::TLS_1_2),
        "TLS13" => Some(reqwest::tls::Version::TLS_1_3),
        _ => None,
    }
}

/// Builds the client for `cfg` (the integration's own, or the global one).
pub(crate) fn client(cfg: Option<&HttpClientConfig>) -> Result<Client, String> {
    install_crypto_provider();
    let default = HttpClientConfig::default();
    let cfg = cfg.unwrap_or(&default);
    let mut b = Client::builder().user_agent(concat!("Alertmanager/argus-", env!("CARGO_PKG_VERSION")));
    let tls = &cfg.tls_config;
    if !tls.ca_file.is_empty() {
        let pem = std::fs::read(&tls.ca_file)
            .map_err(|e| format!("unable to load specified CA cert {}: {e}", tls.ca_file))?;
        for c in reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("cannot parse CA cert {}: {e}", tls.ca_file))?
        {
            b = b.add_root_certificate(c);
        }
    }
    if !tls.cert_file.is_empty() || !tls.key_file.is_empty() {
        let mut pem =
            std::fs::read(&tls.cert_file).map_err(|e| format!("cannot read client cert {}: {e}", tls.cert_file))?;
        pem.extend(std::fs::read(&tls.key_file).map_err(|e| format!("cannot read client key {}: {e}", tls.key_file))?);
        b = b.identity(reqwest::Identity::from_pem(&pem).map_err(|e| format!("cannot load client certificate: {e}"))?);
    }
    if tls.insecure_skip_verify {
        b = b.danger_accept_invalid_certs(true);
    }
    if let Some(v) = tls.min_version.as_deref().and_then(tls_version) {
        b = b.min_tls_version(v);
    }
    if let Some(v) = tls.max_version.as_deref().and_then(tls_version) {
        b = b.max_tls_version(v);
    }
    if let Some(p) = cfg.proxy_url.as_deref().filter(|p| !p.is_empty()) {
        b = b.proxy(reqwest::Proxy::all(p).map_err(|e| format!("invalid proxy_url {p}: {e}"))?);
    }
    if !cfg.follow_redirects {
        b = b.redirect(reqwest::redirect::Policy::none());
    }
    b.build().map_err(|e| format!("cannot build HTTP client: {e}"))
}

fn read_secret_file(path: &str) -> Result<String, NotifyError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| NotifyError::permanent(format!("unable to read secret file {path}: {e}")))
}

/// Adds the configured authentication to a request.
pub(crate) fn authorize(req: RequestBuilder, cfg: Option<&HttpClientConfig>) -> Result<RequestBuilder, NotifyError> {
    let Some(cfg) = cfg else { return Ok(req) };
    if let Some(ba) = &cfg.basic_auth {
        let password = if ba.password_file.is_empty() {
            ba.password.expose().to_string()
        } else {
            read_secret_file(&ba.password_file)?
        };
        return Ok(req.basic_auth(&ba.username, Some(password)));
    }
    if let Some(a) = &cfg.authorization {
        let creds = if a.credentials_file.is_empty() {
            a.credentials.expose().to_string()
        } else {
            read_secret_file(&a.credentials_file)?
        };
        let kind = if a.kind.is_empty() { "Bearer" } else { a.kind.as_str() };
        return Ok(req.header(reqwest::header::AUTHORIZATION, format!("{kind} {creds}")));
    }
    if cfg.oauth2.is_some() {
        return Err(NotifyError::permanent("oauth2 in http_config is not supported by argus".into()));
    }
    Ok(req)
}

/// Sends a request and maps the outcome as Alertmanager's
/// `notify.RetryStage`/`util.go` do: 2xx is success, 5xx (and transport
/// errors) are retried, any other status is a permanent failure. Returns the
/// response body on success.
pub(crate) async fn send(req: RequestBuilder, url_for_errors: &str) -> Result<String, NotifyError> {
    let resp = req.send().await.map_err(|e| NotifyError::retryable(redact(&e.to_string())))?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    if status.is_success() {
        return Ok(body);
    }
    let msg =
        format!("unexpected status code {}: {}: {}", status.as_u16(), redact(url_for_errors), truncate(&body, 1024));
    if status.is_server_error() { Err(NotifyError::retryable(msg)) } else { Err(NotifyError::permanent(msg)) }
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

/// Hides URL userinfo passwords in error texts.
fn redact(s: &str) -> String {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(://[^:/@\s]+):[^@/\s]+@").expect("invariant: the redaction regex is valid")
    });
    RE.replace_all(s, "$1:<secret>@").into_owned()
}
