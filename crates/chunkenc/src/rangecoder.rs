//! An adaptive binary range coder (LZMA's carry-propagating scheme) and an
//! integer model on top of it, the entropy stage of block runs.
//!
//! An integer is coded as its bit length `k` (0..=64, in unary downwards from
//! the stream's largest length, one adaptive context per step) followed by the
//! `k - 1` bits below its leading one: the top ones through a per-`k` adaptive
//! tree, the rest as direct (equiprobable) bits. Small integers are therefore modelled exactly,
//! and the coder approaches the order-0 entropy of a run's deltas without
//! storing any table. Each binary context adapts with a Krichevsky–Trofimov
//! step that slows to 1/130 after 128 observations; the state is 4 bytes per
//! context, at most ~16 KiB per stream and a few hundred bytes for small deltas.

use crate::error::{Result, truncated};

/// Probabilities are 15-bit fixed point (probability of a 0 bit).
const PROB_BITS: u32 = 15;
const PROB_ONE: u32 = 1 << PROB_BITS;
/// Probabilities stay this far from 0 and 1 so no interval collapses.
const PROB_MARGIN: u32 = 31;
/// After this many observations a context stops slowing its adaptation.
const RATE_LIMIT: u16 = 128;
const TOP: u32 = 1 << 24;

/// `65536 / (n + 2)`: the step that makes the estimate after `n` observations
/// the Krichevsky–Trofimov estimate `(zeros + 1/2) / (n + 1)`, which learns a
/// short run's distribution much faster than a fixed-rate update.
// Evaluated at compile time, where an out-of-bounds index is a build error.
#[allow(clippy::indexing_slicing)]
const RECIP: [u32; RATE_LIMIT as usize + 1] = {
    let mut t = [0u32; RATE_LIMIT as usize + 1];
    let mut i = 0;
    while i <= RATE_LIMIT as usize {
        t[i] = 65536 / (i as u32 + 2);
        i += 1;
    }
    t
};

/// One adaptive binary context: probability of a 0 and observations so far.
#[derive(Clone, Copy)]
pub(crate) struct Prob {
    p: u16,
    n: u16,
}

const PROB_INIT: Prob = Prob { p: 1 << (PROB_BITS - 1), n: 0 };

impl Prob {
    #[inline]
    fn p0(self) -> u32 {
        u32::from(self.p)
    }

    #[inline]
    fn update(&mut self, bit: u32) {
        // Branch-free: the bit is unpredictable, so a branch here mispredicts
        // about half the time on the decode path.
        let r = RECIP.get(usize::from(self.n)).copied().unwrap_or(0) as i32;
        let p = i32::from(self.p);
        let target = (1 - bit as i32) * PROB_ONE as i32;
        let p = p + (((target - p) * r) >> 16);
        self.p = p.clamp(PROB_MARGIN as i32, (PROB_ONE - PROB_MARGIN) as i32) as u16;
        self.n += u16::from(self.n < RATE_LIMIT);
    }
}

/// Mantissa bits modelled by the per-length tree, by bit length `k`.
#[inline]
fn modelled_bits(k: u32) -> u32 {
    if k <= 20 { (k - 1).min(8) } else { 4 }
}

/// Offsets of each length's mantissa tree in [`IntModel::mant`].
/// Only lengths up to the stream's maximum get a tree, which keeps a model of
/// small deltas to a few hundred bytes instead of 16 KiB.
fn mant_offsets(max_len: u32) -> ([u32; 65], usize) {
    let mut off = [0u32; 65];
    let mut total = 0u32;
    for k in 1..=max_len.min(64) {
        if let Some(o) = off.get_mut(k as usize) {
            *o = total;
        }
        total += 1 << modelled_bits(k);
    }
    (off, total as usize)
}

/// Adaptive probabilities for a stream of unsigned integers.
pub(crate) struct IntModel {
    /// Largest bit length in the stream; lengths are coded downwards from it.
    max_len: u32,
    len: [Prob; 65],
    mant: Vec<Prob>,
    off: [u32; 65],
}

impl IntModel {
    /// A fresh model for a stream whose values have at most `max_len` bits.
    pub(crate) fn new(max_len: u32) -> Self {
        let max_len = max_len.min(64);
        let (off, total) = mant_offsets(max_len);
        IntModel { max_len, len: [PROB_INIT; 65], mant: vec![PROB_INIT; total], off }
    }
}

