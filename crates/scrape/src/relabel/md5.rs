//! Prometheus' `hashmod` hash: the low 64 bits of the MD5 of the joined
//! source values (`argus_model::md5`), so shards match Prometheus'.

use argus_model::md5::md5;

/// Prometheus' `sum64(md5.Sum(val))`: the digest's last 8 bytes, big-endian
/// (Go's shifts by 64 or more bits of the first 8 bytes yield zero).
pub(crate) fn sum64(data: &[u8]) -> u64 {
    let d = md5(data);
    let mut last = [0u8; 8];
    last.copy_from_slice(&d[8..]);
    u64::from_be_bytes(last)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sum64_is_the_digest_tail() {
        // md5("abc") = 900150983cd24fb0 d6963f7d28e17f72
        assert_eq!(super::sum64(b"abc"), 0xd696_3f7d_28e1_7f72);
    }
}
