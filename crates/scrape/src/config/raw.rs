//! The raw form of prometheus.yml: serde structs that mirror what the user
//! wrote, field for field as in Prometheus 2.42, with unknown fields rejected.
//! Defaults, cross-field checks and compiled regexes live in the resolved form
//! (`super::resolve`); nothing here is validated beyond its YAML shape and the
//! syntax of single values (durations, sizes, label names).
//!
//! Go's YAML decoder inlines the HTTP client fields into several structs; serde
//! cannot combine `flatten` with `deny_unknown_fields`, so [`with_http_client!`]
//! pastes those fields into each struct instead.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::units::{parse_base2_bytes, parse_duration};

/// A string written as any YAML scalar (`port: 8080` is the string `"8080"`),
/// as Go's YAML decoder accepts it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(String::new()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A boolean as Go's YAML 1.1 decoder reads it: `true`/`false` and also the
/// plain words `yes`, `no`, `on`, `off`, `y`, `n` in any of their cases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GoBool(pub bool);

impl<'de> Deserialize<'de> for GoBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = GoBool;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<GoBool, E> {
                Ok(GoBool(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<GoBool, E> {
                match v {
                    "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Ok(GoBool(true)),
                    "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Ok(GoBool(false)),
                    _ => Err(E::custom(format!("cannot unmarshal !!str `{v}` into bool"))),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<GoBool, E> {
                Err(E::custom(format!("cannot unmarshal !!int `{v}` into bool")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<GoBool, E> {
                Err(E::custom(format!("cannot unmarshal !!int `{v}` into bool")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<GoBool, E> {
                Err(E::custom(format!("cannot unmarshal !!float `{v}` into bool")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A duration in Prometheus syntax (`15s`, `1h30m`); zero means "not set".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PromDuration(pub Duration);

impl<'de> Deserialize<'de> for PromDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Scalar::deserialize(d)?;
        parse_duration(&s.0).map(PromDuration).map_err(de::Error::custom)
    }
}

/// A byte size in `units.Base2Bytes` syntax (`10MB`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bytes(pub u64);

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Scalar::deserialize(d)?;
        parse_base2_bytes(&s.0).map(Bytes).map_err(de::Error::custom)
    }
}

/// A label set as written in YAML (`model.LabelSet`): names are checked while
/// parsing, as Go does, so the error carries the line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSet(pub BTreeMap<String, String>);

impl<'de> Deserialize<'de> for LabelSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = Option::<BTreeMap<String, Scalar>>::deserialize(d)?.unwrap_or_default();
        let mut out = BTreeMap::new();
        for (k, v) in m {
            if !argus_model::is_valid_label_name(&k) {
                return Err(de::Error::custom(format!("{k:?} is not a valid label name")));
            }
            out.insert(k, v.0);
        }
        Ok(LabelSet(out))
    }
}

/// Defines a struct and appends the fields of Go's inlined `HTTPClientConfig`.
macro_rules! with_http_client {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident : $t:ty,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$fm])* pub $f: $t,)*
            /// `basic_auth`.
            pub basic_auth: Option<BasicAuth>,
            /// `authorization`.
            pub authorization: Option<Authorization>,
            /// `oauth2`.
            pub oauth2: Option<OAuth2>,
            /// `bearer_token` (deprecated form of `authorization`).
            pub bearer_token: Option<String>,
            /// `bearer_token_file` (deprecated form of `authorization`).
            pub bearer_token_file: Option<String>,
            /// `tls_config`.
            pub tls_config: Option<TlsConfig>,
            /// `proxy_url`.
            pub proxy_url: Option<String>,
            /// `follow_redirects` (default true).
            pub follow_redirects: Option<GoBool>,
            /// `enable_http2` (default true).
            pub enable_http2: Option<GoBool>,
        }

        impl $name {
            /// The inlined HTTP client fields.
            pub fn http_client(&self) -> HttpClient {
                HttpClient {
                    basic_auth: self.basic_auth.clone(),
                    authorization: self.authorization.clone(),
                    oauth2: self.oauth2.clone(),
                    bearer_token: self.bearer_token.clone(),
                    bearer_token_file: self.bearer_token_file.clone(),
                    tls_config: self.tls_config.clone(),
                    proxy_url: self.proxy_url.clone(),
                    follow_redirects: self.follow_redirects.map(|b| b.0),
                    enable_http2: self.enable_http2.map(|b| b.0),
                }
            }
        }
    };
}

/// Go's `HTTPClientConfig`, gathered from the struct it was inlined into.
#[derive(Debug, Clone, Default)]
pub struct HttpClient {
    /// `basic_auth`.
    pub basic_auth: Option<BasicAuth>,
    /// `authorization`.
    pub authorization: Option<Authorization>,
    /// `oauth2`.
    pub oauth2: Option<OAuth2>,
    /// `bearer_token`.
    pub bearer_token: Option<String>,
    /// `bearer_token_file`.
    pub bearer_token_file: Option<String>,
    /// `tls_config`.
    pub tls_config: Option<TlsConfig>,
    /// `proxy_url`.
    pub proxy_url: Option<String>,
    /// `follow_redirects`.
    pub follow_redirects: Option<bool>,
    /// `enable_http2`.
    pub enable_http2: Option<bool>,
}

/// The whole file (Go: `config.Config`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `global`.
    pub global: Option<Global>,
    /// `alerting`.
    pub alerting: Option<Alerting>,
    /// `rule_files`.
    pub rule_files: Option<Vec<Scalar>>,
    /// `scrape_configs`; a `null` entry is kept to be reported.
    pub scrape_configs: Option<Vec<Option<ScrapeConfig>>>,
    /// `storage`.
    pub storage: Option<Storage>,
    /// `tracing`.
    pub tracing: Option<Tracing>,
    /// `remote_write`.
    pub remote_write: Option<Vec<Option<RemoteWrite>>>,
    /// `remote_read`.
    pub remote_read: Option<Vec<Option<RemoteRead>>>,
}

/// `global`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Global {
    /// `scrape_interval`.
    pub scrape_interval: Option<PromDuration>,
    /// `scrape_timeout`.
    pub scrape_timeout: Option<PromDuration>,
    /// `evaluation_interval`.
    pub evaluation_interval: Option<PromDuration>,
    /// `query_log_file`.
    pub query_log_file: Option<String>,
    /// `external_labels`.
    pub external_labels: Option<LabelSet>,
}

/// `alerting`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alerting {
    /// `alert_relabel_configs`.
    pub alert_relabel_configs: Option<Vec<Option<RelabelConfig>>>,
    /// `alertmanagers`.
    pub alertmanagers: Option<Vec<Option<Alertmanager>>>,
}