/// The encoder; output starts without LZMA's always-zero first byte.
pub(crate) struct Encoder {
    low: u64,
    range: u32,
    cache: u8,
    cache_size: u64,
    first: bool,
    out: Vec<u8>,
}

impl Encoder {
    pub(crate) fn new() -> Self {
        Encoder { low: 0, range: u32::MAX, cache: 0, cache_size: 1, first: true, out: Vec::new() }
    }

    fn shift_low(&mut self) {
        if (self.low as u32) < 0xff00_0000 || (self.low >> 32) != 0 {
            let carry = (self.low >> 32) as u8;
            let mut temp = self.cache;
            loop {
                if self.first {
                    self.first = false;
                } else {
                    self.out.push(temp.wrapping_add(carry));
                }
                temp = 0xff;
                self.cache_size -= 1;
                if self.cache_size == 0 {
                    break;
                }
            }
            self.cache = (self.low >> 24) as u8;
        }
        self.cache_size += 1;
        self.low = (self.low & 0x00ff_ffff) << 8;
    }

    #[inline]
    fn normalize(&mut self) {
        while self.range < TOP {
            self.range <<= 8;
            self.shift_low();
        }
    }

    #[inline]
    fn bit(&mut self, p: &mut Prob, bit: u32) {
        let bound = (self.range >> PROB_BITS) * p.p0();
        if bit == 0 {
            self.range = bound;
        } else {
            self.low += u64::from(bound);
            self.range -= bound;
        }
        p.update(bit);
        self.normalize();
    }

    #[inline]
    fn direct(&mut self, v: u64, n: u32) {
        for i in (0..n).rev() {
            self.range >>= 1;
            if (v >> i) & 1 == 1 {
                self.low += u64::from(self.range);
            }
            self.normalize();
        }
    }

    /// Codes `n` bits of `v` (msb first) through a binary tree of probabilities.
    #[inline]
    fn tree(&mut self, probs: &mut [Prob], v: u32, n: u32) {
        let mut idx = 1usize;
        for i in (0..n).rev() {
            let b = (v >> i) & 1;
            if let Some(p) = probs.get_mut(idx) {
                self.bit(p, b);
            }
            idx = (idx << 1) | b as usize;
        }
    }

    /// Codes one unsigned integer.
    pub(crate) fn put(&mut self, m: &mut IntModel, u: u64) {
        let k = 64 - u.leading_zeros();
        debug_assert!(k <= m.max_len, "value longer than the model's maximum");
        // Unary from the stream's largest length: one "shorter still" bit per
        // step, each with its own context. Lengths cluster just below the
        // maximum, so this takes ~2 decisions where a 7-level tree takes 7.
        let steps = m.max_len.saturating_sub(k);
        for j in 0..steps {
            if let Some(p) = m.len.get_mut(j as usize) {
                self.bit(p, 1);
            }
        }
        if k > 0
            && let Some(p) = m.len.get_mut(steps as usize)
        {
            self.bit(p, 0);
        }
        if k < 2 {
            return;
        }
        let mb = k - 1;
        let top = modelled_bits(k);
        let rest = mb - top;
        let off = m.off.get(k as usize).copied().unwrap_or(0) as usize;
        let probs = m.mant.get_mut(off..).unwrap_or(&mut []);
        let mant = u & ((1u64 << mb) - 1);
        self.tree(probs, (mant >> rest) as u32, top);
        self.direct(mant, rest);
    }

    /// Ends the stream, choosing the final value with the most trailing zero
    /// bytes (the decoder reads zeros past the end), and returns the bytes.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        let hi = self.low + u64::from(self.range);
        for shift in [32u32, 24, 16, 8, 0] {
            let mask = (1u64 << shift) - 1;
            let v = (self.low + mask) & !mask;
            if v < hi {
                self.low = v;
                break;
            }
        }
        let data_len = self.out.len();
        for _ in 0..5 {
            self.shift_low();
        }
        // Only the flushed bytes are trimmed, so the decoder never overruns the
        // input by more than four bytes plus its four-byte lookahead.
        while self.out.len() > data_len && self.out.last() == Some(&0) {
            self.out.pop();
        }
        self.out
    }
}

