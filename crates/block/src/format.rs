//! Constants and the fixed-size parts of the index and chunks files: file
//! headers, the index footer (section table of contents) and its checksums.
//! FORMAT.md describes the same bytes for humans; keep the two in step.

use crate::varint::Dec;

/// Magic at the start and end of the index file: the bytes "ARGI".
pub(crate) const INDEX_MAGIC: u32 = u32::from_le_bytes(*b"ARGI");
/// Magic at the start of the chunks file: the bytes "ARGC".
pub(crate) const CHUNKS_MAGIC: u32 = u32::from_le_bytes(*b"ARGC");
/// Index format version written by this crate.
pub(crate) const INDEX_VERSION: u8 = 1;
/// Chunks format version written by this crate.
pub(crate) const CHUNKS_VERSION: u8 = 1;
/// Both files start with magic (4 B), version (1 B) and 3 reserved bytes.
pub(crate) const HEADER_LEN: usize = 8;
/// Each run in the chunks file is followed by its CRC32C.
pub(crate) const RUN_CRC_LEN: u64 = 4;

/// Upper bound of series entries per series block, enforced by writer and reader.
pub(crate) const MAX_SERIES_PER_BLOCK: u32 = 65536;

/// Section numbers, in file order.
pub(crate) const SEC_SYMBOLS: usize = 0;
pub(crate) const SEC_SERIES: usize = 1;
pub(crate) const SEC_SERIES_TABLE: usize = 2;
pub(crate) const SEC_POSTINGS: usize = 3;
pub(crate) const SEC_LABEL_INDEX: usize = 4;
pub(crate) const NUM_SECTIONS: usize = 5;
pub(crate) const SECTION_NAMES: [&str; NUM_SECTIONS] =
    ["symbol table", "series", "series block table", "postings", "label index"];

/// Section payload stored as is.
pub(crate) const CODEC_RAW: u8 = 0;
/// Section payload is one zstd frame.
pub(crate) const CODEC_ZSTD: u8 = 1;

/// One table-of-contents entry: 8 + 8 + 8 + 4 + 1 + 3 = 32 bytes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SectionRef {
    pub(crate) offset: u64,
    pub(crate) len: u64,
    pub(crate) raw_len: u64,
    pub(crate) crc: u32,
    pub(crate) codec: u8,
}
const SECTION_REF_LEN: usize = 32;

/// The index footer: section table, counts, then CRC32C and magic.
#[derive(Debug, Clone, Default)]
pub(crate) struct Footer {
    pub(crate) sections: [SectionRef; NUM_SECTIONS],
    pub(crate) num_series: u32,
    pub(crate) series_per_block: u32,
    pub(crate) chunks_len: u64,
    pub(crate) min_time: i64,
}
/// sections + num_series(4) + series_per_block(4) + chunks_len(8) + min_time(8) + crc(4) + magic(4).
pub(crate) const FOOTER_LEN: usize = NUM_SECTIONS * SECTION_REF_LEN + 32;

impl Footer {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(FOOTER_LEN);
        for s in &self.sections {
            b.extend_from_slice(&s.offset.to_le_bytes());
            b.extend_from_slice(&s.len.to_le_bytes());
            b.extend_from_slice(&s.raw_len.to_le_bytes());
            b.extend_from_slice(&s.crc.to_le_bytes());
            b.push(s.codec);
            b.extend_from_slice(&[0; 3]);
        }
        b.extend_from_slice(&self.num_series.to_le_bytes());
        b.extend_from_slice(&self.series_per_block.to_le_bytes());
        b.extend_from_slice(&self.chunks_len.to_le_bytes());
        b.extend_from_slice(&self.min_time.to_le_bytes());
        let crc = crc32c::crc32c(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b.extend_from_slice(&INDEX_MAGIC.to_le_bytes());
        b
    }

    /// Parses the last [`FOOTER_LEN`] bytes; `Err` names the problem.
    pub(crate) fn decode(b: &[u8]) -> Result<Footer, &'static str> {
        let body = b.get(..FOOTER_LEN - 8).ok_or("footer too short")?;
        let mut d = Dec::new(b.get(FOOTER_LEN - 8..).ok_or("footer too short")?);
        let crc = d.u32_le().ok_or("footer too short")?;
        if d.u32_le() != Some(INDEX_MAGIC) {
            return Err("bad footer magic");
        }
        if crc32c::crc32c(body) != crc {
            return Err("footer checksum mismatch");
        }
        let mut d = Dec::new(body);
        let mut f = Footer::default();
        for s in f.sections.iter_mut() {
            let err = "footer too short";
            s.offset = d.u64_le().ok_or(err)?;
            s.len = d.u64_le().ok_or(err)?;
            s.raw_len = d.u64_le().ok_or(err)?;
            s.crc = d.u32_le().ok_or(err)?;
            s.codec = d.byte().ok_or(err)?;
            d.bytes(3).ok_or(err)?;
        }
        f.num_series = d.u32_le().ok_or("footer too short")?;
        f.series_per_block = d.u32_le().ok_or("footer too short")?;
        f.chunks_len = d.u64_le().ok_or("footer too short")?;
        f.min_time = d.i64_le().ok_or("footer too short")?;
        Ok(f)
    }
}

/// The 8-byte header of the index or chunks file.
pub(crate) fn header(magic: u32, version: u8) -> [u8; HEADER_LEN] {
    let m = magic.to_le_bytes();
    [m[0], m[1], m[2], m[3], version, 0, 0, 0]
}

/// Checks a file header; `Err` names the problem.
pub(crate) fn check_header(b: &[u8], magic: u32, version: u8) -> Result<(), String> {
    let mut d = Dec::new(b);
    if d.u32_le() != Some(magic) {
        return Err("bad magic in file header".into());
    }
    match d.byte() {
        Some(v) if v == version => Ok(()),
        Some(v) => Err(format!("unsupported format version {v} (this build reads {version})")),
        None => Err("file header too short".into()),
    }
}
