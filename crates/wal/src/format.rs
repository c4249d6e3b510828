//! The byte layout of segments and batch frames (documented in FORMAT.md).
//!
//! Encoding lives here, and so does [`SegmentScanner`], the one place that
//! decodes frames from a file; the repair scan and the [`crate::Reader`] both use it,
//! so they can never disagree about where the last good frame ends.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{Corruption, Error, Result};

/// Magic bytes opening every segment.
pub(crate) const SEGMENT_MAGIC: [u8; 4] = *b"AWAL";
/// Current format version, byte 4 of the segment header.
pub(crate) const FORMAT_VERSION: u8 = 1;
/// Length of the segment header.
pub(crate) const SEGMENT_HEADER_LEN: u64 = 8;
/// Length of a frame header: type, payload length, record count, CRC32C.
pub(crate) const FRAME_HEADER_LEN: usize = 13;
/// The only frame type of version 1: one committed batch of records.
pub(crate) const FRAME_TYPE_BATCH: u8 = 1;

/// The 8-byte header written at the start of each segment.
pub(crate) fn segment_header() -> [u8; SEGMENT_HEADER_LEN as usize] {
    let [a, b, c, d] = SEGMENT_MAGIC;
    [a, b, c, d, FORMAT_VERSION, 0, 0, 0]
}

/// Encodes `records` as one batch frame into `buf` (cleared first).
pub(crate) fn encode_batch(buf: &mut Vec<u8>, records: &[&[u8]]) -> Result<()> {
    buf.clear();
    buf.extend_from_slice(&[0u8; FRAME_HEADER_LEN]);
    for r in records {
        put_uvarint(buf, r.len() as u64);
        buf.extend_from_slice(r);
    }
    let too_large = || Error::BatchTooLarge { records: records.len(), bytes: buf.len() };
    let payload_len = u32::try_from(buf.len() - FRAME_HEADER_LEN).map_err(|_| too_large())?;
    let count = u32::try_from(records.len()).map_err(|_| too_large())?;
    let mut head = [0u8; 9];
    head[0] = FRAME_TYPE_BATCH;
    head[1..5].copy_from_slice(&payload_len.to_le_bytes());
    head[5..9].copy_from_slice(&count.to_le_bytes());
    let payload = buf.get(FRAME_HEADER_LEN..).unwrap_or_default();
    let crc = crc32c::crc32c_append(crc32c::crc32c(&head), payload);
    if let Some(h) = buf.get_mut(..9) {
        h.copy_from_slice(&head);
    }
    if let Some(h) = buf.get_mut(9..FRAME_HEADER_LEN) {
        h.copy_from_slice(&crc.to_le_bytes());
    }
    Ok(())
}

fn put_uvarint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Reads one uvarint from the front of `buf`, returning it and the bytes used.
fn get_uvarint(buf: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, b) in buf.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i as u32);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// Splits the next record off the front of a batch payload.
///
/// Returns `None` when the payload is malformed; `rest` is left unchanged then.
pub(crate) fn next_record<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, used) = get_uvarint(rest)?;
    let len = usize::try_from(len).ok()?;
    let body = rest.get(used..)?;
    let rec = body.get(..len)?;
    *rest = body.get(len..)?;
    Some(rec)
}

/// Checks that a payload holds exactly `count` records and nothing else.
fn payload_is_valid(mut payload: &[u8], count: u32) -> bool {
    for _ in 0..count {
        if next_record(&mut payload).is_none() {
            return false;
        }
    }
    payload.is_empty()
}

/// A frame decoded from the front of an in-memory buffer (see [`parse_frame`]).
pub(crate) enum ParsedFrame<'a> {
    /// A valid batch of `len` bytes (header included) and its records.
    Batch {
        /// Bytes the frame occupies.
        len: usize,
        /// Its records, in order.
        records: Vec<&'a [u8]>,
    },
    /// The buffer ends inside the frame: more bytes may still be written.
    Incomplete,
    /// The frame is complete and invalid.
    Corrupt(Corruption),
}

/// Decodes the frame at the start of `buf`, which may end early (a file
/// still being written). The same checks as [`SegmentScanner::next_frame`].
pub(crate) fn parse_frame(buf: &[u8]) -> ParsedFrame<'_> {
    let Some(head) = buf.get(..FRAME_HEADER_LEN) else {
        return match buf.first() {
            None | Some(&FRAME_TYPE_BATCH) => ParsedFrame::Incomplete,
            Some(&t) => ParsedFrame::Corrupt(Corruption::BadFrameType(t)),
        };
    };
    let word = |i: usize| {
        let mut a = [0u8; 4];
        a.copy_from_slice(head.get(i..i + 4).unwrap_or(&[0; 4]));
        u32::from_le_bytes(a)
    };
    let (typ, payload_len, count, crc) = (head.first().copied().unwrap_or(0), word(1), word(5), word(9));
    if typ != FRAME_TYPE_BATCH {
        return ParsedFrame::Corrupt(Corruption::BadFrameType(typ));
    }
    let len = FRAME_HEADER_LEN + payload_len as usize;
    let Some(payload) = buf.get(FRAME_HEADER_LEN..len) else {
        return ParsedFrame::Incomplete;
    };
    let head9 = head.get(..9).unwrap_or_default();
    if crc32c::crc32c_append(crc32c::crc32c(head9), payload) != crc {
        return ParsedFrame::Corrupt(Corruption::ChecksumMismatch);
    }
    if !payload_is_valid(payload, count) {
        return ParsedFrame::Corrupt(Corruption::BadPayload);
    }
    let mut rest = payload;
    let records = (0..count).map_while(|_| next_record(&mut rest)).collect();
    ParsedFrame::Batch { len, records }
}

