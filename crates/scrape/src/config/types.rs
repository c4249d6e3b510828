//! The resolved config: Prometheus' defaults applied, cross-field rules
//! checked, relabel steps compiled, bearer tokens folded into `authorization`,
//! and relative file paths joined to the config file's directory. These are the
//! types a scrape loop, the rule manager, the notifier and remote write take.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use argus_model::Labels;

use crate::discovery::TargetGroup;
use crate::relabel::RelabelConfig;

/// A loaded prometheus.yml.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was loaded from.
    pub path: PathBuf,
    /// `global`.
    pub global: GlobalConfig,
    /// `rule_files`, joined to the config directory; may contain globs.
    pub rule_files: Vec<PathBuf>,
    /// `alerting`.
    pub alerting: AlertingConfig,
    /// `scrape_configs`, in file order, job names unique.
    pub scrape_configs: Vec<ScrapeConfig>,
    /// `remote_write`.
    pub remote_write: Vec<RemoteWriteConfig>,
    /// `remote_read`.
    pub remote_read: Vec<RemoteReadConfig>,
    /// `storage`.
    pub storage: StorageConfig,
}

impl Config {
    /// The scrape config of `job`.
    pub fn scrape_config(&self, job: &str) -> Option<&ScrapeConfig> {
        self.scrape_configs.iter().find(|s| s.job_name == job)
    }
}

/// `global` with defaults (1m interval, 10s timeout capped at the interval, 1m evaluation).
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalConfig {
    /// Default scrape interval.
    pub scrape_interval: Duration,
    /// Default scrape timeout.
    pub scrape_timeout: Duration,
    /// Rule evaluation interval.
    pub evaluation_interval: Duration,
    /// Where to log queries, if anywhere.
    pub query_log_file: Option<PathBuf>,
    /// Labels added to series and alerts sent out.
    pub external_labels: Labels,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        GlobalConfig {
            scrape_interval: Duration::from_secs(60),
            scrape_timeout: Duration::from_secs(10),
            evaluation_interval: Duration::from_secs(60),
            query_log_file: None,
            external_labels: Labels::empty(),
        }
    }
}

/// Where targets come from: the service discovery configs of one scrape job or
/// Alertmanager set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiscoveryConfigs {
    /// `static_configs`, one target group each, sources "0", "1", ...
    pub static_configs: Vec<TargetGroup>,
    /// `file_sd_configs`.
    pub file_sd_configs: Vec<FileSdConfig>,
    /// `http_sd_configs`.
    pub http_sd_configs: Vec<HttpSdConfig>,
    /// `dns_sd_configs`.
    pub dns_sd_configs: Vec<DnsSdConfig>,
}

/// A scrape job, ready for a scrape loop.
#[derive(Debug, Clone, PartialEq)]
pub struct ScrapeConfig {
    /// `job_name`, unique in the file.
    pub job_name: String,
    /// Keep the scraped labels on conflict with target labels.
    pub honor_labels: bool,
    /// Use the timestamps in the body (default true).
    pub honor_timestamps: bool,
    /// URL query parameters (`__param_*` labels override the first value).
    pub params: BTreeMap<String, Vec<String>>,
    /// Scrape interval (the global one if unset).
    pub scrape_interval: Duration,
    /// Scrape timeout, at most the interval.
    pub scrape_timeout: Duration,
    /// Default `__metrics_path__` (`/metrics`).
    pub metrics_path: String,
    /// Default `__scheme__` (`http`).
    pub scheme: String,
    /// Largest accepted uncompressed body; 0 = no limit.
    pub body_size_limit: u64,
    /// Most samples per scrape after metric relabeling; 0 = no limit.
    pub sample_limit: u64,
    /// Most targets after target relabeling; 0 = no limit.
    pub target_limit: u64,
    /// Most labels per series; 0 = no limit.
    pub label_limit: u64,
    /// Longest label name; 0 = no limit.
    pub label_name_length_limit: u64,
    /// Longest label value; 0 = no limit.
    pub label_value_length_limit: u64,
    /// How to talk HTTP to targets.
    pub http_client: HttpClientConfig,
    /// Target relabeling.
    pub relabel_configs: Vec<RelabelConfig>,
    /// Relabeling of scraped series.
    pub metric_relabel_configs: Vec<RelabelConfig>,
    /// Where targets come from.
    pub discovery: DiscoveryConfigs,
}

