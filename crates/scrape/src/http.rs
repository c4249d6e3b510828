//! Talking HTTP to targets: one [`HttpClient`] per scrape pool built from
//! the job's `HttpClientConfig` (TLS, proxy, redirects, HTTP/2, and the
//! credentials: basic auth, authorization, OAuth2), and
//! [`fetch`], one scrape request as Prometheus 2.42's `targetScraper.scrape`
//! makes it: its `Accept` header, `Accept-Encoding: gzip`,
//! `X-Prometheus-Scrape-Timeout-Seconds`, credentials read from their files at
//! request time, the body read up to `body_size_limit` (after gzip
//! decompression) within the scrape timeout. Errors carry Prometheus' texts,
//! because they become the target's `lastError`.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use argus_model::exposition::SCRAPE_ACCEPT_HEADER;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::config::{HttpClientConfig, TlsConfig, TlsVersion};
use crate::limits::LimitError;

/// The `User-Agent` of scrapes and discovery requests.
pub const USER_AGENT: &str = concat!("argus/", env!("CARGO_PKG_VERSION"));

/// Why an HTTP client could not be built from a config.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A TLS file could not be read or holds nothing usable.
    #[error("cannot load {what} {path}: {message}")]
    TlsFile {
        /// `ca_file`, `cert_file` or `key_file`.
        what: &'static str,
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// rustls or reqwest refused the settings.
    #[error("cannot build HTTP client: {0}")]
    Build(String),
}

/// Why one scrape request failed. Display texts are Prometheus'.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// A status other than 200.
    #[error("server returned HTTP status {0}")]
    Status(String),
    /// The scrape timeout passed before the response headers arrived.
    #[error("Get {0:?}: context deadline exceeded")]
    Timeout(String),
    /// The scrape timeout passed while reading the body.
    #[error("context deadline exceeded")]
    BodyTimeout,
    /// The (decompressed) body reached `body_size_limit`.
    #[error("{}", LimitError::BodySizeLimit)]
    BodySizeLimit,
    /// The request could not be sent (connection refused, TLS, DNS, ...).
    #[error("Get {url:?}: {message}")]
    Request {
        /// The scrape URL.
        url: String,
        /// The cause chain.
        message: String,
    },
    /// Reading or decompressing the body failed.
    #[error("{0}")]
    Read(String),
}

impl FetchError {
    /// A short reason for `argus_scrape_failed_total{reason}`.
    pub fn reason(&self) -> &'static str {
        match self {
            FetchError::Status(_) => "http_status",
            FetchError::Timeout(_) | FetchError::BodyTimeout => "timeout",
            FetchError::BodySizeLimit => "body_size_limit",
            FetchError::Request { .. } => "connect",
            FetchError::Read(_) => "read",
        }
    }
}

/// Installs rustls' ring provider as the process default once; a provider
/// installed earlier (by the binary) is kept.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An HTTP client built from an [`HttpClientConfig`]: the transport
/// ([`build_client`]: TLS, proxy, redirects, HTTP/2) plus the credentials
/// every request carries (`basic_auth`, `authorization`, `oauth2`). Scrape
/// pools and HTTP SD build one each; remote write and Alertmanager clients
/// have the same config shape and can use it too. Cheap to clone: clones
/// share the connection pool and the cached OAuth2 token.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    cfg: Arc<HttpClientConfig>,
    oauth2: Option<Arc<crate::oauth2::TokenSource>>,
}

impl HttpClient {
    /// Builds the client for `cfg`. Blocking (reads the TLS files); secret
    /// files are read per request, so rotated secrets are picked up.
    pub fn new(cfg: &HttpClientConfig) -> Result<Self, ClientError> {
        let oauth2 = match &cfg.oauth2 {
            Some(o) => Some(Arc::new(crate::oauth2::TokenSource::new(o)?)),
            None => None,
        };
        Ok(HttpClient { client: build_client(cfg)?, cfg: Arc::new(cfg.clone()), oauth2 })
    }

    /// The underlying transport (no credentials added).
    pub fn transport(&self) -> &reqwest::Client {
        &self.client
    }

    /// The config this client was built from.
    pub fn config(&self) -> &HttpClientConfig {
        &self.cfg
    }

