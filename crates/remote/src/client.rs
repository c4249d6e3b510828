//! One HTTP client per remote: remote write 1.0 requests and their outcome
//! as Prometheus 2.42's `remote.Client.Store` classifies it, and remote read.
//!
//! The reqwest client is built by `argus-scrape` from the entry's
//! `HttpClientConfig` (TLS, proxy, redirects, HTTP/2) and the credentials
//! (`basic_auth`, `authorization`, bearer token files) are added per request
//! by the same code scrapes use, so a rotated secret file is picked up.

use std::collections::BTreeMap;
use std::time::Duration;

use argus_scrape::config::HttpClientConfig;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};

use crate::error::{Error, Result};

/// The `User-Agent` of remote write and read requests.
pub const REMOTE_USER_AGENT: &str = argus_scrape::http::USER_AGENT;

/// The remote write protocol version header value of protocol 1.0.
pub const REMOTE_WRITE_VERSION: &str = "0.1.0";

/// Longest part of an error response body kept for the log.
const MAX_ERROR_BODY: usize = 1024;

/// How one remote write request ended, when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Retrying may help: a connection failure, a timeout, 5xx, or 429 with
    /// `retry_on_http_429`. `retry_after` is the server's `Retry-After`.
    #[error("{message}")]
    Recoverable {
        /// What happened.
        message: String,
        /// The server's requested delay, if any.
        retry_after: Option<Duration>,
    },
    /// Retrying cannot help (4xx, or a request that could not be built): drop.
    #[error("{0}")]
    Unrecoverable(String),
}

/// Sends to one remote endpoint. Cheap to share (`Arc`).
pub struct RemoteClient {
    url: String,
    http: reqwest::Client,
    http_cfg: HttpClientConfig,
    headers: BTreeMap<String, String>,
    timeout: Duration,
    retry_on_429: bool,
}

impl std::fmt::Debug for RemoteClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteClient").field("url", &self.url).finish_non_exhaustive()
    }
}

impl RemoteClient {
    /// A client for `url`. Blocking (reads TLS files).
    pub fn new(
        url: &str,
        http_cfg: &HttpClientConfig,
        headers: &BTreeMap<String, String>,
        timeout: Duration,
        retry_on_429: bool,
    ) -> Result<RemoteClient> {
        let http = argus_scrape::http::build_client(http_cfg)
            .map_err(|source| Error::Client { url: url.to_string(), source })?;
        Ok(RemoteClient {
            url: url.to_string(),
            http,
            http_cfg: http_cfg.clone(),
            headers: headers.clone(),
            timeout,
            retry_on_429,
        })
    }

    /// The endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn request(&self, body: Vec<u8>) -> std::result::Result<reqwest::RequestBuilder, String> {
        let mut req = self.http.post(&self.url).timeout(self.timeout).body(body);
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        req = req.header(USER_AGENT, REMOTE_USER_AGENT).header(CONTENT_ENCODING, "snappy");
        argus_scrape::http::with_auth(req, &self.http_cfg)
    }

    /// POSTs one snappy-compressed `WriteRequest`. Async; cancel-safe.
    pub async fn store(&self, body: Vec<u8>) -> std::result::Result<(), StoreError> {
        let req = self.request(body).map_err(StoreError::Unrecoverable)?;
        let req = req
            .header(CONTENT_TYPE, "application/x-protobuf")
            .header("X-Prometheus-Remote-Write-Version", REMOTE_WRITE_VERSION);
        let resp = match req.send().await {
            Ok(r) => r,
            // Connection refused, reset, DNS, timeout: the remote may come back.
            Err(e) => {
                return Err(StoreError::Recoverable {
                    message: argus_scrape::http::error_chain(&e),
                    retry_after: None,
                });
            }
        };
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = error_body(resp).await;
        let message = format!("server returned HTTP status {status}: {text}");
        if status.is_server_error() || (status.as_u16() == 429 && self.retry_on_429) {
            Err(StoreError::Recoverable { message, retry_after })
        } else {
            Err(StoreError::Unrecoverable(message))
        }
    }

    /// POSTs one snappy-compressed `ReadRequest` and returns the response
    /// body, refusing bodies over `max_bytes`. Async.
    pub async fn read(&self, body: Vec<u8>, max_bytes: usize) -> Result<Vec<u8>> {
        let err = |message: String| Error::Read { url: self.url.clone(), message };
        let req = self
            .request(body)
            .map_err(err)?
            .header(CONTENT_TYPE, "application/x-protobuf")
            .header("X-Prometheus-Remote-Read-Version", "0.1.0");
        let mut resp = req.send().await.map_err(|e| err(argus_scrape::http::error_chain(&e)))?;
        let status = resp.status();
        if !status.is_success() {
            let text = error_body(resp).await;
            return Err(err(format!("remote server returned HTTP status {status}: {text}")));
        }
        let mut out = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| err(argus_scrape::http::error_chain(&e)))? {
            if out.len() + chunk.len() > max_bytes {
                return Err(err(format!("response larger than {max_bytes} bytes")));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

/// The start of an error response's body, for the log line.
async fn error_body(mut resp: reqwest::Response) -> String {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        out.extend_from_slice(&chunk);
        if out.len() >= MAX_ERROR_BODY {
            out.truncate(MAX_ERROR_BODY);
            break;
        }
    }
    String::from_utf8_lossy(&out).trim().to_string()
}