/// The outcome of reading one frame.
pub(crate) enum Frame {
    /// A good batch; its payload is in [`SegmentScanner::payload`].
    Batch {
        /// Records in the batch.
        count: u32,
    },
    /// Clean end of the segment, exactly at a frame boundary.
    End,
    /// A bad frame starting at [`SegmentScanner::frame_offset`].
    Corrupt(Corruption),
}

/// Sequential frame decoder over one segment file.
///
/// The file length is taken once at open, so a length field is checked against the
/// bytes really present before any allocation (a corrupt length never allocates GiBs).
pub(crate) struct SegmentScanner {
    path: PathBuf,
    file: BufReader<File>,
    len: u64,
    offset: u64,
    frame_offset: u64,
    payload: Vec<u8>,
    header_corrupt: Option<Corruption>,
}

impl SegmentScanner {
    /// Opens `path` and checks its segment header.
    ///
    /// A short or foreign header is reported by the first [`Self::next_frame`] as
    /// corruption at offset 0; an unknown version is an error.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|source| Error::OpenSegment { path: path.to_path_buf(), source })?;
        let len = file.metadata().map_err(|source| Error::OpenSegment { path: path.to_path_buf(), source })?.len();
        let mut s = SegmentScanner {
            path: path.to_path_buf(),
            file: BufReader::with_capacity(1 << 20, file),
            len,
            offset: 0,
            frame_offset: 0,
            payload: Vec::new(),
            header_corrupt: None,
        };
        if len < SEGMENT_HEADER_LEN {
            s.header_corrupt = Some(Corruption::ShortSegmentHeader);
            return Ok(s);
        }
        let mut head = [0u8; SEGMENT_HEADER_LEN as usize];
        s.read_exact(&mut head)?;
        if head[..4] != SEGMENT_MAGIC {
            s.header_corrupt = Some(Corruption::BadMagic);
        } else if head[4] != FORMAT_VERSION {
            return Err(Error::UnsupportedVersion { path: s.path, version: head[4] });
        }
        s.offset = SEGMENT_HEADER_LEN;
        Ok(s)
    }

    /// The segment's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// File length at open.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Offset of the frame most recently returned (or of the corruption).
    pub(crate) fn frame_offset(&self) -> u64 {
        self.frame_offset
    }

    /// Payload of the batch most recently returned.
    pub(crate) fn payload(&self) -> &[u8] {
        &self.payload
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        self.file.read_exact(buf).map_err(|source| Error::Read { path: self.path.clone(), source })
    }

    /// Reads the next frame. I/O errors are errors; bad bytes are [`Frame::Corrupt`].
    pub(crate) fn next_frame(&mut self) -> Result<Frame> {
        self.frame_offset = self.offset;
        if let Some(c) = self.header_corrupt {
            self.frame_offset = 0;
            return Ok(Frame::Corrupt(c));
        }
        let remaining = self.len - self.offset;
        if remaining == 0 {
            return Ok(Frame::End);
        }
        if remaining < FRAME_HEADER_LEN as u64 {
            // A zero tail shorter than a header is still a zero fill; report the type.
            let mut first = [0u8; 1];
            self.read_exact(&mut first)?;
            self.offset = self.len;
            return Ok(Frame::Corrupt(match first[0] {
                FRAME_TYPE_BATCH => Corruption::TornFrameHeader,
                t => Corruption::BadFrameType(t),
            }));
        }
        let mut head = [0u8; FRAME_HEADER_LEN];
        self.read_exact(&mut head)?;
        if head[0] != FRAME_TYPE_BATCH {
            return Ok(Frame::Corrupt(Corruption::BadFrameType(head[0])));
        }
        let payload_len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]);
        let count = u32::from_le_bytes([head[5], head[6], head[7], head[8]]);
        let crc = u32::from_le_bytes([head[9], head[10], head[11], head[12]]);
        if u64::from(payload_len) > remaining - FRAME_HEADER_LEN as u64 {
            return Ok(Frame::Corrupt(Corruption::TornPayload));
        }
        self.payload.resize(payload_len as usize, 0);
        let mut payload = std::mem::take(&mut self.payload);
        let read = self.read_exact(&mut payload);
        self.payload = payload;
        read?;
        self.offset += FRAME_HEADER_LEN as u64 + u64::from(payload_len);
        let head9 = head.get(..9).unwrap_or_default();
        if crc32c::crc32c_append(crc32c::crc32c(head9), &self.payload) != crc {
            return Ok(Frame::Corrupt(Corruption::ChecksumMismatch));
        }
        if !payload_is_valid(&self.payload, count) {
            return Ok(Frame::Corrupt(Corruption::BadPayload));
        }
        Ok(Frame::Batch { count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uvarint_round_trip() {
        let check = |v: u64| {
            let mut b = Vec::new();
            put_uvarint(&mut b, v);
            assert_eq!(get_uvarint(&b), Some((v, b.len())));
        };
        for v in [0, 1, 127, 128, 300, 1 << 32, u64::MAX] {
            check(v);
        }
        assert_eq!(get_uvarint(&[0x80, 0x80]), None);
    }

    #[test]
    fn payload_round_trip() {
        let mut buf = Vec::new();
        let recs: [&[u8]; 3] = [b"a", b"", &[7u8; 300]];
        encode_batch(&mut buf, &recs).unwrap();
        let mut p = &buf[FRAME_HEADER_LEN..];
        assert!(payload_is_valid(p, 3));
        assert!(!payload_is_valid(p, 2));
        for r in recs {
            assert_eq!(next_record(&mut p), Some(r));
        }
        assert_eq!(next_record(&mut p), None);
    }
}
