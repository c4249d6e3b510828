//! The WAL watcher, as Prometheus 2.42's `wlog.Watcher`: it follows the
//! database's WAL directory and hands series and samples to a [`WalSink`].
//!
//! On start it reads the latest checkpoint (series records only), then every
//! segment after it in order, keeping the series of all of them; samples are
//! passed on only when newer than the watcher's start time, so a (re)started
//! argus sends new data, not the whole WAL again. At the last segment it
//! tails the file (polling every [`POLL_INTERVAL`]) and moves on when the
//! database starts a new segment. When a checkpoint newer than what was read
//! appears, its series are read and series older than it forgotten.
//!
//! If the watcher falls so far behind that the segments it needs were
//! truncated by a checkpoint (an outage longer than the WAL's span), it
//! skips to the oldest segment left and logs how many segments it missed.
//!
//! It runs on its own thread because [`WalSink::append`] blocks while the
//! remote cannot keep up; that back-pressure is what keeps unsent data in
//! the WAL instead of memory.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use argus_tsdb::wal_records::{self, Record};
use argus_wal::{Checkpoint, LiveReader, list_segments, segment_path};

use crate::error::Result;
use crate::queue::WalSink;

/// How often the live segment is checked for new records.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Follows one WAL directory for one sink.
pub struct Watcher {
    dir: PathBuf,
    sink: Arc<dyn WalSink>,
    start_ms: i64,
    name: String,
    /// Index of the checkpoint whose series were read last.
    checkpoint: Option<u32>,
}

enum Flow {
    Continue,
    Stop,
}

impl Watcher {
    /// A watcher of `wal_dir` that passes samples newer than `start_ms`.
    pub fn new(wal_dir: impl AsRef<Path>, sink: Arc<dyn WalSink>, start_ms: i64, name: &str) -> Watcher {
        Watcher { dir: wal_dir.as_ref().to_path_buf(), sink, start_ms, name: name.to_string(), checkpoint: None }
    }

    /// Runs until the sink stops. Blocking: call it on a dedicated thread.
    /// Read errors (a corrupt record, a vanished file) are logged and the
    /// watch starts over from the latest checkpoint after a second.
    pub fn run(mut self) {
        loop {
            match self.watch() {
                Ok(()) => return,
                Err(e) => {
                    if self.sink.stopped() {
                        return;
                    }
                    tracing::warn!(remote_name = %self.name, err = %e, "WAL watcher error; restarting the watch");
                    self.checkpoint = None;
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
    }

    fn watch(&mut self) -> Result<()> {
        // The database creates the directory; before that there is nothing to read.
        while !self.dir.is_dir() {
            if self.sink.stopped() {
                return Ok(());
            }
            std::thread::sleep(POLL_INTERVAL);
        }
        let cp = self.read_checkpoint(None)?;
        let mut seg = loop {
            let segs = list_segments(&self.dir)?;
            if let Some(&s) = segs.iter().find(|&&s| cp.is_none_or(|c| s > c)) {
                break s;
            }
            if self.sink.stopped() {
                return Ok(());
            }
            std::thread::sleep(POLL_INTERVAL);
        };
        loop {
            let mut reader = LiveReader::open(segment_path(&self.dir, seg))?;
            let next = loop {
                if let Flow::Stop = self.read(&mut reader, seg)? {
                    return Ok(());
                }
                let segs = list_segments(&self.dir)?;
                if let Some(&n) = segs.iter().find(|&&s| s > seg) {
                    // The writer moved on: what it wrote here before the cut is complete.
                    if let Flow::Stop = self.read(&mut reader, seg)? {
                        return Ok(());
                    }
                    break n;
                }
                if self.sink.stopped() {
                    return Ok(());
                }
                std::thread::sleep(POLL_INTERVAL);
            };
            if next != seg + 1 {
                tracing::warn!(remote_name = %self.name, from = seg, to = next, "WAL segments were removed before they could be sent; skipping them");
                self.read_checkpoint(None)?;
            } else {
                self.read_checkpoint(Some(next))?;
            }
            seg = next;
        }
    }

    /// Reads the latest checkpoint's series if it is newer than the one read
    /// before and (when `before` is given) older than segment `before`, then
    /// forgets series older than it. Returns the checkpoint's index.
    fn read_checkpoint(&mut self, before: Option<u32>) -> Result<Option<u32>> {
        let Some(cp) = Checkpoint::latest(&self.dir)? else { return Ok(self.checkpoint) };
        if self.checkpoint.is_some_and(|c| c >= cp.index) || before.is_some_and(|b| cp.index >= b) {
            return Ok(self.checkpoint);
        }
        let mut reader = argus_wal::Reader::new(&cp.path, 0)?;
        while let Some(rec) = reader.next_record()? {
            if let Ok(Record::Series(s)) = wal_records::decode(rec) {
                self.sink.store_series(s, cp.index);
            }
        }
        self.sink.series_reset(cp.index);
        self.checkpoint = Some(cp.index);
        Ok(self.checkpoint)
    }

    fn read(&mut self, reader: &mut LiveReader, seg: u32) -> Result<Flow> {
        loop {
            let mut records = Vec::new();
            let n = reader.read_available(|rec| records.push(wal_records::decode(rec)))?;
            for rec in records {
                match rec {
                    Ok(Record::Series(s)) => self.sink.store_series(s, seg),
                    Ok(Record::Samples(ss)) => {
                        let start = self.start_ms;
                        let fresh: Vec<_> = ss.into_iter().filter(|(_, s)| s.t > start).collect();
                        if !fresh.is_empty() && !self.sink.append(&fresh) {
                            return Ok(Flow::Stop);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(remote_name = %self.name, segment = seg, err = %e, "skipping undecodable WAL record")
                    }
                }
            }
            if n == 0 {
                return Ok(Flow::Continue);
            }
        }
    }
}
