//! The head chunk: an append-only Gorilla XOR chunk, byte-compatible with
//! Prometheus' `XORChunk` (`tsdb/chunkenc/xor.go`).
//!
//! The appender state (last timestamp, last delta, last value bits, the XOR
//! window) lives beside the byte vector so that an append never re-reads the
//! stream; it is rebuilt by [`XorChunk::from_bytes`], which decodes and so
//! validates the whole chunk once.

use crate::bits::{BitReader, write_bit, write_bits};
use crate::error::{Error, Result, truncated};
use crate::varint::{unzigzag, zigzag};

/// Bytes before the bit stream: the big-endian `u16` sample count.
const HEADER_LEN: usize = 2;
/// `leading` value meaning "no XOR window chosen yet".
const NO_WINDOW: u8 = 0xff;

/// An append-only XOR chunk holding up to `u16::MAX` samples of one series.
///
/// Layout (see FORMAT.md): `u16` big-endian count, then a bit stream of the first
/// timestamp (varint) and value (64 raw bits), the first delta (uvarint), then per
/// sample a delta-of-delta bucket and the XOR of the value with the previous one.
///
/// Appends must come in timestamp order for good compression, but any `i64`
/// sequence round-trips. Values round-trip bit for bit (NaN payloads, the stale
/// marker, -0.0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XorChunk {
    buf: Vec<u8>,
    t: i64,
    t_delta: u64,
    v: u64,
    leading: u8,
    trailing: u8,
    /// Unused low bits of the last byte of `buf`.
    free: u8,
}

impl Default for XorChunk {
    fn default() -> Self {
        Self::new()
    }
}

impl XorChunk {
    /// An empty chunk; allocates 128 bytes, enough for ~120 samples of a
    /// slowly moving series.
    pub fn new() -> Self {
        Self::with_capacity(128)
    }

    /// An empty chunk whose buffer is pre-sized to `bytes`.
    pub fn with_capacity(bytes: usize) -> Self {
        let mut buf = Vec::with_capacity(bytes.max(HEADER_LEN));
        buf.extend_from_slice(&[0, 0]);
        XorChunk { buf, t: 0, t_delta: 0, v: 0, leading: NO_WINDOW, trailing: 0, free: 0 }
    }

    /// Validates `bytes` (as returned by [`XorChunk::bytes`]) by decoding every
    /// sample, and restores the appender state so that appending can continue.
    ///
    /// Errors if the stream is truncated, has trailing bytes, or non-zero padding.
    pub fn from_bytes(buf: Vec<u8>) -> Result<Self> {
        let mut dec = XorDecoder::new(&buf)?;
        while dec.next_sample()?.is_some() {}
        let used = dec.r.pos();
        let total = dec.r_len_bits();
        if total - used >= 8 {
            return Err(Error::Inconsistent { what: "xor chunk length" });
        }
        let free = (total - used) as u8;
        if free > 0 {
            let last = buf.last().copied().unwrap_or(0);
            if last & ((1u8 << free) - 1) != 0 {
                return Err(Error::Inconsistent { what: "xor chunk padding" });
            }
        }
        Ok(XorChunk {
            t: dec.t,
            t_delta: dec.t_delta,
            v: dec.v,
            leading: dec.w_leading,
            trailing: dec.w_trailing,
            free,
            buf,
        })
    }

    /// The number of samples appended.
    pub fn num_samples(&self) -> u16 {
        match self.buf.as_slice() {
            [a, b, ..] => u16::from_be_bytes([*a, *b]),
            _ => 0,
        }
    }

    /// Whether another append would overflow the `u16` count.
    pub fn is_full(&self) -> bool {
        self.num_samples() == u16::MAX
    }

    /// The encoded chunk (count header plus bit stream).
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Consumes the chunk, returning its encoded bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Heap bytes held by the chunk (the buffer's capacity).
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity()
    }

