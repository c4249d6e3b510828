//! The queue manager of one `remote_write` entry, as Prometheus 2.42's
//! `remote.QueueManager`: it keeps the WAL's series (relabelled, with the
//! external labels), hashes each sample by series onto one of its shards,
//! and each shard batches up to `max_samples_per_send` samples or waits at
//! most `batch_send_deadline`, then sends with retries.
//!
//! Back-pressure: a shard's queue holds `capacity` samples; when it is full
//! [`QueueManager::append`] blocks, and so does the WAL watcher that called
//! it. The WAL is the buffer of a receiver outage: nothing is read, and so
//! nothing is lost, while the remote is down (as long as the WAL keeps the
//! segments, about two hours of head).
//!
//! Order: one series always goes to the same shard and a shard sends one
//! batch at a time, so a series' samples reach the remote in order. A change
//! of the shard count first drains every old shard, for the same reason.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use argus_model::remote::{self as prompb, MetricMetadata, WriteRequest};
use argus_model::storage::SeriesRef;
use argus_model::{Labels, Sample};
use argus_scrape::config::RemoteWriteConfig;
use parking_lot::{Mutex, RwLock};
use tokio::sync::{mpsc, watch};

use crate::client::{RemoteClient, StoreError};
use crate::metrics::{Metrics, queue_labels};
use crate::shards::ShardCount;

/// Where the WAL watcher delivers what it reads (Prometheus' `WriteTo`).
pub trait WalSink: Send + Sync {
    /// Series records read from `segment` (or from a checkpoint, with its index).
    fn store_series(&self, series: Vec<(SeriesRef, Labels)>, segment: u32);
    /// Forgets series last seen in a segment before `segment` (after a checkpoint).
    fn series_reset(&self, segment: u32);
    /// Queues samples; blocks while the shards are full. Returns false when
    /// the queue is stopping and the watcher should stop too.
    fn append(&self, samples: &[(SeriesRef, Sample)]) -> bool;
    /// Whether the sink stopped; the watcher then stops too.
    fn stopped(&self) -> bool;
}

/// A sample ready to send, with its final wire labels.
#[derive(Debug, Clone)]
struct Pending {
    labels: Arc<Vec<prompb::Label>>,
    t: i64,
    v: f64,
}

struct SeriesEntry {
    /// `None`: dropped by `write_relabel_configs`.
    labels: Option<Arc<Vec<prompb::Label>>>,
    segment: u32,
}

/// Where `metric metadata` comes from: the scrape manager's targets' metadata.
pub type MetadataFn = Arc<dyn Fn() -> Vec<MetricMetadata> + Send + Sync>;

/// How long shards keep trying to send what they hold once the queue stops
/// (Prometheus' `--storage.remote.flush-deadline`, default 1m).
pub const FLUSH_DEADLINE: Duration = Duration::from_secs(5);

/// Options of one queue that do not come from its config entry.
#[derive(Clone)]
pub struct QueueOptions {
    /// `global.external_labels`, added to every series (series labels win).
    pub external_labels: Labels,
    /// Metadata source for `metadata_config.send`; `None` sends none.
    pub metadata: Option<MetadataFn>,
    /// How long to keep sending after stop.
    pub flush_deadline: Duration,
}

struct ShardSet {
    senders: Vec<mpsc::Sender<Pending>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Statistics the shard count is computed from (see [`crate::shards`]).
#[derive(Default)]
pub(crate) struct Rates {
    pub(crate) samples_in: AtomicU64,
    pub(crate) samples_out: AtomicU64,
    pub(crate) send_nanos: AtomicU64,
    pub(crate) highest_in_ms: AtomicI64,
    pub(crate) highest_sent_ms: AtomicI64,
    pub(crate) last_send_failed: AtomicBool,
}

/// The queue of one remote: series cache, shards, metadata sender.
pub struct QueueManager {
    name: String,
    cfg: RemoteWriteConfig,
    client: Arc<RemoteClient>,
    opts: QueueOptions,
    series: Mutex<HashMap<SeriesRef, SeriesEntry>>,
    shards: RwLock<Option<ShardSet>>,
    metrics: Arc<Metrics>,
    labels: Vec<(String, String)>,
    pub(crate) rates: Rates,
    stopping: AtomicBool,
    hard_stop: watch::Sender<bool>,
    runtime: tokio::runtime::Handle,
}

impl QueueManager {
    /// A stopped queue; [`QueueManager::start`] runs it. `name` is the
    /// `remote_name` label (the entry's name or a hash of it).
    pub(crate) fn new(
        name: String,
        cfg: RemoteWriteConfig,
        client: Arc<RemoteClient>,
        opts: QueueOptions,
        metrics: Arc<Metrics>,
        runtime: tokio::runtime::Handle,
    ) -> Arc<QueueManager> {
        let labels = queue_labels(&name, &cfg.url);
        let (hard_stop, _) = watch::channel(false);
        Arc::new(QueueManager {
            name,
            cfg,
            client,
            opts,
            series: Mutex::new(HashMap::new()),
            shards: RwLock::new(None),
            metrics,
            labels,
            rates: Rates::default(),
            stopping: AtomicBool::new(false),
            hard_stop,
            runtime,
        })
    }

