//! Byte-level primitives shared by both encodings: LEB128 varints, zigzag, and a
//! bounds-checked byte cursor over untrusted input.

use crate::error::{Result, truncated};

/// Maps signed to unsigned so that small magnitudes give small numbers.
#[inline]
pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Inverse of [`zigzag`].
#[inline]
pub(crate) fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// Appends `v` as an unsigned LEB128 varint (1..=10 bytes).
#[inline]
pub(crate) fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends `v` zigzag-encoded as a varint.
#[inline]
pub(crate) fn put_varint(out: &mut Vec<u8>, v: i64) {
    put_uvarint(out, zigzag(v));
}

/// A forward reader over untrusted bytes; every read is bounds-checked.
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    /// Moves back (or forward) to a position an earlier [`Cursor::pos`] gave.
    pub(crate) fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.buf.len());
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8> {
        let b = *self.buf.get(self.pos).ok_or(truncated(what))?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn u64_le(&mut self, what: &'static str) -> Result<u64> {
        let s = self.bytes(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }

    pub(crate) fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(truncated(what))?;
        let s = self.buf.get(self.pos..end).ok_or(truncated(what))?;
        self.pos = end;
        Ok(s)
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let s = self.buf.get(self.pos..).unwrap_or(&[]);
        self.pos = self.buf.len();
        s
    }

    pub(crate) fn uvarint(&mut self, what: &'static str) -> Result<u64> {
        let mut v = 0u64;
        let mut shift = 0u32;
        loop {
            let b = self.u8(what)?;
            if shift == 63 && b > 1 {
                return Err(crate::error::invalid(what, u64::from(b)));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
            shift += 7;
            if shift > 63 {
                return Err(crate::error::invalid(what, u64::from(b)));
            }
        }
    }

    /// Reads `len` uvarints through `f` with a fast path for one-byte
    /// values; the same checks as [`Cursor::uvarint`].
    #[inline]
    pub(crate) fn uvarints(&mut self, len: usize, what: &'static str, mut f: impl FnMut(u64)) -> Result<()> {
        let buf = self.buf;
        let mut pos = self.pos;
        for _ in 0..len {
            match buf.get(pos) {
                Some(&b) if b < 0x80 => {
                    pos += 1;
                    f(u64::from(b));
                }
                _ => {
                    self.pos = pos;
                    f(self.uvarint(what)?);
                    pos = self.pos;
                }
            }
        }
        self.pos = pos;
        Ok(())
    }

    pub(crate) fn varint(&mut self, what: &'static str) -> Result<i64> {
        Ok(unzigzag(self.uvarint(what)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        for v in [0i64, 1, -1, 63, -64, 64, 1 << 40, i64::MAX, i64::MIN] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            put_uvarint(&mut b, v as u64);
            let mut c = Cursor::new(&b);
            assert_eq!(c.varint("t").unwrap(), v);
            assert_eq!(c.uvarint("t").unwrap(), v as u64);
            assert_eq!(c.pos(), b.len());
        }
    }

    #[test]
    fn overlong_varint_is_an_error() {
        let b = [0xffu8; 11];
        assert!(Cursor::new(&b).uvarint("t").is_err());
        assert!(Cursor::new(&[0x80]).uvarint("t").is_err());
    }
}