    /// Shrinks the buffer to its length, e.g. when the chunk is cut.
    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }

    /// The timestamp of the first sample (`None` if empty); decoded from
    /// the stream's leading varint, so holders need not store it.
    pub fn first_t(&self) -> Option<i64> {
        if self.num_samples() == 0 {
            return None;
        }
        let mut c = crate::varint::Cursor::new(self.buf.get(HEADER_LEN..)?);
        c.uvarint("first timestamp").ok().map(crate::varint::unzigzag)
    }

    /// The timestamp of the last sample (0 if empty).
    pub fn last_t(&self) -> i64 {
        self.t
    }

    /// Appends one sample. Returns [`Error::ChunkFull`] once the chunk holds
    /// `u16::MAX` samples; the chunk is then unchanged.
    pub fn append(&mut self, t: i64, v: f64) -> Result<()> {
        let n = self.num_samples();
        if n == u16::MAX {
            return Err(Error::ChunkFull);
        }
        // Grow by a sixteenth plus one sample's room rather than letting
        // `Vec` double: a head holds one open chunk per series, and doubling
        // left up to half of each buffer unused (128 -> 256 bytes for a chunk
        // needing 130). One sample takes at most 19 bytes (a 10-byte varint
        // and 8 value bytes, or 68 + 77 bits), so a reallocation comes every
        // 20 bytes or more, every ten or so samples; the unused room averages
        // ~30 bytes per open chunk.
        const MAX_SAMPLE_BYTES: usize = 20;
        if self.buf.capacity() - self.buf.len() < MAX_SAMPLE_BYTES {
            self.buf.reserve_exact(MAX_SAMPLE_BYTES + self.buf.len() / 16);
        }
        let vb = v.to_bits();
        match n {
            0 => {
                self.put_uvarint(zigzag(t));
                write_bits(&mut self.buf, &mut self.free, vb, 64);
            }
            1 => {
                let d = t.wrapping_sub(self.t) as u64;
                self.put_uvarint(d);
                self.write_value(vb);
                self.t_delta = d;
            }
            _ => {
                let d = t.wrapping_sub(self.t) as u64;
                let dod = d.wrapping_sub(self.t_delta) as i64;
                self.write_dod(dod);
                self.write_value(vb);
                self.t_delta = d;
            }
        }
        self.t = t;
        self.v = vb;
        let c = (n + 1).to_be_bytes();
        if let Some(h) = self.buf.get_mut(..HEADER_LEN) {
            h.copy_from_slice(&c);
        }
        Ok(())
    }

    fn put_uvarint(&mut self, mut v: u64) {
        while v >= 0x80 {
            write_bits(&mut self.buf, &mut self.free, (v & 0x7f) | 0x80, 8);
            v >>= 7;
        }
        write_bits(&mut self.buf, &mut self.free, v, 8);
    }

    fn write_dod(&mut self, dod: i64) {
        let (b, f) = (&mut self.buf, &mut self.free);
        if dod == 0 {
            write_bit(b, f, false);
        } else if bit_range(dod, 14) {
            write_bits(b, f, 0b10, 2);
            write_bits(b, f, dod as u64, 14);
        } else if bit_range(dod, 17) {
            write_bits(b, f, 0b110, 3);
            write_bits(b, f, dod as u64, 17);
        } else if bit_range(dod, 20) {
            write_bits(b, f, 0b1110, 4);
            write_bits(b, f, dod as u64, 20);
        } else {
            write_bits(b, f, 0b1111, 4);
            write_bits(b, f, dod as u64, 64);
        }
    }

    fn write_value(&mut self, vb: u64) {
        let (b, f) = (&mut self.buf, &mut self.free);
        let delta = vb ^ self.v;
        if delta == 0 {
            write_bit(b, f, false);
            return;
        }
        write_bit(b, f, true);
        let leading = (delta.leading_zeros() as u8).min(31);
        let trailing = delta.trailing_zeros() as u8;
        if self.leading != NO_WINDOW && leading >= self.leading && trailing >= self.trailing {
            write_bit(b, f, false);
            let sig = 64 - u32::from(self.leading) - u32::from(self.trailing);
            write_bits(b, f, delta >> self.trailing, sig);
        } else {
            self.leading = leading;
            self.trailing = trailing;
            write_bit(b, f, true);
            write_bits(b, f, u64::from(leading), 5);
            let sig = 64 - u32::from(leading) - u32::from(trailing);
            // 64 significant bits are written as 0; the reader maps 0 back to 64.
            write_bits(b, f, u64::from(sig), 6);
            write_bits(b, f, delta >> trailing, sig);
        }
    }

    /// Iterates over the samples in append order.
    ///
    /// The chunk was validated on construction, so the iterator only stops early
    /// if the chunk's bytes are somehow corrupt; [`XorIter::err`] then tells.
    pub fn iter(&self) -> XorIter<'_> {
        XorIter::new(&self.buf)
    }
}