with_http_client! {
    /// One entry of `alertmanagers`.
    pub struct Alertmanager {
        /// `scheme`.
        pub scheme: Option<String>,
        /// `path_prefix`.
        pub path_prefix: Option<String>,
        /// `timeout`.
        pub timeout: Option<PromDuration>,
        /// `api_version`.
        pub api_version: Option<String>,
        /// `relabel_configs`.
        pub relabel_configs: Option<Vec<Option<RelabelConfig>>>,
        /// `static_configs`.
        pub static_configs: Option<Vec<Option<TargetGroup>>>,
        /// `file_sd_configs`.
        pub file_sd_configs: Option<Vec<Option<FileSd>>>,
        /// `http_sd_configs`.
        pub http_sd_configs: Option<Vec<Option<HttpSd>>>,
        /// `dns_sd_configs`.
        pub dns_sd_configs: Option<Vec<Option<DnsSd>>>,
    }
}

with_http_client! {
    /// One entry of `scrape_configs` (Go: `config.ScrapeConfig`).
    pub struct ScrapeConfig {
        /// `job_name`.
        pub job_name: Option<Scalar>,
        /// `honor_labels`.
        pub honor_labels: Option<GoBool>,
        /// `honor_timestamps`.
        pub honor_timestamps: Option<GoBool>,
        /// `params`.
        pub params: Option<BTreeMap<String, Option<Vec<Scalar>>>>,
        /// `scrape_interval`.
        pub scrape_interval: Option<PromDuration>,
        /// `scrape_timeout`.
        pub scrape_timeout: Option<PromDuration>,
        /// `metrics_path`.
        pub metrics_path: Option<String>,
        /// `scheme`.
        pub scheme: Option<String>,
        /// `body_size_limit`.
        pub body_size_limit: Option<Bytes>,
        /// `sample_limit`.
        pub sample_limit: Option<u64>,
        /// `target_limit`.
        pub target_limit: Option<u64>,
        /// `label_limit`.
        pub label_limit: Option<u64>,
        /// `label_name_length_limit`.
        pub label_name_length_limit: Option<u64>,
        /// `label_value_length_limit`.
        pub label_value_length_limit: Option<u64>,
        /// `relabel_configs`.
        pub relabel_configs: Option<Vec<Option<RelabelConfig>>>,
        /// `metric_relabel_configs`.
        pub metric_relabel_configs: Option<Vec<Option<RelabelConfig>>>,
        /// `static_configs`.
        pub static_configs: Option<Vec<Option<TargetGroup>>>,
        /// `file_sd_configs`.
        pub file_sd_configs: Option<Vec<Option<FileSd>>>,
        /// `http_sd_configs`.
        pub http_sd_configs: Option<Vec<Option<HttpSd>>>,
        /// `dns_sd_configs`.
        pub dns_sd_configs: Option<Vec<Option<DnsSd>>>,
    }
}