/// HTTP client settings shared by scrape jobs, Alertmanagers, HTTP SD and remote storage.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpClientConfig {
    /// `basic_auth`.
    pub basic_auth: Option<BasicAuth>,
    /// `authorization`, including the folded `bearer_token(_file)`.
    pub authorization: Option<Authorization>,
    /// `oauth2`.
    pub oauth2: Option<OAuth2>,
    /// `tls_config`.
    pub tls_config: TlsConfig,
    /// `proxy_url`.
    pub proxy_url: Option<String>,
    /// `follow_redirects` (default true).
    pub follow_redirects: bool,
    /// `enable_http2` (default true).
    pub enable_http2: bool,
}

impl Default for HttpClientConfig {
    fn default() -> Self {
        HttpClientConfig {
            basic_auth: None,
            authorization: None,
            oauth2: None,
            tls_config: TlsConfig::default(),
            proxy_url: None,
            follow_redirects: true,
            enable_http2: true,
        }
    }
}

/// `basic_auth`.
#[derive(Debug, Clone, PartialEq)]
pub struct BasicAuth {
    /// User name.
    pub username: String,
    /// Password given inline.
    pub password: Option<String>,
    /// File holding the password (read at request time).
    pub password_file: Option<PathBuf>,
}

/// `authorization`: an `Authorization: <type> <credentials>` header.
#[derive(Debug, Clone, PartialEq)]
pub struct Authorization {
    /// The scheme (default `Bearer`).
    pub kind: String,
    /// Credentials given inline.
    pub credentials: Option<String>,
    /// File holding the credentials (read at request time).
    pub credentials_file: Option<PathBuf>,
}

/// `oauth2` client credentials.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuth2 {
    /// Client id.
    pub client_id: String,
    /// Inline secret.
    pub client_secret: Option<String>,
    /// File holding the secret.
    pub client_secret_file: Option<PathBuf>,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Token endpoint.
    pub token_url: String,
    /// Extra token request parameters.
    pub endpoint_params: BTreeMap<String, String>,
    /// TLS for the token endpoint.
    pub tls_config: TlsConfig,
    /// Proxy for the token endpoint.
    pub proxy_url: Option<String>,
}

/// A TLS protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.0.
    Tls10,
    /// TLS 1.1.
    Tls11,
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

/// `tls_config`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TlsConfig {
    /// CA certificate file.
    pub ca_file: Option<PathBuf>,
    /// Client certificate file (with `key_file`).
    pub cert_file: Option<PathBuf>,
    /// Client key file (with `cert_file`).
    pub key_file: Option<PathBuf>,
    /// Server name for SNI and verification.
    pub server_name: Option<String>,
    /// Skip server certificate verification.
    pub insecure_skip_verify: bool,
    /// Lowest accepted version.
    pub min_version: Option<TlsVersion>,
    /// Highest accepted version.
    pub max_version: Option<TlsVersion>,
}

/// `file_sd_configs` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSdConfig {
    /// Paths or globs (`*` only in the last path element), joined to the config directory.
    pub files: Vec<PathBuf>,
    /// How often to re-read the files (default 5m).
    pub refresh_interval: Duration,
}

/// `http_sd_configs` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSdConfig {
    /// The endpoint (http or https).
    pub url: String,
    /// Poll interval (default 1m).
    pub refresh_interval: Duration,
    /// HTTP client settings.
    pub http_client: HttpClientConfig,
}

/// DNS record type for `dns_sd_configs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsRecordType {
    /// SRV records (host and port from the record).
    Srv,
    /// A records (port from the config).
    A,
    /// AAAA records (port from the config).
    Aaaa,
    /// MX records (port from the config).
    Mx,
}

/// `dns_sd_configs` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsSdConfig {
    /// Names to query.
    pub names: Vec<String>,
    /// Re-query interval (default 30s).
    pub refresh_interval: Duration,
    /// Record type (default SRV).
    pub record_type: DnsRecordType,
    /// Port for A, AAAA and MX records (Go `int`, unchecked as in Prometheus).
    pub port: i64,
}

/// `alerting`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertingConfig {
    /// Relabeling applied to alerts before sending.
    pub alert_relabel_configs: Vec<RelabelConfig>,
    /// Where to send alerts.
    pub alertmanagers: Vec<AlertmanagerConfig>,
}

