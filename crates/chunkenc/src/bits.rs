//! Bit-level writer and reader, most significant bit first, as used by the XOR
//! head chunk (the same bit order as Prometheus' `bstream`).

use crate::error::{Result, truncated};

/// Appends the low `n` bits of `v` (`n <= 64`) to `buf`, whose last byte has
/// `free` unused low bits.
#[inline]
pub(crate) fn write_bits(buf: &mut Vec<u8>, free: &mut u8, v: u64, mut n: u32) {
    while n > 0 {
        if *free == 0 {
            buf.push(0);
            *free = 8;
        }
        let take = n.min(u32::from(*free));
        let bits = ((v >> (n - take)) & ((1u64 << take) - 1)) as u8;
        if let Some(last) = buf.last_mut() {
            *last |= bits << (u32::from(*free) - take);
        }
        *free -= take as u8;
        n -= take;
    }
}

/// Appends a single bit.
#[inline]
pub(crate) fn write_bit(buf: &mut Vec<u8>, free: &mut u8, bit: bool) {
    write_bits(buf, free, u64::from(bit), 1);
}

/// A bounds-checked bit reader over untrusted bytes.
#[derive(Clone)]
pub(crate) struct BitReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        BitReader { buf, pos: 0 }
    }

    /// The total number of bits in the input.
    pub(crate) fn len_bits(&self) -> usize {
        self.buf.len() * 8
    }

    /// The number of bits consumed so far.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    #[inline]
    fn window(&self) -> u64 {
        let byte = self.pos / 8;
        match self.buf.get(byte..byte + 8) {
            Some(s) => {
                let mut a = [0u8; 8];
                a.copy_from_slice(s);
                u64::from_be_bytes(a)
            }
            None => {
                let mut a = [0u8; 8];
                let rest = self.buf.get(byte..).unwrap_or(&[]);
                for (d, s) in a.iter_mut().zip(rest) {
                    *d = *s;
                }
                u64::from_be_bytes(a)
            }
        }
    }

    /// Reads `n <= 64` bits as an unsigned number.
    #[inline]
    pub(crate) fn read_bits(&mut self, n: u32) -> Result<u64> {
        if n == 0 {
            return Ok(0);
        }
        if n > 56 {
            let hi = self.read_bits(n - 32)?;
            let lo = self.read_bits(32)?;
            return Ok((hi << 32) | lo);
        }
        if self.pos + n as usize > self.buf.len() * 8 {
            return Err(truncated("xor chunk bit stream"));
        }
        let w = self.window() << (self.pos % 8);
        self.pos += n as usize;
        Ok(w >> (64 - n))
    }

    #[inline]
    pub(crate) fn read_bit(&mut self) -> Result<bool> {
        Ok(self.read_bits(1)? == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip() {
        let mut buf = Vec::new();
        let mut free = 0u8;
        let items: Vec<(u64, u32)> = (0..200u32)
            .map(|i| {
                let n = i % 65;
                let v = 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(u64::from(i) + 1);
                (if n == 64 { v } else { v & ((1u64 << n) - 1) }, n)
            })
            .collect();
        for &(v, n) in &items {
            write_bits(&mut buf, &mut free, v, n);
        }
        let mut r = BitReader::new(&buf);
        for &(v, n) in &items {
            assert_eq!(r.read_bits(n).unwrap(), v, "n={n}");
        }
        assert!(r.read_bits(9).is_err());
    }
}