    /// A request with the config's credentials added: basic auth or
    /// `Authorization` (files read now), or an OAuth2 token (fetched, or
    /// cached while valid). Async: may wait for the token endpoint.
    pub async fn request(&self, method: reqwest::Method, url: &str) -> Result<reqwest::RequestBuilder, String> {
        let req = with_auth(self.client.request(method, url), &self.cfg)?;
        match &self.oauth2 {
            Some(o) => Ok(req.header(reqwest::header::AUTHORIZATION, o.authorization().await?)),
            None => Ok(req),
        }
    }
}

/// Builds the bare transport of an [`HttpClient`] (TLS, proxy, redirects,
/// HTTP/2; no credentials). Blocking (reads the TLS files).
pub fn build_client(cfg: &HttpClientConfig) -> Result<reqwest::Client, ClientError> {
    install_crypto_provider();
    let mut b = reqwest::Client::builder().user_agent(USER_AGENT);
    // Decompression is ours (for body_size_limit to count decompressed bytes).
    b = b.redirect(if cfg.follow_redirects {
        reqwest::redirect::Policy::limited(10)
    } else {
        reqwest::redirect::Policy::none()
    });
    if !cfg.enable_http2 {
        b = b.http1_only();
    }
    b = match &cfg.proxy_url {
        Some(p) => b.proxy(reqwest::Proxy::all(p).map_err(|e| ClientError::Build(format!("proxy_url: {e}")))?),
        None => b.no_proxy(),
    };
    if let Some(tls) = rustls_config(&cfg.tls_config, cfg.enable_http2)? {
        b = b.tls_backend_preconfigured(tls);
    }
    b.build().map_err(|e| ClientError::Build(error_chain(&e)))
}

/// A rustls config for `tls_config`, or `None` when the defaults (system
/// roots, no client certificate) do.
fn rustls_config(t: &TlsConfig, http2: bool) -> Result<Option<rustls::ClientConfig>, ClientError> {
    if *t == TlsConfig::default() {
        return Ok(None);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut versions: Vec<&'static rustls::SupportedProtocolVersion> = Vec::new();
    let min = t.min_version.unwrap_or(TlsVersion::Tls12);
    let max = t.max_version.unwrap_or(TlsVersion::Tls13);
    if min <= TlsVersion::Tls12 && max >= TlsVersion::Tls12 {
        versions.push(&rustls::version::TLS12);
    }
    if max >= TlsVersion::Tls13 {
        versions.push(&rustls::version::TLS13);
    }
    let build_err = |e: rustls::Error| ClientError::Build(e.to_string());
    let verifier: Arc<dyn ServerCertVerifier> = if t.insecure_skip_verify {
        Arc::new(NoVerify(provider.clone()))
    } else if let Some(ca) = &t.ca_file {
        let mut roots = rustls::RootCertStore::empty();
        let certs = read_pem_certs(ca, "ca_file")?;
        let (added, _) = roots.add_parsable_certificates(certs);
        if added == 0 {
            return Err(ClientError::TlsFile {
                what: "ca_file",
                path: ca.display().to_string(),
                message: "unable to use specified CA cert".to_string(),
            });
        }
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| ClientError::Build(e.to_string()))?
    } else {
        Arc::new(rustls_platform_verifier::Verifier::new(provider.clone()).map_err(build_err)?)
    };
    let verifier: Arc<dyn ServerCertVerifier> = match &t.server_name {
        Some(name) if !t.insecure_skip_verify => {
            let name = ServerName::try_from(name.clone())
                .map_err(|e| ClientError::Build(format!("server_name {name:?}: {e}")))?;
            Arc::new(NameOverride { inner: verifier, name })
        }
        _ => verifier,
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .map_err(build_err)?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut cfg = match (&t.cert_file, &t.key_file) {
        (Some(cert), Some(key)) => {
            let certs = read_pem_certs(cert, "cert_file")?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| ClientError::TlsFile {
                what: "key_file",
                path: key.display().to_string(),
                message: e.to_string(),
            })?;
            builder.with_client_auth_cert(certs, key).map_err(build_err)?
        }
        _ => builder.with_no_client_auth(),
    };
    cfg.alpn_protocols = if http2 { vec![b"h2".to_vec(), b"http/1.1".to_vec()] } else { vec![b"http/1.1".to_vec()] };
    Ok(Some(cfg))
}

