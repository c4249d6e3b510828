//! Remote storage of argus: remote write out and remote read, with
//! Prometheus 2.42's semantics.
//!
//! This crate owns sending samples to `remote_write` endpoints — a WAL
//! watcher per endpoint that tails the database's WAL ([`Watcher`]), a queue
//! manager with sharded, batched, retried sends ([`QueueManager`]), the
//! `argus_remote_storage_*` metrics — and reading from `remote_read`
//! endpoints ([`RemoteRead`]), merged with local storage by [`Fanout`].
//!
//! It does not own the remote write receiver or the remote read server
//! (`argus-web`), the wire format (`argus-model::remote`), the config model
//! (`argus-scrape::config`), relabeling (`argus-scrape::relabel`) or the HTTP
//! client settings (`argus-scrape::http`); it reuses all of them. It reads the
//! WAL through `argus-wal` and `argus-tsdb`'s public record decoder and never
//! writes storage.
//!
//! Main types: [`WriteManager`] (one per process, applied to each loaded
//! config), [`RemoteRead`] (one `Queryable` per `remote_read` entry),
//! [`Fanout`] (local first, then remotes).
//!
//! ```no_run
//! # async fn f(cfg: argus_scrape::Config) {
//! let manager = argus_remote::WriteManager::new("data/wal", Default::default());
//! manager.apply_config(&cfg).await.ok();
//! // ... on reload: apply_config again; at shutdown:
//! manager.stop().await;
//! # }
//! ```
//!
//! Deliberate differences from Prometheus 2.42 are listed in `DIFFERENCES.md`.
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing))]

mod client;
mod error;
mod fanout;
mod manager;
mod metrics;
mod queue;
mod read;
mod shards;
mod watcher;

pub use client::{REMOTE_USER_AGENT, REMOTE_WRITE_VERSION, RemoteClient, StoreError};
pub use error::{Error, Result};
pub use fanout::Fanout;
pub use manager::{WriteManager, WriteOptions};
pub use queue::{FLUSH_DEADLINE, MetadataFn, QueueManager, QueueOptions, WalSink};
pub use read::{MAX_READ_DECODED_BYTES, MAX_READ_RESPONSE_BYTES, RemoteRead, StartTimeFn};
pub use watcher::{POLL_INTERVAL, Watcher};