    /// The `remote_name` label.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The config entry this queue runs.
    pub fn config(&self) -> &RemoteWriteConfig {
        &self.cfg
    }

    /// Starts `min_shards` shards, the metadata sender and the shard-count
    /// updater.
    pub(crate) fn start(self: &Arc<Self>) {
        let q = &self.cfg.queue_config;
        let m = &self.metrics;
        m.shards_max.get_or_create(&self.labels).set(q.max_shards as i64);
        m.shards_min.get_or_create(&self.labels).set(q.min_shards as i64);
        m.shard_capacity.get_or_create(&self.labels).set(q.capacity as i64);
        m.samples_pending.get_or_create(&self.labels).set(0);
        // Counters exist from the start (at 0), as Prometheus' do.
        for c in
            [&m.samples_in, &m.samples_total, &m.samples_failed, &m.samples_retried, &m.samples_dropped, &m.bytes_total]
        {
            let _ = c.get_or_create(&self.labels);
        }
        let _ = m.sent_batch_duration.get_or_create(&self.labels);
        self.set_shards(q.min_shards.max(1) as usize);
        if self.cfg.metadata_config.send && self.opts.metadata.is_some() {
            self.runtime.spawn(self.clone().run_metadata());
        }
        self.runtime.spawn(self.clone().run_resharding());
    }

    fn set_shards(self: &Arc<Self>, n: usize) {
        let cap = (self.cfg.queue_config.capacity as usize).max(1);
        let mut senders = Vec::with_capacity(n);
        let mut tasks = Vec::with_capacity(n);
        for _ in 0..n {
            let (tx, rx) = mpsc::channel(cap);
            senders.push(tx);
            tasks.push(self.runtime.spawn(self.clone().run_shard(rx)));
        }
        *self.shards.write() = Some(ShardSet { senders, tasks });
        self.metrics.shards.get_or_create(&self.labels).set(n as i64);
    }

    /// The current shard count.
    pub fn shard_count(&self) -> usize {
        self.shards.read().as_ref().map_or(0, |s| s.senders.len())
    }

    /// Drains the running shards and starts `n` new ones. Appends wait meanwhile.
    pub(crate) async fn reshard(self: &Arc<Self>, n: usize) {
        let old = self.shards.write().take();
        if let Some(old) = old {
            drop(old.senders);
            for t in old.tasks {
                let _ = t.await;
            }
        }
        if !self.stopping.load(Ordering::Acquire) {
            tracing::info!(remote_name = %self.name, url = %self.cfg.url, shards = n, "remote write resharded");
            self.set_shards(n);
        }
    }

    /// Stops reading, then lets the shards send what they hold for at most
    /// the flush deadline, then drops the rest.
    pub(crate) async fn stop(self: &Arc<Self>) {
        self.stopping.store(true, Ordering::Release);
        let old = self.shards.write().take();
        let Some(old) = old else { return };
        drop(old.senders);
        let mut tasks = old.tasks;
        let flush = async {
            for t in tasks.iter_mut() {
                let _ = t.await;
            }
        };
        if tokio::time::timeout(self.opts.flush_deadline, flush).await.is_err() {
            tracing::warn!(remote_name = %self.name, "remote write flush deadline passed; dropping unsent samples");
        }
        let _ = self.hard_stop.send(true);
        for t in tasks.iter_mut() {
            if !t.is_finished() {
                let _ = t.await;
            }
        }
        self.metrics.remove(&self.labels);
    }