fn read_pem_certs(path: &std::path::Path, what: &'static str) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let err = |message: String| ClientError::TlsFile { what, path: path.display().to_string(), message };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| err(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(e.to_string()))?;
    if certs.is_empty() {
        return Err(err("no certificate found".to_string()));
    }
    Ok(certs)
}

/// `insecure_skip_verify`: any certificate, signatures still checked.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `server_name`: verify the certificate against this name instead of the
/// URL's host (SNI still carries the URL's host).
#[derive(Debug)]
struct NameOverride {
    inner: Arc<dyn ServerCertVerifier>,
    name: ServerName<'static>,
}

impl ServerCertVerifier for NameOverride {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner.verify_server_cert(end_entity, intermediates, &self.name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// An error and its sources, joined with `: ` as Go wraps errors.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        cur = s.source();
    }
    out
}

/// Reads a credentials file as Prometheus does: whitespace trimmed.
pub(crate) fn read_secret(path: &std::path::Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| format!("unable to read file {}: {e}", path.display()))
}

/// Adds `basic_auth` or `authorization` to a request; files are read now,
/// so a rotated secret is picked up by the next request.
pub fn with_auth(mut req: reqwest::RequestBuilder, cfg: &HttpClientConfig) -> Result<reqwest::RequestBuilder, String> {
    if let Some(b) = &cfg.basic_auth {
        let password = match (&b.password, &b.password_file) {
            (_, Some(f)) => Some(read_secret(f)?),
            (p, None) => p.clone(),
        };
        req = req.basic_auth(&b.username, password);
    }
    if let Some(a) = &cfg.authorization {
        let creds = match (&a.credentials, &a.credentials_file) {
            (_, Some(f)) => read_secret(f)?,
            (c, None) => c.clone().unwrap_or_default(),
        };
        req = req.header(reqwest::header::AUTHORIZATION, format!("{} {creds}", a.kind));
    }
    Ok(req)
}

/// A scraped body and its `Content-Type`.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    /// The body, decompressed.
    pub body: Vec<u8>,
    /// The response's `Content-Type` (empty when missing).
    pub content_type: String,
}

/// One scrape request: GET `url` with the job's credentials, the whole
/// exchange bounded by `timeout` and the decompressed body by `body_limit`
/// bytes (0 = none). Async; cancel-safe.
pub async fn fetch(client: &HttpClient, url: &str, timeout: Duration, body_limit: u64) -> Result<Fetched, FetchError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let request_err = |message: String| FetchError::Request { url: url.to_string(), message };
    let req = match tokio::time::timeout_at(deadline, client.request(reqwest::Method::GET, url)).await {
        Err(_) => return Err(FetchError::Timeout(url.to_string())),
        Ok(r) => r.map_err(request_err)?,
    };
    let req = req
        .header(reqwest::header::ACCEPT, SCRAPE_ACCEPT_HEADER)
        .header(reqwest::header::ACCEPT_ENCODING, "gzip")
        .header("X-Prometheus-Scrape-Timeout-Seconds", go_seconds(timeout));
    let resp = match tokio::time::timeout_at(deadline, req.send()).await {
        Err(_) => return Err(FetchError::Timeout(url.to_string())),
        Ok(Err(e)) if e.is_timeout() => return Err(FetchError::Timeout(url.to_string())),
        Ok(Err(e)) => return Err(request_err(request_message(&e, url))),
        Ok(Ok(r)) => r,
    };
    let status = resp.status();
    if status != reqwest::StatusCode::OK {
        return Err(FetchError::Status(format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""))));
    }
    let header = |name| resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let gzip = header(reqwest::header::CONTENT_ENCODING).eq_ignore_ascii_case("gzip");
    match tokio::time::timeout_at(deadline, read_body(resp, gzip, body_limit)).await {
        Err(_) => Err(FetchError::BodyTimeout),
        Ok(Err(e)) => Err(e),
        Ok(Ok(body)) => Ok(Fetched { body, content_type }),
    }
}

