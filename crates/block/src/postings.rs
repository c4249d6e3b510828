//! Postings lists: the sorted series IDs that carry one label pair, their two
//! encodings, and the set operations that evaluate matchers.
//!
//! Series IDs follow label order, so a label near the front of the label set
//! (`__name__`, `job`) selects long contiguous ID ranges; those are stored as
//! ranges. Labels near the back (`le`, `method`) select strided IDs; those are
//! stored as delta varints of one byte each. The writer keeps the smaller.

use crate::varint::{Dec, put_uvarint};

/// List stored as `count, first, (delta - 1)*`.
const ENC_DELTAS: u8 = 0;
/// List stored as `nranges, (gap, len - 1)*` where gap is from the previous range's end.
const ENC_RANGES: u8 = 1;

/// Encodes a strictly increasing, non-empty list, choosing the smaller encoding.
pub(crate) fn encode(ids: &[u32], out: &mut Vec<u8>) {
    let mut deltas = vec![ENC_DELTAS];
    put_uvarint(&mut deltas, ids.len() as u64);
    let mut prev: Option<u32> = None;
    for &id in ids {
        match prev {
            None => put_uvarint(&mut deltas, u64::from(id)),
            Some(p) => put_uvarint(&mut deltas, u64::from(id - p - 1)),
        }
        prev = Some(id);
    }
    let mut ranges_body = Vec::new();
    let mut nranges = 0u64;
    let mut end = 0u32; // exclusive end of the previous range
    let mut i = 0;
    while i < ids.len() {
        let start = ids[i];
        let mut j = i + 1;
        while j < ids.len() && ids[j] == ids[j - 1] + 1 {
            j += 1;
        }
        put_uvarint(&mut ranges_body, u64::from(start - end));
        put_uvarint(&mut ranges_body, (j - i - 1) as u64);
        end = ids[j - 1] + 1;
        nranges += 1;
        i = j;
    }
    let mut ranges = vec![ENC_RANGES];
    put_uvarint(&mut ranges, nranges);
    ranges.extend_from_slice(&ranges_body);
    out.extend_from_slice(if ranges.len() < deltas.len() { &ranges } else { &deltas });
}

/// Decodes one list, checking that IDs increase and stay below `num_series`.
pub(crate) fn decode(b: &[u8], num_series: u32, out: &mut Vec<u32>) -> Result<(), &'static str> {
    let mut d = Dec::new(b);
    let short = "postings list runs past its end";
    match d.byte().ok_or(short)? {
        ENC_DELTAS => {
            let n = d.uvarint().ok_or(short)?;
            if n > u64::from(num_series) {
                return Err("postings list longer than the series count");
            }
            let mut next: u64 = 0;
            for _ in 0..n {
                let v = next.checked_add(d.uvarint().ok_or(short)?).ok_or("postings ID overflows")?;
                if v >= u64::from(num_series) {
                    return Err("postings ID beyond the series count");
                }
                out.push(v as u32);
                next = v + 1;
            }
        }
        ENC_RANGES => {
            let n = d.uvarint().ok_or(short)?;
            let mut end: u64 = 0;
            for _ in 0..n {
                let start = end.checked_add(d.uvarint().ok_or(short)?).ok_or("postings ID overflows")?;
                let stop = start.checked_add(d.uvarint().ok_or(short)?).ok_or("postings ID overflows")?;
                if stop >= u64::from(num_series) {
                    return Err("postings ID beyond the series count");
                }
                out.extend(start as u32..=stop as u32);
                end = stop + 1;
            }
        }
        _ => return Err("unknown postings encoding"),
    }
    if !d.is_empty() {
        return Err("trailing bytes after postings list");
    }
    Ok(())
}

/// Sorted intersection.
pub(crate) fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        match x.cmp(&y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(x);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Sorted difference `a \ b`.
pub(crate) fn subtract(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut j, mut out) = (0, Vec::with_capacity(a.len()));
    for &x in a {
        while b.get(j).is_some_and(|&y| y < x) {
            j += 1;
        }
        if b.get(j) != Some(&x) {
            out.push(x);
        }
    }
    out
}

/// Whether two sorted lists share an element.
pub(crate) fn intersects(a: &[u32], b: &[u32]) -> bool {
    let (mut i, mut j) = (0, 0);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        match x.cmp(&y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ids: &[u32]) {
        let mut b = Vec::new();
        encode(ids, &mut b);
        let mut out = Vec::new();
        decode(&b, 1000, &mut out).unwrap();
        assert_eq!(out, ids);
    }

    #[test]
    fn roundtrip() {
        check(&[0]);
        check(&[999]);
        check(&[0, 1, 2, 3, 4, 5]);
        check(&[1, 3, 5, 7, 9]);
        check(&[0, 1, 2, 10, 11, 500, 998, 999]);
    }

    #[test]
    fn ranges_are_compact() {
        let ids: Vec<u32> = (100..900).collect();
        let mut b = Vec::new();
        encode(&ids, &mut b);
        assert!(b.len() <= 6, "{}", b.len());
    }

    #[test]
    fn bad_lists_are_errors() {
        assert!(decode(&[ENC_DELTAS, 2, 5], 1000, &mut Vec::new()).is_err());
        assert!(decode(&[ENC_DELTAS, 1, 0xe8, 0x07], 1000, &mut Vec::new()).is_err());
        assert!(decode(&[9], 1000, &mut Vec::new()).is_err());
        assert!(decode(&[ENC_RANGES, 1, 0, 0xe8, 0x07], 1000, &mut Vec::new()).is_err());
    }

    #[test]
    fn set_ops() {
        assert_eq!(intersect(&[1, 2, 3, 5], &[2, 5, 7]), vec![2, 5]);
        assert_eq!(subtract(&[1, 2, 3, 5], &[2, 5, 7]), vec![1, 3]);
        assert!(intersects(&[1, 4], &[4]));
        assert!(!intersects(&[1, 4], &[2, 3]));
    }
}
