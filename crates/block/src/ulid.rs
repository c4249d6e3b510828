//! Block IDs: ULIDs (48-bit millisecond time + 80 random bits, Crockford base32).
//!
//! We generate them ourselves rather than pull in a random-number crate: the
//! randomness only has to keep two blocks written in the same millisecond
//! apart, so std's per-process random hasher keys plus a counter suffice.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A 128-bit ULID; orders by creation time, prints as 26 base32 characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ulid(pub u128);

impl Ulid {
    /// A new ULID for the current time.
    pub fn new() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
        h.write_u32(std::process::id());
        let r1 = h.finish();
        h.write_u64(r1);
        let r2 = h.finish() & 0xffff;
        let rand80 = (u128::from(r2) << 64) | u128::from(r1);
        Ulid((u128::from(ms & 0xffff_ffff_ffff) << 80) | rand80)
    }

    /// Milliseconds since the Unix epoch at creation.
    pub fn timestamp_ms(&self) -> u64 {
        (self.0 >> 80) as u64
    }
}

impl Default for Ulid {
    fn default() -> Self {
        Ulid::new()
    }
}

impl fmt::Display for Ulid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = [0u8; 26];
        for (i, c) in s.iter_mut().enumerate() {
            let shift = 125 - 5 * i as u32;
            *c = ALPHABET[((self.0 >> shift) & 0x1f) as usize];
        }
        f.write_str(std::str::from_utf8(&s).map_err(|_| fmt::Error)?)
    }
}

/// Error for a string that is not 26 Crockford base32 characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ULID {0:?}")]
pub struct UlidParseError(pub String);

impl FromStr for Ulid {
    type Err = UlidParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || UlidParseError(s.to_string());
        if s.len() != 26 {
            return Err(err());
        }
        let mut v: u128 = 0;
        for (i, c) in s.bytes().enumerate() {
            let d = ALPHABET.iter().position(|&a| a == c.to_ascii_uppercase()).ok_or_else(err)? as u128;
            // The first character carries only 3 bits (128 = 3 + 25 * 5).
            if i == 0 && d > 7 {
                return Err(err());
            }
            v = (v << 5) | d;
        }
        Ok(Ulid(v))
    }
}

impl serde::Serialize for Ulid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Ulid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_order() {
        let a = Ulid::new();
        let s = a.to_string();
        assert_eq!(s.len(), 26);
        assert_eq!(s.parse::<Ulid>().unwrap(), a);
        assert_ne!(Ulid::new(), Ulid::new());
        assert!("01ARZ3NDEKTSV4RRFFQ69G5FAV".parse::<Ulid>().is_ok());
        assert!("81ARZ3NDEKTSV4RRFFQ69G5FAV".parse::<Ulid>().is_err());
        assert!("01ARZ3NDEKTSV4RRFFQ69G5FA".parse::<Ulid>().is_err());
        assert!("01ARZ3NDEKTSV4RRFFQ69G5FAU".parse::<Ulid>().is_err());
    }
}