async fn read_body(mut resp: reqwest::Response, gzip: bool, limit: u64) -> Result<Vec<u8>, FetchError> {
    let over = |n: usize| crate::limits::check_body_size(n as u64, limit).map_err(|_| FetchError::BodySizeLimit);
    if gzip {
        let mut dec = flate2::write::GzDecoder::new(Vec::new());
        while let Some(chunk) = resp.chunk().await.map_err(|e| FetchError::Read(error_chain(&e)))? {
            dec.write_all(&chunk).map_err(|e| FetchError::Read(format!("gzip: {e}")))?;
            over(dec.get_ref().len())?;
        }
        let body = dec.finish().map_err(|e| FetchError::Read(format!("gzip: {e}")))?;
        over(body.len())?;
        Ok(body)
    } else {
        // Size the buffer once from Content-Length (capped by the body size
        // limit) rather than doubling it up to a scrape body's size.
        let hint = resp.content_length().unwrap_or(0);
        let cap = if limit > 0 { hint.min(limit.saturating_add(1)) } else { hint.min(64 << 20) };
        let mut body = Vec::with_capacity(usize::try_from(cap).unwrap_or(0));
        while let Some(chunk) = resp.chunk().await.map_err(|e| FetchError::Read(error_chain(&e)))? {
            body.extend_from_slice(&chunk);
            over(body.len())?;
        }
        Ok(body)
    }
}

/// The cause of a failed request in Go's words where Go's differ (refused
/// connections, certificate errors); otherwise the cause chain without
/// reqwest's and hyper's own wrapping.
fn request_message(e: &reqwest::Error, url: &str) -> String {
    use std::error::Error as _;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = e.source();
    let mut rest = None;
    while let Some(s) = cur {
        // tokio-rustls wraps rustls' error in an io::Error, whose source()
        // skips it: look inside.
        let io = s.downcast_ref::<std::io::Error>();
        if io.is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused) {
            return format!("dial tcp {}: connect: connection refused", host_port(url));
        }
        if let Some(rustls::Error::InvalidCertificate(c)) = find_rustls(s) {
            return x509_message(c);
        }
        let text = s.to_string();
        if rest.is_none() && !text.starts_with("client error") {
            rest = Some(error_chain(s));
        }
        cur = s.source();
    }
    rest.unwrap_or_else(|| error_chain(e))
}

/// The rustls error in `e`, looking through nested `io::Error`s.
fn find_rustls<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur = e;
    for _ in 0..8 {
        if let Some(r) = cur.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        cur = cur.downcast_ref::<std::io::Error>()?.get_ref()?;
    }
    None
}

/// Go's crypto/x509 wording for the certificate errors users hit most.
fn x509_message(c: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    match c {
        C::UnknownIssuer => "x509: certificate signed by unknown authority".to_string(),
        C::Expired | C::ExpiredContext { .. } => "x509: certificate has expired or is not yet valid".to_string(),
        C::NotValidForNameContext { expected, presented } => {
            // rustls prints each name as `DnsName("host")`.
            let names: Vec<&str> = presented.iter().map(|p| p.split('"').nth(1).unwrap_or(p.as_str())).collect();
            format!("x509: certificate is valid for {}, not {}", names.join(", "), server_name_text(expected))
        }
        other => format!("x509: {other:?}"),
    }
}

fn server_name_text(n: &ServerName<'_>) -> String {
    match n {
        ServerName::DnsName(d) => d.as_ref().to_string(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

/// The `host:port` of a URL, default ports filled in.
fn host_port(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let hp = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hp = hp.rsplit('@').next().unwrap_or(hp);
    let has_port = if let Some(r) = hp.strip_prefix('[') { r.contains("]:") } else { hp.contains(':') };
    if has_port { hp.to_string() } else { format!("{hp}:{}", if scheme == "https" { 443 } else { 80 }) }
}

/// Go's `strconv.FormatFloat(d.Seconds(), 'f', -1, 64)`.
fn go_seconds(d: Duration) -> String {
    let s = format!("{}", d.as_secs_f64());
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_header_and_messages() {
        assert_eq!(go_seconds(Duration::from_secs(10)), "10");
        assert_eq!(go_seconds(Duration::from_millis(1500)), "1.5");
        assert_eq!(
            FetchError::Status("500 Internal Server Error".into()).to_string(),
            "server returned HTTP status 500 Internal Server Error"
        );
        assert_eq!(
            FetchError::Timeout("http://a:1/metrics".into()).to_string(),
            "Get \"http://a:1/metrics\": context deadline exceeded"
        );
        assert_eq!(FetchError::BodySizeLimit.to_string(), "body size limit exceeded");
    }
}