    /// Whether [`QueueManager::stop`] was called.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    async fn run_shard(self: Arc<Self>, mut rx: mpsc::Receiver<Pending>) {
        let max = (self.cfg.queue_config.max_samples_per_send as usize).max(1);
        let deadline = self.cfg.queue_config.batch_send_deadline.max(Duration::from_millis(1));
        let mut batch: Vec<Pending> = Vec::with_capacity(max);
        let mut timer = Box::pin(tokio::time::sleep(deadline));
        loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(p) => {
                        if batch.is_empty() {
                            timer.as_mut().reset(tokio::time::Instant::now() + deadline);
                        }
                        batch.push(p);
                        if batch.len() >= max {
                            self.send_batch(std::mem::take(&mut batch)).await;
                        }
                    }
                    None => {
                        if !batch.is_empty() {
                            self.send_batch(batch).await;
                        }
                        return;
                    }
                },
                _ = &mut timer, if !batch.is_empty() => {
                    self.send_batch(std::mem::take(&mut batch)).await;
                }
            }
        }
    }

    async fn send_batch(&self, batch: Vec<Pending>) {
        let n = batch.len() as u64;
        let highest = batch.iter().map(|p| p.t).max().unwrap_or(i64::MIN);
        let req = WriteRequest {
            timeseries: batch
                .into_iter()
                .map(|p| prompb::TimeSeries {
                    labels: p.labels.as_ref().clone(),
                    samples: vec![prompb::Sample { value: p.v, timestamp: p.t }],
                    ..Default::default()
                })
                .collect(),
            metadata: Vec::new(),
        };
        let body = argus_model::remote::encode_write_request(&req);
        let begin = Instant::now();
        let res = self.send_with_backoff(body, n).await;
        let r = &self.rates;
        r.samples_out.fetch_add(n, Ordering::Relaxed);
        r.send_nanos.fetch_add(begin.elapsed().as_nanos() as u64, Ordering::Relaxed);
        self.metrics.samples_pending.get_or_create(&self.labels).dec_by(n as i64);
        match res {
            Ok(()) => {
                r.last_send_failed.store(false, Ordering::Relaxed);
                let prev = r.highest_sent_ms.fetch_max(highest, Ordering::Relaxed);
                if highest > prev {
                    self.metrics.highest_sent.get_or_create(&self.labels).set(highest as f64 / 1000.0);
                }
            }
            Err(e) => {
                r.last_send_failed.store(true, Ordering::Relaxed);
                self.metrics.samples_failed.get_or_create(&self.labels).inc_by(n);
                tracing::error!(remote_name = %self.name, url = %self.cfg.url, count = n, err = %e, "non-recoverable error sending samples; dropped");
            }
        }
    }

    /// Sends `body` until it succeeds, fails for good, or the hard stop.
    async fn send_with_backoff(&self, body: Vec<u8>, n: u64) -> Result<(), String> {
        let q = &self.cfg.queue_config;
        let mut backoff = q.min_backoff;
        let mut hard = self.hard_stop.subscribe();
        loop {
            if *hard.borrow() {
                return Err("queue stopped before the samples could be sent".into());
            }
            self.metrics.samples_total.get_or_create(&self.labels).inc_by(n);
            self.metrics.bytes_total.get_or_create(&self.labels).inc_by(body.len() as u64);
            let begin = Instant::now();
            let res = tokio::select! {
                r = self.client.store(body.clone()) => r,
                _ = hard.wait_for(|s| *s) => return Err("queue stopped while sending".into()),
            };
            self.metrics.sent_batch_duration.get_or_create(&self.labels).observe(begin.elapsed().as_secs_f64());
            match res {
                Ok(()) => return Ok(()),
                Err(StoreError::Unrecoverable(m)) => return Err(m),
                Err(StoreError::Recoverable { message, retry_after }) => {
                    self.metrics.samples_retried.get_or_create(&self.labels).inc_by(n);
                    self.rates.last_send_failed.store(true, Ordering::Relaxed);
                    let sleep = retry_after.unwrap_or(backoff);
                    tracing::warn!(remote_name = %self.name, url = %self.cfg.url, err = %message, retry_in = ?sleep, "failed to send batch, retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(sleep) => {}
                        _ = hard.wait_for(|s| *s) => return Err("queue stopped while retrying".into()),
                    }
                    backoff = (backoff * 2).min(q.max_backoff.max(q.min_backoff));
                }
            }
        }
    }

    async fn run_metadata(self: Arc<Self>) {
        let Some(source) = self.opts.metadata.clone() else { return };
        let per_send = (self.cfg.metadata_config.max_samples_per_send as usize).max(1);
        let mut tick = tokio::time::interval(self.cfg.metadata_config.send_interval.max(Duration::from_secs(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut hard = self.hard_stop.subscribe();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = hard.wait_for(|s| *s) => return,
            }
            if self.is_stopping() {
                return;
            }
            let all = source();
            for chunk in all.chunks(per_send) {
                let req = WriteRequest { timeseries: Vec::new(), metadata: chunk.to_vec() };
                let body = argus_model::remote::encode_write_request(&req);
                let n = chunk.len() as u64;
                match self.send_metadata(body).await {
                    Ok(()) => {
                        self.metrics.metadata_total.get_or_create(&self.labels).inc_by(n);
                    }
                    Err(e) => {
                        self.metrics.metadata_failed.get_or_create(&self.labels).inc_by(n);
                        tracing::error!(remote_name = %self.name, url = %self.cfg.url, count = n, err = %e, "cannot send metadata; dropped");
                    }
                };
            }
        }
    }

    async fn send_metadata(&self, body: Vec<u8>) -> Result<(), String> {
        let q = &self.cfg.queue_config;
        let mut backoff = q.min_backoff;
        let mut hard = self.hard_stop.subscribe();
        loop {
            let res = tokio::select! {
                r = self.client.store(body.clone()) => r,
                _ = hard.wait_for(|s| *s) => return Err("queue stopped".into()),
            };
            match res {
                Ok(()) => return Ok(()),
                Err(StoreError::Unrecoverable(m)) => return Err(m),
                Err(StoreError::Recoverable { retry_after, .. }) => {
                    tokio::select! {
                        _ = tokio::time::sleep(retry_after.unwrap_or(backoff)) => {}
                        _ = hard.wait_for(|s| *s) => return Err("queue stopped".into()),
                    }
                    backoff = (backoff * 2).min(q.max_backoff.max(q.min_backoff));
                }
            }
        }
    }

    async fn run_resharding(self: Arc<Self>) {
        let mut count = ShardCount::new(&self.cfg.queue_config);
        let mut tick = tokio::time::interval(crate::shards::UPDATE_INTERVAL);
        tick.tick().await;
        let mut hard = self.hard_stop.subscribe();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = hard.wait_for(|s| *s) => return,
            }
            if self.is_stopping() {
                return;
            }
            let current = self.shard_count();
            if let Some(n) = count.update(&self.rates, current) {
                self.reshard(n).await;
            }
        }
    }

    fn wire_labels(&self, ls: &Labels) -> Option<Arc<Vec<prompb::Label>>> {
        let mut with_ext = ls.clone();
        if !self.opts.external_labels.is_empty() {
            let mut b = ls.builder();
            for l in self.opts.external_labels.iter() {
                if ls.get(&l.name).is_none() {
                    b.set(l.name.clone(), l.value.clone());
                }
            }
            with_ext = b.build();
        }
        let out = if self.cfg.write_relabel_configs.is_empty() {
            with_ext
        } else {
            argus_scrape::relabel::process(&with_ext, &self.cfg.write_relabel_configs)?
        };
        (!out.is_empty()).then(|| Arc::new(argus_model::remote::labels_to_wire(&out)))
    }
}