/// A target group as written in `static_configs` or a file_sd file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetGroup {
    /// `targets`: addresses.
    pub targets: Option<Vec<Scalar>>,
    /// `labels`: labels shared by the group's targets.
    pub labels: Option<LabelSet>,
}

/// One relabeling step (Go: `relabel.Config`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelabelConfig {
    /// `source_labels`.
    pub source_labels: Option<Vec<String>>,
    /// `separator`.
    pub separator: Option<String>,
    /// `regex`.
    pub regex: Option<Scalar>,
    /// `modulus`.
    pub modulus: Option<u64>,
    /// `target_label`.
    pub target_label: Option<String>,
    /// `replacement`.
    pub replacement: Option<Scalar>,
    /// `action`.
    pub action: Option<String>,
}

/// `file_sd_configs` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSd {
    /// `files`: paths or globs.
    pub files: Option<Vec<String>>,
    /// `refresh_interval` (default 5m).
    pub refresh_interval: Option<PromDuration>,
}

with_http_client! {
    /// `http_sd_configs` entry.
    pub struct HttpSd {
        /// `url`.
        pub url: Option<String>,
        /// `refresh_interval` (default 1m).
        pub refresh_interval: Option<PromDuration>,
    }
}

/// `dns_sd_configs` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsSd {
    /// `names`.
    pub names: Option<Vec<String>>,
    /// `refresh_interval` (default 30s).
    pub refresh_interval: Option<PromDuration>,
    /// `type` (SRV, A, AAAA, MX).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `port` (Go `int`: any integer is accepted).
    pub port: Option<i64>,
}

/// `basic_auth`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    /// `username`.
    pub username: Option<String>,
    /// `password`.
    pub password: Option<String>,
    /// `password_file`.
    pub password_file: Option<String>,
}

/// `authorization`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// `type` (default Bearer).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `credentials`.
    pub credentials: Option<String>,
    /// `credentials_file`.
    pub credentials_file: Option<String>,
}

/// `oauth2`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    /// `client_id`.
    pub client_id: Option<String>,
    /// `client_secret`.
    pub client_secret: Option<String>,
    /// `client_secret_file`.
    pub client_secret_file: Option<String>,
    /// `scopes`.
    pub scopes: Option<Vec<String>>,
    /// `token_url`.
    pub token_url: Option<String>,
    /// `endpoint_params`.
    pub endpoint_params: Option<BTreeMap<String, String>>,
    /// `tls_config`.
    pub tls_config: Option<TlsConfig>,
    /// `proxy_url`.
    pub proxy_url: Option<String>,
}

/// `tls_config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// `ca_file`.
    pub ca_file: Option<String>,
    /// `cert_file`.
    pub cert_file: Option<String>,
    /// `key_file`.
    pub key_file: Option<String>,
    /// `server_name`.
    pub server_name: Option<String>,
    /// `insecure_skip_verify`.
    pub insecure_skip_verify: Option<GoBool>,
    /// `min_version` (TLS10..TLS13).
    pub min_version: Option<String>,
    /// `max_version` (TLS10..TLS13).
    pub max_version: Option<String>,
}

with_http_client! {
    /// `remote_write` entry.
    pub struct RemoteWrite {
        /// `url`.
        pub url: Option<String>,
        /// `remote_timeout` (default 30s).
        pub remote_timeout: Option<PromDuration>,
        /// `headers`.
        pub headers: Option<BTreeMap<String, String>>,
        /// `write_relabel_configs`.
        pub write_relabel_configs: Option<Vec<Option<RelabelConfig>>>,
        /// `name`.
        pub name: Option<String>,
        /// `send_exemplars`.
        pub send_exemplars: Option<GoBool>,
        /// `send_native_histograms`.
        pub send_native_histograms: Option<GoBool>,
        /// `queue_config`.
        pub queue_config: Option<QueueConfig>,
        /// `metadata_config`.
        pub metadata_config: Option<MetadataConfig>,
        /// `sigv4`.
        pub sigv4: Option<SigV4>,
    }
}

