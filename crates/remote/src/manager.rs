//! [`WriteManager`]: the `remote_write` section of the config made real —
//! one [`QueueManager`] and one WAL [`Watcher`] thread per entry — and
//! brought in line with each reloaded config.
//!
//! A queue is identified by its resolved entry plus the external labels; on
//! reload an unchanged queue keeps running untouched (its series cache,
//! shards and backlog), a changed or removed one is stopped (flushing for at
//! most the flush deadline) and a new one starts at the current time.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use argus_model::Labels;
use argus_scrape::config::{Config, RemoteWriteConfig};
use prometheus_client::registry::Registry;

use crate::client::RemoteClient;
use crate::error::Error;
use crate::metrics::Metrics;
use crate::queue::{FLUSH_DEADLINE, MetadataFn, QueueManager, QueueOptions, WalSink};
use crate::watcher::Watcher;

/// Options of a [`WriteManager`].
#[derive(Clone)]
pub struct WriteOptions {
    /// Metric metadata to send when `metadata_config.send` is on.
    pub metadata: Option<MetadataFn>,
    /// How long stopping queues keep sending what they hold.
    pub flush_deadline: Duration,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions { metadata: None, flush_deadline: FLUSH_DEADLINE }
    }
}

struct Running {
    key: u64,
    queue: Arc<QueueManager>,
    watcher: std::thread::JoinHandle<()>,
}

/// Runs the remote-write queues of the current config.
pub struct WriteManager {
    wal_dir: PathBuf,
    opts: WriteOptions,
    metrics: Arc<Metrics>,
    running: tokio::sync::Mutex<Vec<Running>>,
}

impl WriteManager {
    /// A manager following the WAL in `wal_dir` (`<tsdb path>/wal`), with no queues yet.
    pub fn new(wal_dir: impl AsRef<Path>, opts: WriteOptions) -> WriteManager {
        WriteManager {
            wal_dir: wal_dir.as_ref().to_path_buf(),
            opts,
            metrics: Arc::new(Metrics::default()),
            running: tokio::sync::Mutex::new(Vec::new()),
        }
    }

    /// Registers the `argus_remote_storage_*` metrics in `reg`.
    pub fn register_metrics(&self, reg: &mut Registry) {
        self.metrics.register(reg);
    }

    /// The running queues, in config order.
    pub async fn queues(&self) -> Vec<Arc<QueueManager>> {
        self.running.lock().await.iter().map(|r| r.queue.clone()).collect()
    }

    /// Brings the queues in line with `cfg.remote_write`. Must run inside a
    /// tokio runtime. An entry whose HTTP client cannot be built is left out
    /// and reported; every other entry is applied.
    pub async fn apply_config(&self, cfg: &Config) -> Result<(), Vec<Error>> {
        let ext = &cfg.global.external_labels;
        let mut running = self.running.lock().await;
        let mut old: Vec<Running> = std::mem::take(&mut *running);
        let mut errors = Vec::new();
        let now = now_ms();
        for entry in &cfg.remote_write {
            let key = queue_key(entry, ext);
            if running.iter().any(|r| r.key == key) {
                // Prometheus refuses identical entries; so do we (one queue is enough).
                tracing::warn!(url = %entry.url, "duplicate remote_write entry ignored");
                continue;
            }
            if let Some(i) = old.iter().position(|r| r.key == key) {
                running.push(old.swap_remove(i));
                continue;
            }
            match self.start_queue(entry, ext, key, now).await {
                Ok(r) => running.push(r),
                Err(e) => {
                    tracing::error!(url = %entry.url, err = %e, "remote write queue not started");
                    errors.push(e);
                }
            }
        }
        // Keep config order for `queues()`.
        let order: Vec<u64> = cfg.remote_write.iter().map(|e| queue_key(e, ext)).collect();
        running.sort_by_key(|r| order.iter().position(|k| *k == r.key));
        drop(running);
        for r in old {
            stop_queue(r).await;
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    async fn start_queue(
        &self,
        entry: &RemoteWriteConfig,
        ext: &Labels,
        key: u64,
        start_ms: i64,
    ) -> Result<Running, Error> {
        let (url, http, headers, timeout, r429) = (
            entry.url.clone(),
            entry.http_client.clone(),
            entry.headers.clone(),
            entry.remote_timeout,
            entry.queue_config.retry_on_http_429,
        );
        let client = tokio::task::spawn_blocking(move || RemoteClient::new(&url, &http, &headers, timeout, r429))
            .await
            .map_err(|e| Error::Start { url: entry.url.clone(), message: format!("client set-up panicked: {e}") })??;
        let name = entry.name.clone().unwrap_or_else(|| format!("{:06x}", key & 0xff_ffff));
        let queue = QueueManager::new(
            name.clone(),
            entry.clone(),
            Arc::new(client),
            QueueOptions {
                external_labels: ext.clone(),
                metadata: self.opts.metadata.clone(),
                flush_deadline: self.opts.flush_deadline,
            },
            self.metrics.clone(),
            tokio::runtime::Handle::current(),
        );
        queue.start();
        let sink: Arc<dyn WalSink> = queue.clone();
        let w = Watcher::new(&self.wal_dir, sink, start_ms, &name);
        let watcher = std::thread::Builder::new()
            .name(format!("rw-watch-{name}"))
            .spawn(move || w.run())
            .map_err(|e| Error::Start { url: entry.url.clone(), message: format!("cannot start WAL watcher: {e}") })?;
        tracing::info!(remote_name = %name, url = %entry.url, "started remote write queue");
        Ok(Running { key, queue, watcher })
    }

    /// Stops every queue (flushing for at most the flush deadline) and its watcher.
    pub async fn stop(&self) {
        let all = std::mem::take(&mut *self.running.lock().await);
        for r in all {
            stop_queue(r).await;
        }
    }
}

async fn stop_queue(r: Running) {
    let name = r.queue.name().to_string();
    r.queue.stop().await;
    // The watcher sees the stop within one poll interval, or at once if blocked on a full shard.
    let _ = tokio::task::spawn_blocking(move || r.watcher.join()).await;
    tracing::info!(remote_name = %name, "stopped remote write queue");
}

fn queue_key(entry: &RemoteWriteConfig, ext: &Labels) -> u64 {
    let mut h = DefaultHasher::new();
    format!("{entry:?}").hash(&mut h);
    ext.to_string().hash(&mut h);
    h.finish()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}
