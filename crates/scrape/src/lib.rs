//! Scraping: turning exposition bodies into stored samples, one scrape per
//! commit, with Prometheus' synthetic series and staleness markers.
//!
//! This crate owns the scrape loop's semantics (target labels, `up` and
//! `scrape_*` series, staleness, the per-target series cache), prometheus.yml
//! ([`config`]: raw serde form, then a validated [`Config`] with Prometheus
//! 2.42's defaults and messages), relabeling ([`relabel`], every 2.42 action),
//! discovery ([`discovery`]: static, file, HTTP and DNS SD), target building
//! ([`target`]: `PopulateLabels`, scrape URLs, dropped targets) and scrape-time
//! limits ([`limits`]), and running it all: [`ScrapeManager`] keeps one pool
//! per job with its discovery tasks (static, file, HTTP, DNS A/AAAA/SRV/MX) and one
//! [`ScrapeLoop`] per target, scraping over HTTP ([`http`]: TLS, auth,
//! [`oauth2`], proxy, gzip, body size limit) or, through an [`InternalResolver`], from a
//! body produced in-process. Every scrape, HTTP or in-process, is stored by
//! one core ([`append`]). [`api`] gives the targets and metadata snapshots in
//! Prometheus' JSON; [`InternalTarget`] is a lone in-process target without
//! a manager.
//!
//! It does not own storage (it writes through `Appendable`), parsing
//! (`argus_model::exposition`), HTTP routing of the API (`argus-web`) or
//! remote write (its config is parsed and validated here).
//!
//! ```
//! use argus_model::storage::{MemStorage, Queryable};
//! use argus_model::exposition::Format;
//! let store = MemStorage::new();
//! let mut t = argus_scrape::InternalTarget::new("argus", "localhost:9090", std::time::Duration::from_secs(15));
//! let r = t.scrape_once(&store, b"a 1\nb 2\n", Format::PromText, 1000, 0.001);
//! assert_eq!((r.samples_scraped, r.series_added), (2, 2));
//! ```
//!
//! Running a config: one manager, `apply_config` on start and on every
//! reload, snapshots for the API, `stop` at shutdown.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use std::sync::Arc;
//! use argus_model::storage::MemStorage;
//! use argus_scrape::{ManagerOpts, ScrapeManager, TargetState, config};
//! let yaml = "scrape_configs:\n- job_name: node\n  static_configs: [{targets: ['h:9100']}]\n";
//! let cfg = config::parse(yaml, "prometheus.yml".as_ref(), &Default::default()).unwrap();
//! let opts = ManagerOpts { initial_discovery_wait: std::time::Duration::ZERO, ..Default::default() };
//! let m = ScrapeManager::new(Arc::new(MemStorage::new()), opts);
//! m.apply_config(&cfg).await.unwrap();
//! assert_eq!(m.scrape_pools(), ["node"]);
//! # for _ in 0..100 { if !m.targets(TargetState::Active).active_targets.is_empty() { break } tokio::task::yield_now().await }
//! let t = m.targets(TargetState::Active);
//! assert_eq!(t.active_targets[0].scrape_url, "http://h:9100/metrics");
//! m.stop().await;
//! # }
//! ```
//!
//! Loading a config and building a job's targets:
//!
//! ```
//! use argus_scrape::{config, target};
//! let yaml = "scrape_configs:\n- job_name: node\n  static_configs: [{targets: ['h:9100']}]\n";
//! let cfg = config::parse(yaml, "prometheus.yml".as_ref(), &config::LoadOptions::default()).unwrap();
//! let job = &cfg.scrape_configs[0];
//! let set = target::targets_from_groups(&job.discovery.static_configs, job, false);
//! assert_eq!(set.active[0].url(), "http://h:9100/metrics");
//! assert_eq!(set.active[0].labels().get("instance"), Some("h:9100"));
//! ```
#![deny(missing_docs)]

pub mod api;
pub mod append;
pub mod config;
pub mod discovery;
pub mod http;
mod internal;
pub mod limits;
mod manager;
mod metrics;
pub mod oauth2;
pub mod relabel;
mod scrape_loop;
pub mod target;

pub use api::{TargetDiscovery, TargetMetadata, TargetState};
pub use append::{ScrapeReport, SeriesCache};
pub use config::{Config, ConfigError, LoadOptions, ScrapeConfig};
pub use http::{HttpClient, build_client};
pub use internal::{InternalTarget, Source};
pub use manager::{ApplyError, GlobalUrlOptions, InternalResolver, ManagerOpts, ScrapeManager, local_resolver};
pub use relabel::RelabelConfig;
pub use scrape_loop::{Health, LoopHandle, ScrapeLoop, StopMode, TargetShared, TargetStatus};
pub use target::{Target, TargetSet};