/// Prometheus' `bitRange`: whether `x` fits the `nbits` bucket (asymmetric range).
fn bit_range(x: i64, nbits: u32) -> bool {
    -((1i64 << (nbits - 1)) - 1) <= x && x <= 1i64 << (nbits - 1)
}

/// Streaming decoder over untrusted chunk bytes.
struct XorDecoder<'a> {
    r: BitReader<'a>,
    n: u16,
    read: u16,
    t: i64,
    t_delta: u64,
    v: u64,
    leading: u8,
    trailing: u8,
    /// The window as the writer last chose it, to restore the appender.
    w_leading: u8,
    w_trailing: u8,
}

impl<'a> XorDecoder<'a> {
    fn new(buf: &'a [u8]) -> Result<Self> {
        let (n, stream) = match buf {
            [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]), rest),
            _ => return Err(truncated("xor chunk header")),
        };
        Ok(XorDecoder {
            r: BitReader::new(stream),
            n,
            read: 0,
            t: 0,
            t_delta: 0,
            v: 0,
            leading: 0,
            trailing: 0,
            w_leading: NO_WINDOW,
            w_trailing: 0,
        })
    }

    fn r_len_bits(&self) -> usize {
        self.r.len_bits()
    }

    fn uvarint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        let mut shift = 0u32;
        loop {
            let b = self.r.read_bits(8)?;
            if shift > 63 {
                return Err(Error::Invalid { what: "xor chunk varint", value: b });
            }
            v |= (b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
            shift += 7;
        }
    }

    #[inline]
    fn next_sample(&mut self) -> Result<Option<(i64, f64)>> {
        if self.read >= self.n {
            return Ok(None);
        }
        match self.read {
            0 => {
                self.t = unzigzag(self.uvarint()?);
                self.v = self.r.read_bits(64)?;
            }
            1 => {
                self.t_delta = self.uvarint()?;
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.read_value()?;
            }
            _ => {
                let dod = self.read_dod()?;
                self.t_delta = self.t_delta.wrapping_add(dod as u64);
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.read_value()?;
            }
        }
        self.read += 1;
        Ok(Some((self.t, f64::from_bits(self.v))))
    }

    #[inline]
    fn read_dod(&mut self) -> Result<i64> {
        let mut prefix = 0u32;
        while prefix < 4 && self.r.read_bit()? {
            prefix += 1;
        }
        let sz = match prefix {
            0 => return Ok(0),
            1 => 14,
            2 => 17,
            3 => 20,
            _ => return Ok(self.r.read_bits(64)? as i64),
        };
        let mut bits = self.r.read_bits(sz)?;
        if bits > 1 << (sz - 1) {
            bits = bits.wrapping_sub(1 << sz);
        }
        Ok(bits as i64)
    }

    #[inline]
    fn read_value(&mut self) -> Result<()> {
        if !self.r.read_bit()? {
            return Ok(());
        }
        if self.r.read_bit()? {
            let leading = self.r.read_bits(5)? as u8;
            let mut sig = self.r.read_bits(6)? as u8;
            if sig == 0 {
                sig = 64;
            }
            if u32::from(leading) + u32::from(sig) > 64 {
                return Err(Error::Invalid { what: "xor chunk value window", value: u64::from(sig) });
            }
            self.leading = leading;
            self.trailing = 64 - leading - sig;
            self.w_leading = self.leading;
            self.w_trailing = self.trailing;
        }
        let sig = 64 - u32::from(self.leading) - u32::from(self.trailing);
        let bits = self.r.read_bits(sig)?;
        self.v ^= bits.checked_shl(u32::from(self.trailing)).unwrap_or(0);
        Ok(())
    }
}

/// An iterator over the samples of an XOR chunk, with [`XorIter::seek`].
pub struct XorIter<'a> {
    dec: Option<XorDecoder<'a>>,
    err: Option<Error>,
}