/// `queue_config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// `capacity`.
    pub capacity: Option<u64>,
    /// `max_shards`.
    pub max_shards: Option<u64>,
    /// `min_shards`.
    pub min_shards: Option<u64>,
    /// `max_samples_per_send`.
    pub max_samples_per_send: Option<u64>,
    /// `batch_send_deadline`.
    pub batch_send_deadline: Option<PromDuration>,
    /// `min_backoff`.
    pub min_backoff: Option<PromDuration>,
    /// `max_backoff`.
    pub max_backoff: Option<PromDuration>,
    /// `retry_on_http_429`.
    pub retry_on_http_429: Option<GoBool>,
}

/// `metadata_config`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetadataConfig {
    /// `send`.
    pub send: Option<GoBool>,
    /// `send_interval`.
    pub send_interval: Option<PromDuration>,
    /// `max_samples_per_send`.
    pub max_samples_per_send: Option<u64>,
}

/// `sigv4`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigV4 {
    /// `region`.
    pub region: Option<String>,
    /// `access_key`.
    pub access_key: Option<String>,
    /// `secret_key`.
    pub secret_key: Option<String>,
    /// `profile`.
    pub profile: Option<String>,
    /// `role_arn`.
    pub role_arn: Option<String>,
}

with_http_client! {
    /// `remote_read` entry.
    pub struct RemoteRead {
        /// `url`.
        pub url: Option<String>,
        /// `remote_timeout` (default 1m).
        pub remote_timeout: Option<PromDuration>,
        /// `headers`.
        pub headers: Option<BTreeMap<String, String>>,
        /// `read_recent`.
        pub read_recent: Option<GoBool>,
        /// `name`.
        pub name: Option<String>,
        /// `required_matchers`.
        pub required_matchers: Option<LabelSet>,
        /// `filter_external_labels` (default true).
        pub filter_external_labels: Option<GoBool>,
    }
}

/// `storage`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// `tsdb`.
    pub tsdb: Option<StorageTsdb>,
    /// `exemplars`.
    pub exemplars: Option<StorageExemplars>,
}

/// `storage.tsdb`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageTsdb {
    /// `out_of_order_time_window`.
    pub out_of_order_time_window: Option<PromDuration>,
}

/// `storage.exemplars`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageExemplars {
    /// `max_exemplars`.
    pub max_exemplars: Option<i64>,
}

/// `tracing`: parsed so that configs using it load; argus does not trace.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tracing {
    /// `client_type`.
    pub client_type: Option<String>,
    /// `endpoint`.
    pub endpoint: Option<String>,
    /// `sampling_fraction`.
    pub sampling_fraction: Option<f64>,
    /// `insecure`.
    pub insecure: Option<GoBool>,
    /// `tls_config`.
    pub tls_config: Option<TlsConfig>,
    /// `headers`.
    pub headers: Option<BTreeMap<String, String>>,
    /// `compression`.
    pub compression: Option<String>,
    /// `timeout`.
    pub timeout: Option<PromDuration>,
}

/// The Go type Prometheus names in "field X not found in type T" for the raw
/// struct whose fields serde listed as `expected` (in declaration order).
pub(crate) fn go_type_for_fields(expected: &[&str]) -> &'static str {
    let first = expected.first().copied().unwrap_or("");
    if first == "url" && !expected.contains(&"refresh_interval") {
        // remote_write and remote_read decode through a `plain` type.
        return "config.plain";
    }
    match first {
        "job_name" => "config.ScrapeConfig",
        "scheme" => "config.AlertmanagerConfig",
        "targets" => r#"struct { Targets []string "yaml:\"targets\""; Labels model.LabelSet "yaml:\"labels\"" }"#,
        "source_labels" => "relabel.plain",
        "files" => "file.plain",
        "names" => "dns.plain",
        "url" => "http.plain",
        "type" => "config.Authorization",
        "client_id" => "config.OAuth2",
        "capacity" => "config.QueueConfig",
        "send" => "config.MetadataConfig",
        "region" => "sigv4.plain",
        "tsdb" => "config.StorageConfig",
        "max_exemplars" => "config.ExemplarsConfig",
        _ => "config.plain",
    }
}