/// Alertmanager API version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertmanagerApiVersion {
    /// `/api/v1/alerts`.
    V1,
    /// `/api/v2/alerts` (default).
    V2,
}

/// One `alertmanagers` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertmanagerConfig {
    /// HTTP client settings.
    pub http_client: HttpClientConfig,
    /// `http` or `https` (default http).
    pub scheme: String,
    /// Path prefix (default `/`).
    pub path_prefix: String,
    /// Per-request timeout (default 10s).
    pub timeout: Duration,
    /// API version (default v2).
    pub api_version: AlertmanagerApiVersion,
    /// Relabeling of discovered Alertmanagers.
    pub relabel_configs: Vec<RelabelConfig>,
    /// Where Alertmanagers come from.
    pub discovery: DiscoveryConfigs,
}

/// `remote_write` entry (validated here; sending lives elsewhere).
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteWriteConfig {
    /// Endpoint.
    pub url: String,
    /// Request timeout (default 30s).
    pub remote_timeout: Duration,
    /// Extra headers (reserved ones rejected).
    pub headers: BTreeMap<String, String>,
    /// Relabeling before sending.
    pub write_relabel_configs: Vec<RelabelConfig>,
    /// Name (unique when set).
    pub name: Option<String>,
    /// Send exemplars.
    pub send_exemplars: bool,
    /// Send native histograms.
    pub send_native_histograms: bool,
    /// HTTP client settings.
    pub http_client: HttpClientConfig,
    /// Queue tuning.
    pub queue_config: QueueConfig,
    /// Metadata sending.
    pub metadata_config: MetadataConfig,
    /// AWS SigV4 signing, if configured.
    pub sigv4: Option<SigV4Config>,
}

/// `queue_config` with Prometheus 2.42's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueConfig {
    /// Samples buffered per shard (2500).
    pub capacity: u64,
    /// Most shards (200).
    pub max_shards: u64,
    /// Fewest shards (1).
    pub min_shards: u64,
    /// Samples per request (500).
    pub max_samples_per_send: u64,
    /// Longest wait before sending a partial batch (5s).
    pub batch_send_deadline: Duration,
    /// First retry backoff (30ms).
    pub min_backoff: Duration,
    /// Largest retry backoff (5s).
    pub max_backoff: Duration,
    /// Retry on HTTP 429 (false).
    pub retry_on_http_429: bool,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            capacity: 2500,
            max_shards: 200,
            min_shards: 1,
            max_samples_per_send: 500,
            batch_send_deadline: Duration::from_secs(5),
            min_backoff: Duration::from_millis(30),
            max_backoff: Duration::from_secs(5),
            retry_on_http_429: false,
        }
    }
}

/// `metadata_config` with defaults (send every 1m, 500 per request).
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataConfig {
    /// Whether to send metadata.
    pub send: bool,
    /// How often.
    pub send_interval: Duration,
    /// Metadata entries per request.
    pub max_samples_per_send: u64,
}

impl Default for MetadataConfig {
    fn default() -> Self {
        MetadataConfig { send: true, send_interval: Duration::from_secs(60), max_samples_per_send: 500 }
    }
}

/// `sigv4`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SigV4Config {
    /// AWS region.
    pub region: Option<String>,
    /// Access key.
    pub access_key: Option<String>,
    /// Secret key.
    pub secret_key: Option<String>,
    /// Profile.
    pub profile: Option<String>,
    /// Role to assume.
    pub role_arn: Option<String>,
}

/// `remote_read` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteReadConfig {
    /// Endpoint.
    pub url: String,
    /// Request timeout (default 1m).
    pub remote_timeout: Duration,
    /// Extra headers.
    pub headers: BTreeMap<String, String>,
    /// Also read ranges the local storage has.
    pub read_recent: bool,
    /// Name (unique when set).
    pub name: Option<String>,
    /// Equality matchers a query must have to be sent.
    pub required_matchers: BTreeMap<String, String>,
    /// Add external labels as matchers (default true).
    pub filter_external_labels: bool,
    /// HTTP client settings.
    pub http_client: HttpClientConfig,
}

/// `storage`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StorageConfig {
    /// `tsdb.out_of_order_time_window`.
    pub out_of_order_time_window: Duration,
    /// `exemplars.max_exemplars`.
    pub max_exemplars: Option<i64>,
}
