//! Scraping: turning exposition bodies into stored samples, one scrape per
//! commit, with Prometheus' synthetic series and staleness markers.
//!
//! This crate owns the scrape loop's semantics (target labels, `up` and
//! `scrape_*` series, staleness, the per-target series cache) and, as issue 4
//! lands, discovery and HTTP scraping. Today it offers [`InternalTarget`]: an
//! in-process target sampled like a scrape without an HTTP round trip; argus
//! scrapes its own metrics this way, and the push gateway will too.
//!
//! It does not own storage (it writes through `Appendable`) nor parsing
//! (`argus_model::exposition`).
//!
//! ```
//! use argus_model::storage::{MemStorage, Queryable};
//! use argus_model::exposition::Format;
//! let store = MemStorage::new();
//! let mut t = argus_scrape::InternalTarget::new("argus", "localhost:9090", std::time::Duration::from_secs(15));
//! let r = t.scrape_once(&store, b"a 1\nb 2\n", Format::PromText, 1000, 0.001);
//! assert_eq!((r.samples_scraped, r.series_added), (2, 2));
//! ```
#![deny(missing_docs)]

pub mod config;
pub mod discovery;
mod internal;
pub mod limits;
pub mod relabel;
pub mod target;

pub use config::{Config, ConfigError, LoadOptions, ScrapeConfig};
pub use internal::{InternalTarget, ScrapeReport, Source};
pub use relabel::RelabelConfig;
pub use target::{Target, TargetSet};