/// The decoder over untrusted bytes; reading past the end yields zero bytes,
/// and a bounded overrun is tolerated because the encoder trims trailing zeros.
pub(crate) struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
    range: u32,
    code: u32,
}

impl<'a> Decoder<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        let mut d = Decoder { buf, pos: 0, range: u32::MAX, code: 0 };
        for _ in 0..4 {
            d.code = (d.code << 8) | u32::from(d.next_byte());
        }
        d
    }

    #[inline]
    fn next_byte(&mut self) -> u8 {
        let b = self.buf.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    #[inline]
    fn normalize(&mut self) {
        while self.range < TOP {
            self.range <<= 8;
            self.code = (self.code << 8) | u32::from(self.next_byte());
        }
    }

    #[inline]
    fn bit(&mut self, p: &mut Prob) -> u32 {
        let bound = (self.range >> PROB_BITS) * p.p0();
        let b = u32::from(self.code >= bound);
        let mask = 0u32.wrapping_sub(b);
        self.code -= bound & mask;
        self.range = (bound & !mask) | ((self.range - bound) & mask);
        p.update(b);
        self.normalize();
        b
    }

    #[inline]
    fn direct(&mut self, n: u32) -> u64 {
        let mut v = 0u64;
        for _ in 0..n {
            self.range >>= 1;
            let b = if self.code >= self.range {
                self.code -= self.range;
                1
            } else {
                0
            };
            v = (v << 1) | b;
            self.normalize();
        }
        v
    }

    #[inline]
    fn tree(&mut self, probs: &mut [Prob], n: u32) -> u32 {
        let mut idx = 1usize;
        for _ in 0..n {
            let b = match probs.get_mut(idx) {
                Some(p) => self.bit(p),
                None => 0,
            };
            idx = (idx << 1) | b as usize;
        }
        (idx as u32) & ((1u32 << n) - 1)
    }

    /// Decodes one unsigned integer; errors once the input is clearly overrun.
    #[inline]
    pub(crate) fn get(&mut self, m: &mut IntModel) -> Result<u64> {
        let mut steps = 0u32;
        while steps < m.max_len {
            let b = match m.len.get_mut(steps as usize) {
                Some(p) => self.bit(p),
                None => 0,
            };
            if b == 0 {
                break;
            }
            steps += 1;
        }
        let k = m.max_len - steps;
        if self.pos > self.buf.len() + 8 {
            return Err(truncated("range coded stream"));
        }
        if k < 2 {
            return Ok(u64::from(k));
        }
        if k > 64 {
            return Err(crate::error::invalid("range coded bit length", u64::from(k)));
        }
        let mb = k - 1;
        let top = modelled_bits(k);
        let rest = mb - top;
        let off = m.off.get(k as usize).copied().unwrap_or(0) as usize;
        let probs = m.mant.get_mut(off..).unwrap_or(&mut []);
        let hi = u64::from(self.tree(probs, top));
        let lo = self.direct(rest);
        Ok((1u64 << mb) | (hi << rest) | lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(vals: &[u64]) -> usize {
        let max = vals.iter().map(|v| 64 - v.leading_zeros()).max().unwrap_or(0);
        let mut e = Encoder::new();
        let mut m = IntModel::new(max);
        for &v in vals {
            e.put(&mut m, v);
        }
        let bytes = e.finish();
        let mut d = Decoder::new(&bytes);
        let mut m = IntModel::new(max);
        for &v in vals {
            assert_eq!(d.get(&mut m).unwrap(), v);
        }
        bytes.len()
    }

    #[test]
    fn integers_round_trip() {
        assert_eq!(round_trip(&[]), 0);
        round_trip(&[0]);
        round_trip(&[u64::MAX, 0, 1, 2, 3, u64::MAX - 1, 1 << 63, 255, 256, 1 << 20]);
        let mut x = 1u64;
        let vals: Vec<u64> = (0..5000)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x >> (i % 64)
            })
            .collect();
        round_trip(&vals);
    }

    #[test]
    fn skewed_input_compresses() {
        let vals: Vec<u64> = (0..1000).map(|i| (i * 7 % 9) as u64).collect();
        // Uniform over 9 symbols: ~3.17 bits each.
        let n = round_trip(&vals);
        assert!(n < 1000 * 36 / 80, "{n} bytes");
        let zeros = round_trip(&[0; 10_000]);
        assert!(zeros < 80, "{zeros} bytes");
    }
}
