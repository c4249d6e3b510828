//! Tailing a segment that is still being written, for readers outside the
//! writer (the remote-write WAL watcher), as Prometheus' `wlog.LiveReader`.
//!
//! The writer appends each batch frame with one `write` call, so a reader can
//! see a prefix of a frame but never a frame whose bytes change afterwards.
//! [`LiveReader`] therefore treats a short frame at the end of the file as
//! "not yet written" and retries it on the next call; only a complete frame
//! that fails its checks is corruption. It keeps the file open, so a segment
//! deleted by a checkpoint while it is being read stays readable to the end.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::{Corruption, Error, Result};
use crate::format::{FORMAT_VERSION, ParsedFrame, SEGMENT_HEADER_LEN, SEGMENT_MAGIC, parse_frame};

/// Most bytes read from the file per [`LiveReader::read_available`] call, so a
/// reader catching up on a large segment holds a bounded buffer (a single
/// larger frame is still read whole).
const MAX_READ_CHUNK: usize = 16 << 20;

/// Reads the complete frames of one segment as they are appended.
///
/// Not thread safe (one reader per segment); blocking I/O.
pub struct LiveReader {
    path: PathBuf,
    file: File,
    /// File offset of the first byte of `pending`.
    offset: u64,
    /// Bytes read but not yet decoded: at most one incomplete frame.
    pending: Vec<u8>,
    header_done: bool,
}

impl LiveReader {
    /// Opens the segment at `path`, positioned at its start.
    pub fn open(path: impl AsRef<Path>) -> Result<LiveReader> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path).map_err(|source| Error::OpenSegment { path: path.clone(), source })?;
        Ok(LiveReader { path, file, offset: 0, pending: Vec::new(), header_done: false })
    }

    /// The segment's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Offset in the file just past the last complete frame decoded.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Decodes every complete frame appended since the last call and calls `f`
    /// on each record, in order. Returns the number of records passed.
    ///
    /// An incomplete frame (or header) at the end is kept for the next call.
    /// A complete frame that is invalid is [`Error::Corruption`]; the reader
    /// stays at that frame. A file that became shorter than what was already
    /// read (repaired by a writer after a crash) is [`Corruption::TornPayload`].
    pub fn read_available(&mut self, mut f: impl FnMut(&[u8])) -> Result<usize> {
        self.fill()?;
        if !self.header_done {
            if (self.pending.len() as u64) < SEGMENT_HEADER_LEN {
                return Ok(0);
            }
            let magic_ok = self.pending.get(..4) == Some(SEGMENT_MAGIC.as_slice());
            if !magic_ok {
                return Err(self.corrupt(Corruption::BadMagic));
            }
            let version = self.pending.get(4).copied().unwrap_or(0);
            if version != FORMAT_VERSION {
                return Err(Error::UnsupportedVersion { path: self.path.clone(), version });
            }
            self.pending.drain(..SEGMENT_HEADER_LEN as usize);
            self.offset = SEGMENT_HEADER_LEN;
            self.header_done = true;
        }
        let mut used = 0usize;
        let mut records = 0usize;
        let result = loop {
            let rest = self.pending.get(used..).unwrap_or_default();
            match parse_frame(rest) {
                ParsedFrame::Incomplete => break Ok(records),
                ParsedFrame::Corrupt(kind) => break Err(kind),
                ParsedFrame::Batch { len, records: recs } => {
                    for r in recs {
                        f(r);
                        records += 1;
                    }
                    used += len;
                }
            }
        };
        self.pending.drain(..used);
        self.offset += used as u64;
        result.map_err(|kind| self.corrupt(kind))
    }

    fn corrupt(&self, kind: Corruption) -> Error {
        Error::Corruption { path: self.path.clone(), offset: self.offset, kind }
    }

    /// Appends the bytes after what was read so far to `pending`.
    fn fill(&mut self) -> Result<()> {
        let read_err = |source| Error::Read { path: self.path.clone(), source };
        let len = self.file.metadata().map_err(read_err)?.len();
        let end = self.offset + self.pending.len() as u64;
        if len < end {
            return Err(self.corrupt(Corruption::TornPayload));
        }
        if len == end {
            return Ok(());
        }
        let want = usize::try_from(len - end).unwrap_or(usize::MAX).min(MAX_READ_CHUNK.max(self.pending.len()));
        self.file.seek(SeekFrom::Start(end)).map_err(|source| Error::Read { path: self.path.clone(), source })?;
        let start = self.pending.len();
        self.pending.resize(start + want, 0);
        let mut got = 0;
        while got < want {
            let buf = self.pending.get_mut(start + got..).unwrap_or_default();
            match self.file.read(buf) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    self.pending.truncate(start);
                    return Err(Error::Read { path: self.path.clone(), source });
                }
            }
        }
        self.pending.truncate(start + got);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FsyncPolicy, Wal, WalOptions};

    #[test]
    fn follows_appends_and_waits_for_partial_frames() {
        let dir = tempfile::tempdir().unwrap();
        let opts = WalOptions { fsync: FsyncPolicy::Never, ..WalOptions::default() };
        let (mut wal, _) = Wal::open(dir.path(), opts).unwrap();
        let seg = dir.path().join(format!("{:08}", wal.current_segment()));
        let mut r = LiveReader::open(&seg).unwrap();
        let mut got: Vec<Vec<u8>> = Vec::new();
        assert_eq!(r.read_available(|b| got.push(b.to_vec())).unwrap(), 0);
        wal.log(&[b"a", b"bb"]).unwrap();
        assert_eq!(r.read_available(|b| got.push(b.to_vec())).unwrap(), 2);
        wal.log(&[b"ccc"]).unwrap();
        // Simulate a reader that sees only a prefix of the next frame.
        let full = std::fs::read(&seg).unwrap();
        let cut = dir.path().join("cut");
        std::fs::write(&cut, &full[..full.len() - 2]).unwrap();
        let mut partial = LiveReader::open(&cut).unwrap();
        let mut p = Vec::new();
        assert_eq!(partial.read_available(|b| p.push(b.to_vec())).unwrap(), 2);
        std::fs::write(&cut, &full).unwrap();
        assert_eq!(partial.read_available(|b| p.push(b.to_vec())).unwrap(), 1);
        assert_eq!(r.read_available(|b| got.push(b.to_vec())).unwrap(), 1);
        assert_eq!(got, [b"a".to_vec(), b"bb".to_vec(), b"ccc".to_vec()]);
        assert_eq!(p, got);
    }

    #[test]
    fn corrupt_and_truncated_segments_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let opts = WalOptions { fsync: FsyncPolicy::Never, ..WalOptions::default() };
        let (mut wal, _) = Wal::open(dir.path(), opts).unwrap();
        wal.log(&[b"abc"]).unwrap();
        let seg = dir.path().join(format!("{:08}", wal.current_segment()));
        let mut bytes = std::fs::read(&seg).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        let bad = dir.path().join("bad");
        std::fs::write(&bad, &bytes).unwrap();
        let mut r = LiveReader::open(&bad).unwrap();
        assert!(matches!(r.read_available(|_| {}), Err(Error::Corruption { kind: Corruption::ChecksumMismatch, .. })));
        let mut r = LiveReader::open(&seg).unwrap();
        assert_eq!(r.read_available(|_| {}).unwrap(), 1);
        std::fs::OpenOptions::new().write(true).open(&seg).unwrap().set_len(8).unwrap();
        assert!(matches!(r.read_available(|_| {}), Err(Error::Corruption { kind: Corruption::TornPayload, .. })));
    }
}