impl WalSink for QueueManager {
    fn stopped(&self) -> bool {
        self.is_stopping()
    }

    fn store_series(&self, series: Vec<(SeriesRef, Labels)>, segment: u32) {
        let mut m = self.series.lock();
        for (r, ls) in series {
            let labels = self.wire_labels(&ls);
            m.insert(r, SeriesEntry { labels, segment });
        }
    }

    fn series_reset(&self, segment: u32) {
        self.series.lock().retain(|_, e| e.segment >= segment);
    }

    fn append(&self, samples: &[(SeriesRef, Sample)]) -> bool {
        // A stopped queue has removed its metrics; counting now would bring them back.
        if self.is_stopping() {
            return false;
        }
        let mut ready = Vec::with_capacity(samples.len());
        let mut dropped = 0u64;
        {
            let m = self.series.lock();
            for (r, s) in samples {
                match m.get(r).and_then(|e| e.labels.clone()) {
                    Some(labels) => ready.push((*r, Pending { labels, t: s.t, v: s.v })),
                    None => dropped += 1,
                }
            }
        }
        self.metrics.samples_in.get_or_create(&self.labels).inc_by(samples.len() as u64);
        self.rates.samples_in.fetch_add(samples.len() as u64, Ordering::Relaxed);
        if let Some(h) = samples.iter().map(|(_, s)| s.t).max() {
            self.rates.highest_in_ms.fetch_max(h, Ordering::Relaxed);
            self.metrics.observe_highest_in(h);
        }
        if dropped > 0 {
            self.metrics.samples_dropped.get_or_create(&self.labels).inc_by(dropped);
        }
        let pending = self.metrics.samples_pending.get_or_create(&self.labels).clone();
        let mut i = 0;
        while i < ready.len() {
            // A reshard takes the shard set away for a moment: wait for the new one.
            let senders = match self.shards.read().as_ref() {
                Some(s) => s.senders.clone(),
                None if self.is_stopping() => return false,
                None => {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            };
            while let Some((r, p)) = ready.get(i) {
                let Some(tx) = senders.get((*r as usize) % senders.len().max(1)) else { return false };
                pending.inc();
                if tx.blocking_send(p.clone()).is_err() {
                    pending.dec();
                    break; // shard closed: resharding or stopping; look again
                }
                i += 1;
            }
            if self.is_stopping() {
                return false;
            }
        }
        !self.is_stopping()
    }
}

#[cfg(test)]
#[path = "queue_tests.rs"]
mod tests;
