//! The records the database writes into the WAL, and their decoding.
//!
//! Layout (all integers varint unless noted; see FORMAT.md):
//! - `1` series: repeated `ref`, `label count`, then `name len, name, value len, value` per label;
//! - `2` samples: `base ref` (u64 LE), `base t` (i64 LE), then per sample
//!   `zigzag(ref - base)`, `zigzag(t - base_t)`, value bits (u64 LE).
//!
//! Series records are written before the first samples record that names the
//! series, in the same WAL batch, so replay never sees a sample for an
//! undeclared ref unless that record was lost to corruption.
//!
//! [`decode`] and [`Record`] are public so that readers outside the database
//! (the remote-write WAL watcher in `argus-remote`) can follow the WAL; the
//! encoders stay private, because only the head writes records.

use argus_model::storage::SeriesRef;
use argus_model::{Label, Labels, Sample};

use crate::error::{Error, Result};

/// Record type byte of a series record.
pub const SERIES: u8 = 1;
/// Record type byte of a samples record.
pub const SAMPLES: u8 = 2;

/// One decoded WAL record.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Record {
    /// Series declared in this batch: their WAL ref and label set.
    Series(Vec<(SeriesRef, Labels)>),
    /// Samples of series declared earlier in the WAL (or its checkpoint).
    Samples(Vec<(SeriesRef, Sample)>),
}

pub(crate) fn put_uvarint(b: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        b.push((x as u8) | 0x80);
        x >>= 7;
    }
    b.push(x as u8);
}

fn zigzag(x: i64) -> u64 {
    ((x << 1) ^ (x >> 63)) as u64
}

fn unzigzag(x: u64) -> i64 {
    ((x >> 1) as i64) ^ -((x & 1) as i64)
}

pub(crate) fn encode_series(out: &mut Vec<u8>, series: &[(SeriesRef, &Labels)]) {
    out.push(SERIES);
    for (r, ls) in series {
        put_uvarint(out, *r);
        put_uvarint(out, ls.len() as u64);
        for l in ls.iter() {
            put_uvarint(out, l.name.len() as u64);
            out.extend_from_slice(l.name.as_bytes());
            put_uvarint(out, l.value.len() as u64);
            out.extend_from_slice(l.value.as_bytes());
        }
    }
}

pub(crate) fn encode_samples(out: &mut Vec<u8>, samples: &[(SeriesRef, i64, f64)]) {
    out.push(SAMPLES);
    let Some(&(base_ref, base_t, _)) = samples.first() else {
        return;
    };
    out.extend_from_slice(&base_ref.to_le_bytes());
    out.extend_from_slice(&base_t.to_le_bytes());
    for &(r, t, v) in samples {
        put_uvarint(out, zigzag(r.wrapping_sub(base_ref) as i64));
        put_uvarint(out, zigzag(t.wrapping_sub(base_t)));
        out.extend_from_slice(&v.to_bits().to_le_bytes());
    }
}

struct Dec<'a> {
    b: &'a [u8],
}

impl<'a> Dec<'a> {
    fn uvarint(&mut self) -> Result<u64> {
        let mut x = 0u64;
        for (i, &c) in self.b.iter().enumerate().take(10) {
            x |= ((c & 0x7f) as u64) << (7 * i);
            if c < 0x80 {
                self.b = &self.b[i + 1..];
                return Ok(x);
            }
        }
        Err(Error::CorruptRecord("bad varint".into()))
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.b.len() < n {
            return Err(Error::CorruptRecord(format!("record ends {} bytes early", n - self.b.len())));
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }

    fn u64le(&mut self) -> Result<u64> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn string(&mut self) -> Result<String> {
        let n = self.uvarint()? as usize;
        let b = self.bytes(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| Error::CorruptRecord("label is not UTF-8".into()))
    }
}

/// Decodes one WAL record. A truncated or unknown record is
/// [`Error::CorruptRecord`]; never panics on any input.
pub fn decode(rec: &[u8]) -> Result<Record> {
    let (&typ, rest) = rec.split_first().ok_or_else(|| Error::CorruptRecord("empty record".into()))?;
    let mut d = Dec { b: rest };
    match typ {
        SERIES => {
            let mut out = Vec::new();
            while !d.b.is_empty() {
                let r = d.uvarint()?;
                let n = d.uvarint()? as usize;
                if n > 4096 {
                    return Err(Error::CorruptRecord(format!("series {r} claims {n} labels")));
                }
                let mut ls = Vec::with_capacity(n);
                for _ in 0..n {
                    let name = d.string()?;
                    let value = d.string()?;
                    ls.push(Label::new(name, value));
                }
                let labels = Labels::try_from_pairs(ls.into_iter().map(|l| (l.name, l.value)))
                    .map_err(|e| Error::CorruptRecord(format!("series {r}: {e}")))?;
                out.push((r, labels));
            }
            Ok(Record::Series(out))
        }
        SAMPLES => {
            let mut out = Vec::new();
            if d.b.is_empty() {
                return Ok(Record::Samples(out));
            }
            let base_ref = d.u64le()?;
            let base_t = d.u64le()? as i64;
            while !d.b.is_empty() {
                let r = base_ref.wrapping_add(unzigzag(d.uvarint()?) as u64);
                let t = base_t.wrapping_add(unzigzag(d.uvarint()?));
                let v = f64::from_bits(d.u64le()?);
                out.push((r, Sample::new(t, v)));
            }
            Ok(Record::Samples(out))
        }
        t => Err(Error::CorruptRecord(format!("unknown record type {t}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let ls = Labels::from_pairs([("__name__", "up"), ("job", "x")]);
        let mut b = Vec::new();
        encode_series(&mut b, &[(7, &ls)]);
        match decode(&b).unwrap() {
            Record::Series(s) => assert_eq!(s, vec![(7, ls)]),
            _ => panic!("wrong type"),
        }
        let mut b = Vec::new();
        let stale = argus_model::stale_nan();
        encode_samples(&mut b, &[(7, 1000, 1.5), (3, 900, stale), (9, 2000, -0.0)]);
        match decode(&b).unwrap() {
            Record::Samples(s) => {
                assert_eq!(s.len(), 3);
                assert_eq!(s[1].0, 3);
                assert_eq!(s[1].1.t, 900);
                assert_eq!(s[1].1.v.to_bits(), stale.to_bits());
                assert_eq!(s[2].1.v.to_bits(), (-0.0f64).to_bits());
            }
            _ => panic!("wrong type"),
        }
    }

    #[test]
    fn truncated_records_are_errors() {
        let mut b = Vec::new();
        encode_samples(&mut b, &[(7, 1000, 1.5), (8, 1000, 2.5)]);
        for n in 1..b.len() {
            let _ = decode(&b[..n]); // must not panic
        }
        assert!(decode(&b[..b.len() - 1]).is_err());
    }
}
