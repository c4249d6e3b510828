//! Sequential reading of records: from a segment on, or checkpoint then segments.
//!
//! The reader fixes its list of files when it is built and streams them with a
//! buffered reader, holding one batch in memory at a time. It is meant for replay
//! before writing starts, or for closed segments (below [`crate::Wal::current_segment`])
//! while writing goes on, e.g. to build a checkpoint.

use std::path::{Path, PathBuf};

use crate::checkpoint::Checkpoint;
use crate::error::{Corruption, Error, Result};
use crate::format::{Frame, SegmentScanner, next_record};
use crate::segment::{list_segments, segment_path};

/// Which file a [`Reader`] is reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Segment `segment` inside checkpoint `checkpoint`.
    Checkpoint {
        /// Index of the checkpoint (the last WAL segment it covers).
        checkpoint: u32,
        /// Segment within the checkpoint directory.
        segment: u32,
    },
    /// WAL segment with this index.
    Segment(u32),
}

/// Progress of a replay, reported once per file, after its first record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The file just started.
    pub position: Position,
    /// Files finished before this one.
    pub done: usize,
    /// Files in this replay.
    pub total: usize,
}

/// Totals of a finished replay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Records passed to the callback.
    pub records: u64,
    /// Their payload bytes.
    pub bytes: u64,
    /// Files read (checkpoint segments and WAL segments).
    pub files: usize,
}

struct Source {
    path: PathBuf,
    position: Position,
}

/// Iterates records in log order; see the module docs for when it is safe to use.
///
/// Yields each record once. The first corrupt frame ends iteration with
/// [`Error::Corruption`] (open the [`crate::Wal`] first to repair a torn tail); an I/O
/// error also ends it. Blocking.
pub struct Reader {
    sources: Vec<Source>,
    next_source: usize,
    scan: Option<SegmentScanner>,
    batch_pos: usize,
    batch_left: u32,
    done: bool,
}

impl Reader {
    /// Reads the WAL segments of `dir` with index `>= from_segment`, ignoring checkpoints.
    pub fn new(dir: impl AsRef<Path>, from_segment: u32) -> Result<Reader> {
        Self::range(dir, from_segment, u32::MAX)
    }

    /// Reads the WAL segments of `dir` with index in `first..=last`.
    pub fn range(dir: impl AsRef<Path>, first: u32, last: u32) -> Result<Reader> {
        let dir = dir.as_ref();
        let sources = segment_sources(dir, first, last, Position::Segment)?;
        Ok(Self::from_sources(sources))
    }

    /// Reads the latest checkpoint (if any), then the WAL segments after it: what the
    /// owner replays on start-up.
    pub fn with_checkpoint(dir: impl AsRef<Path>) -> Result<Reader> {
        let dir = dir.as_ref();
        let Some(cp) = Checkpoint::latest(dir)? else {
            return Self::new(dir, 0);
        };
        let checkpoint = cp.index;
        let mut sources =
            segment_sources(&cp.path, 0, u32::MAX, |segment| Position::Checkpoint { checkpoint, segment })?;
        let first = checkpoint.saturating_add(1);
        let segs = segment_sources(dir, first, u32::MAX, Position::Segment)?;
        let first_found = segs.first().map(|src| src.position);
        if let Some(Position::Segment(s)) = first_found.filter(|&p| p != Position::Segment(first)) {
            tracing::warn!(checkpoint, first_segment = s, "WAL segments missing between checkpoint and first segment");
        }
        sources.extend(segs);
        Ok(Self::from_sources(sources))
    }

    fn from_sources(sources: Vec<Source>) -> Reader {
        Reader { sources, next_source: 0, scan: None, batch_pos: 0, batch_left: 0, done: false }
    }

    /// Returns the next record, borrowed until the next call, or `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<&[u8]>> {
        if !self.fill()? {
            return Ok(None);
        }
        let Some(scan) = self.scan.as_ref() else {
            return Ok(None);
        };
        let mut rest = scan.payload().get(self.batch_pos..).unwrap_or_default();
        let before = rest.len();
        let Some(rec) = next_record(&mut rest) else {
            // Unreachable: the scanner validated the payload against its record count.
            self.done = true;
            return Err(Error::Corruption {
                path: scan.path().to_path_buf(),
                offset: scan.frame_offset(),
                kind: Corruption::BadPayload,
            });
        };
        self.batch_pos += before - rest.len();
        self.batch_left -= 1;
        Ok(Some(rec))
    }

    /// Advances to a batch with records left; false at the end.
    fn fill(&mut self) -> Result<bool> {
        loop {
            if self.done {
                return Ok(false);
            }
            if self.batch_left > 0 {
                return Ok(true);
            }
            let Some(scan) = self.scan.as_mut() else {
                self.open_next()?;
                continue;
            };
            let frame = scan.next_frame();
            match frame {
                Ok(Frame::Batch { count }) => {
                    self.batch_pos = 0;
                    self.batch_left = count;
                }
                Ok(Frame::End) => self.scan = None,
                Ok(Frame::Corrupt(kind)) => {
                    self.done = true;
                    return Err(Error::Corruption {
                        path: scan.path().to_path_buf(),
                        offset: scan.frame_offset(),
                        kind,
                    });
                }
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            }
        }
    }

    fn open_next(&mut self) -> Result<()> {
        let Some(src) = self.sources.get(self.next_source) else {
            self.done = true;
            return Ok(());
        };
        self.next_source += 1;
        match SegmentScanner::open(&src.path) {
            Ok(scan) => {
                self.scan = Some(scan);
                Ok(())
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    /// The file being read, `None` before the first record and after the end.
    pub fn position(&self) -> Option<Position> {
        if self.done || self.scan.is_none() {
            return None;
        }
        self.sources.get(self.next_source.checked_sub(1)?).map(|s| s.position)
    }

    /// Files started so far and files in total, for progress logging.
    pub fn progress(&self) -> (usize, usize) {
        (self.next_source, self.sources.len())
    }
}

impl Iterator for Reader {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().map(|r| r.map(<[u8]>::to_vec)).transpose()
    }
}

fn segment_sources(dir: &Path, first: u32, last: u32, pos: impl Fn(u32) -> Position) -> Result<Vec<Source>> {
    Ok(list_segments(dir)?
        .into_iter()
        .filter(|&s| s >= first && s <= last)
        .map(|s| Source { path: segment_path(dir, s), position: pos(s) })
        .collect())
}

/// Replays the latest checkpoint and the segments after it, calling `f` on each record.
///
/// Open the [`crate::Wal`] first so torn tails are repaired. Blocking.
pub fn replay(dir: impl AsRef<Path>, f: impl FnMut(&[u8])) -> Result<ReplayStats> {
    replay_with_progress(dir, f, |_| {})
}

/// Like [`replay`], calling `progress` after the first record of each file.
pub fn replay_with_progress(
    dir: impl AsRef<Path>,
    mut f: impl FnMut(&[u8]),
    mut progress: impl FnMut(Progress),
) -> Result<ReplayStats> {
    let mut reader = Reader::with_checkpoint(dir)?;
    let mut stats = ReplayStats::default();
    let mut reported = 0;
    while let Some(rec) = reader.next_record()? {
        stats.records += 1;
        stats.bytes += rec.len() as u64;
        f(rec);
        let (started, total) = reader.progress();
        if started != reported {
            reported = started;
            if let Some(position) = reader.position() {
                progress(Progress { position, done: started - 1, total });
            }
        }
    }
    stats.files = reader.progress().0;
    Ok(stats)
}