impl<'a> XorIter<'a> {
    /// Iterates over chunk bytes that may come from outside; a decoding error
    /// ends the iteration and is kept in [`XorIter::err`].
    pub fn new(bytes: &'a [u8]) -> Self {
        match XorDecoder::new(bytes) {
            Ok(d) => XorIter { dec: Some(d), err: None },
            Err(e) => XorIter { dec: None, err: Some(e) },
        }
    }

    /// Advances to the first sample with timestamp `>= t` and returns it, or
    /// `None` if there is none (or decoding failed). Only moves forward.
    pub fn seek(&mut self, t: i64) -> Option<(i64, f64)> {
        if let Some(d) = &self.dec
            && d.read > 0
            && d.t >= t
        {
            return Some((d.t, f64::from_bits(d.v)));
        }
        self.by_ref().find(|s| s.0 >= t)
    }

    /// The decoding error that ended the iteration, if any.
    pub fn err(&self) -> Option<&Error> {
        self.err.as_ref()
    }
}

impl Iterator for XorIter<'_> {
    type Item = (i64, f64);

    #[inline]
    fn next(&mut self) -> Option<(i64, f64)> {
        let d = self.dec.as_mut()?;
        match d.next_sample() {
            Ok(s) => s,
            Err(e) => {
                self.err = Some(e);
                self.dec = None;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_and_last_timestamps() {
        for first in [0i64, -1, 7, -1_672_617_600_000, 1_672_617_600_123, i64::MIN, i64::MAX - 10] {
            let mut c = XorChunk::new();
            assert_eq!(c.first_t(), None);
            c.append(first, 1.5).unwrap();
            assert_eq!((c.first_t(), c.last_t()), (Some(first), first));
            c.append(first.wrapping_add(5), 2.0).unwrap();
            assert_eq!((c.first_t(), c.last_t()), (Some(first), first.wrapping_add(5)));
        }
    }

    fn check(samples: &[(i64, f64)]) {
        let mut c = XorChunk::new();
        for &(t, v) in samples {
            c.append(t, v).unwrap();
        }
        assert_eq!(usize::from(c.num_samples()), samples.len());
        let got: Vec<(i64, u64)> = c.iter().map(|(t, v)| (t, v.to_bits())).collect();
        let want: Vec<(i64, u64)> = samples.iter().map(|&(t, v)| (t, v.to_bits())).collect();
        assert_eq!(got, want);
        // Reopen and keep appending: state must be restored exactly.
        let mut r = XorChunk::from_bytes(c.bytes().to_vec()).unwrap();
        assert_eq!(r.bytes(), c.bytes());
        r.append(i64::MAX, -0.0).unwrap();
        c.append(i64::MAX, -0.0).unwrap();
        assert_eq!(r.bytes(), c.bytes());
    }

    #[test]
    fn round_trips() {
        check(&[]);
        check(&[(5, 1.0)]);
        check(&[(5, 1.0), (-7, f64::NAN)]);
        let stale = f64::from_bits(argus_model::STALE_NAN_BITS);
        check(&[(0, 0.0), (15_000, -0.0), (30_000, stale), (45_001, f64::INFINITY), (60_000, 5e-324)]);
        check(&[(i64::MIN, f64::MAX), (i64::MAX, f64::MIN), (0, 0.1 + 0.2), (1, 1.0)]);
    }

    #[test]
    fn seek_moves_forward() {
        let mut c = XorChunk::new();
        for i in 0..10 {
            c.append(i * 10, i as f64).unwrap();
        }
        let mut it = c.iter();
        assert_eq!(it.seek(35), Some((40, 4.0)));
        assert_eq!(it.seek(40), Some((40, 4.0)));
        assert_eq!(it.next(), Some((50, 5.0)));
        assert_eq!(it.seek(1000), None);
    }

    #[test]
    fn matches_prometheus_layout() {
        // t0=1000 (varint 0xd0 0x0f), v0=1.0 raw, delta 15000 (uvarint 0x98 0x75), equal value bit.
        let mut c = XorChunk::new();
        c.append(1000, 1.0).unwrap();
        c.append(16_000, 1.0).unwrap();
        assert_eq!(c.bytes(), &[0, 2, 0xd0, 0x0f, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x98, 0x75, 0x00]);
    }
}
