//! Property tests at the crate boundary: random and adversarial inputs must
//! round-trip bit for bit through both encodings, and corrupt or truncated
//! bytes must give an error or a value, never a panic.

use argus_chunkenc::{RunCodec, XorChunk, XorIter, decode_run, encode_run, encode_run_with, run_header};
use argus_model::{STALE_NAN_BITS, Sample};

/// SplitMix64: small, deterministic, good enough to drive test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

const SPECIAL: [u64; 12] = [
    STALE_NAN_BITS,
    0x7ff8_0000_0000_0000, // NaN
    0xfff8_0000_0000_0001, // negative NaN with payload
    0x7ff0_0000_0000_0000, // +Inf
    0xfff0_0000_0000_0000, // -Inf
    0x8000_0000_0000_0000, // -0.0
    0x0000_0000_0000_0001, // smallest subnormal
    0x000f_ffff_ffff_ffff, // largest subnormal
    0x3fd3_3333_3333_3334, // 0.1 + 0.2
    0x7fef_ffff_ffff_ffff, // f64::MAX
    0x4340_0000_0000_0001, // 2^53 + 2: beyond exact mantissas
    0x3ff0_0000_0000_0000, // 1.0
];

/// One random series of a random shape: decimal gauges, counters, raw floats,
/// with random specials, jitter and timestamp gaps.
fn series(r: &mut Rng) -> Vec<Sample> {
    let n = match r.below(4) {
        0 => r.below(4) as usize,
        1 => r.below(200) as usize,
        _ => r.below(3000) as usize,
    };
    let scale = 10f64.powi(r.below(10) as i32);
    let shape = r.below(5);
    let mut t = (r.next() as i64) >> r.below(64);
    let step = [15_000i64, 1, 60_000, 0, 1_000_000_007][r.below(5) as usize];
    let mut acc = (r.below(1_000_000) as f64) / scale;
    (0..n)
        .map(|_| {
            t = match r.below(10) {
                0 if r.chance(20) => (r.next() as i64) >> r.below(64),
                0 | 1 => t.wrapping_add(step + (r.below(2001) as i64 - 1000)),
                _ => t.wrapping_add(step),
            };
            let v = match shape {
                0 => f64::from_bits(r.next()),
                1 => {
                    acc += r.below(100) as f64;
                    acc
                }
                2 => format!("{:.3}", r.below(1 << 40) as f64 / scale).parse().unwrap_or(0.0),
                3 => (r.below(2_000_001) as f64 - 1e6) / scale,
                _ => acc,
            };
            let v = if r.chance(3) { f64::from_bits(SPECIAL[r.below(12) as usize]) } else { v };
            Sample { t, v }
        })
        .collect()
}

fn same(a: &[Sample], b: &[Sample]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.t == y.t && x.v.to_bits() == y.v.to_bits())
}

#[test]
fn runs_round_trip_random_series() {
    let mut r = Rng(1);
    for case in 0..600 {
        let s = series(&mut r);
        let codec = [RunCodec::Compact, RunCodec::FastDecode, RunCodec::Plain][case % 3];
        let e = encode_run_with(&s, codec);
        let d = decode_run(&e).unwrap_or_else(|err| panic!("case {case}: {err}"));
        assert!(same(&s, &d), "case {case}");
        let h = run_header(&e).unwrap();
        assert_eq!(h.count, s.len());
        if let (Some(f), Some(l)) = (s.first(), s.last()) {
            assert_eq!((h.min_t, h.max_t), (f.t, l.t));
        }
    }
}

#[test]
fn runs_round_trip_all_specials() {
    for &bits in &SPECIAL {
        for n in [1, 2, 3, 200] {
            let s: Vec<Sample> = (0..n).map(|i| Sample { t: i * 15_000, v: f64::from_bits(bits) }).collect();
            assert!(same(&s, &decode_run(&encode_run(&s)).unwrap()), "{bits:#x}");
        }
    }
    let extremes = [i64::MIN, i64::MAX, 0, -1, i64::MIN, 1];
    let s: Vec<Sample> = extremes.iter().map(|&t| Sample { t, v: -0.0 }).collect();
    assert!(same(&s, &decode_run(&encode_run(&s)).unwrap()));
}

#[test]
fn xor_chunks_round_trip_random_series() {
    let mut r = Rng(2);
    for case in 0..300 {
        let s = series(&mut r);
        let mut c = XorChunk::new();
        for x in s.iter().take(usize::from(u16::MAX)) {
            c.append(x.t, x.v).unwrap();
        }
        let got: Vec<Sample> = c.iter().map(|(t, v)| Sample { t, v }).collect();
        assert!(same(&s, &got), "case {case}");
        let reopened = XorChunk::from_bytes(c.bytes().to_vec()).unwrap();
        assert_eq!(reopened, c, "case {case}");
    }
}

/// Flips, truncates and extends encoded bytes; decoding must not panic.
fn mangle(r: &mut Rng, good: &[u8]) -> Vec<u8> {
    let mut b = good.to_vec();
    match r.below(4) {
        0 => b.truncate(r.below(b.len() as u64 + 1) as usize),
        1 => {
            for _ in 0..=r.below(4) {
                if !b.is_empty() {
                    let i = r.below(b.len() as u64) as usize;
                    b[i] ^= 1 << r.below(8);
                }
            }
        }
        2 => {
            if !b.is_empty() {
                let i = r.below(b.len() as u64) as usize;
                b[i] = r.next() as u8;
            }
        }
        _ => b.extend((0..r.below(20)).map(|_| r.next() as u8)),
    }
    b
}

#[test]
fn corrupt_runs_never_panic() {
    let mut r = Rng(3);
    let mut errors = 0;
    for _ in 0..300 {
        let s = series(&mut r);
        let codec = [RunCodec::Compact, RunCodec::FastDecode, RunCodec::Plain][r.below(3) as usize];
        let good = encode_run_with(&s, codec);
        for _ in 0..20 {
            let bad = mangle(&mut r, &good);
            let _ = run_header(&bad);
            if decode_run(&bad).is_err() {
                errors += 1;
            }
            // Tail windows take the backward path of version 2 columns.
            for k in [1usize, 7, 100] {
                let lo = s.len().checked_sub(k).map_or(0, |i| s[i].t);
                let _ = argus_chunkenc::decode_run_range_into(&bad, lo, i64::MAX, &mut Vec::new());
            }
        }
        // Strict prefixes are rejected (the last few bytes of a range coded
        // stream may be implied zeros).
        for _ in 0..8 {
            let cut = r.below(good.len() as u64) as usize;
            assert!(decode_run(&good[..cut]).is_err() || good.len() - cut <= 4, "prefix {cut} of {}", good.len());
        }
    }
    assert!(errors > 0);
    for len in 0..64 {
        let junk: Vec<u8> = (0..len).map(|_| r.next() as u8).collect();
        let _ = decode_run(&junk);
        for v in [1u8, 2] {
            let mut with_version = vec![v];
            with_version.extend(&junk);
            let _ = decode_run(&with_version);
            let mut out = Vec::new();
            let _ = argus_chunkenc::decode_run_range_into(&with_version, i64::MIN, i64::MAX, &mut out);
        }
    }
}

#[test]
fn corrupt_xor_chunks_never_panic() {
    let mut r = Rng(4);
    for _ in 0..300 {
        let s = series(&mut r);
        let mut c = XorChunk::new();
        for x in s.iter().take(500) {
            c.append(x.t, x.v).unwrap();
        }
        for _ in 0..20 {
            let bad = mangle(&mut r, c.bytes());
            let _ = XorChunk::from_bytes(bad.clone());
            let mut it = XorIter::new(&bad);
            while it.next().is_some() {}
        }
        for _ in 0..8 {
            let cut = r.below(c.bytes().len() as u64) as usize;
            let n = usize::from(c.num_samples());
            let partial = XorChunk::from_bytes(c.bytes()[..cut].to_vec());
            assert!(partial.is_err() || n == 0, "prefix {cut}");
        }
    }
}

/// Pins the version 2 byte layout (FORMAT.md) of small runs: a change here is
/// a format change and needs a new version byte.
#[test]
fn run_v2_layout_is_stable() {
    let run: Vec<Sample> =
        [1.5, 2.5, 3.5].iter().enumerate().map(|(i, &v)| Sample { t: 15_000 * i as i64, v }).collect();
    let e = encode_run(&run);
    // version, count 3, t_first 0, span 30000, regular timestamps, decimal scale 1,
    // no escapes, order 2, seeds 15 and 10 (zigzag 30, 20), divisor 1,
    // tail seeds 35 - 15 and 10 - 10 (zigzag 40, 0), stream all zero.
    assert_eq!(e, [2, 3, 0, 0xb0, 0xea, 0x01, 0, 0, 1, 0, 2, 30, 20, 1, 40, 0, 0]);
    assert!(same(&decode_run(&e).unwrap(), &run));
    // The same run as version 1 wrote it (no tail seeds) still reads.
    let v1 = [1, 3, 0, 0xb0, 0xea, 0x01, 0, 0, 1, 0, 2, 30, 20, 1, 0];
    assert!(same(&decode_run(&v1).unwrap(), &run));
    assert_eq!(decode_run(&[1, 0]).unwrap(), []);
    assert_eq!(decode_run(&[2, 0]).unwrap(), []);
    assert_eq!(decode_run(&[3, 0]), Err(argus_chunkenc::Error::UnknownVersion(3)));
}

/// Runs written by version 1 of the format (before tail seeds), generated by
/// argus at commit 9ec6a48 with every codec and shape (regular and jittered
/// timestamps, counters, `%.3f` gauges, quadratic growth for order 2, stale
/// markers, raw floats in XOR mode, constants, 0 to 3 samples): they must
/// decode to the samples stored beside them, whole and in windows.
#[test]
fn version_1_runs_still_decode() {
    let data = include_bytes!("../testdata/runs_v1.bin");
    let mut pos = 0usize;
    let mut take = |n: usize| {
        let s = &data[pos..pos + n];
        pos += n;
        s
    };
    let u32_at = |b: &[u8]| u32::from_le_bytes(b.try_into().unwrap()) as usize;
    let cases = u32_at(take(4));
    assert!(cases > 20);
    for case in 0..cases {
        let n = u32_at(take(4));
        let want: Vec<Sample> = (0..n)
            .map(|_| {
                let t = i64::from_le_bytes(take(8).try_into().unwrap());
                let v = f64::from_bits(u64::from_le_bytes(take(8).try_into().unwrap()));
                Sample { t, v }
            })
            .collect();
        let len = u32_at(take(4));
        let run = take(len).to_vec();
        assert_eq!(run[0], 1, "case {case} is a version 1 run");
        assert!(same(&decode_run(&run).unwrap(), &want), "case {case}");
        for k in [1usize, 5, 20, 300] {
            let Some(lo) = want.len().checked_sub(k).map(|i| want[i].t) else { continue };
            let mut got = Vec::new();
            argus_chunkenc::decode_run_range_into(&run, lo, i64::MAX, &mut got).unwrap();
            let w: Vec<Sample> = want.iter().copied().filter(|x| x.t >= lo).collect();
            assert!(same(&got, &w), "case {case}, last {k}");
        }
    }
    assert_eq!(pos, data.len());
}

/// `decode_run_range_into` must give exactly `decode_run` filtered to the
/// window, for every shape of run and window (including runs whose
/// timestamps do not ascend, which take the slow path).
#[test]
fn range_decoding_equals_filtered_decoding() {
    let mut r = Rng(7);
    for case in 0..600 {
        let mut s = series(&mut r);
        if r.chance(50) {
            s.sort_by_key(|x| x.t);
            s.dedup_by_key(|x| x.t);
        }
        if r.chance(30) {
            // Regular timestamps, as scraped or backfilled data has them.
            let t0 = (r.next() as i64) >> 20;
            let step = 1 + r.below(60_000) as i64;
            for (i, x) in s.iter_mut().enumerate() {
                x.t = t0 + step * i as i64;
            }
        }
        let codec = [RunCodec::Compact, RunCodec::FastDecode, RunCodec::Plain][case % 3];
        let e = encode_run_with(&s, codec);
        let all = decode_run(&e).unwrap();
        let pick = |r: &mut Rng| match (s.len(), r.below(4)) {
            (0, _) | (_, 0) => (r.next() as i64) >> r.below(64),
            (n, 1) => s[r.below(n as u64) as usize].t,
            (n, 2) => s[r.below(n as u64) as usize].t.wrapping_add(r.below(3) as i64 - 1),
            // Windows at the end, as instant queries and dashboards read them.
            (n, 3) if r.chance(50) => s[n - 1 - r.below(n.min(40) as u64) as usize].t,
            _ => [i64::MIN, i64::MAX, 0][r.below(3) as usize],
        };
        for _ in 0..20 {
            let (a, b) = (pick(&mut r), pick(&mut r));
            let (lo, hi) = if r.chance(90) { (a.min(b), a.max(b)) } else { (a, b) };
            let want: Vec<Sample> = all.iter().copied().filter(|x| x.t >= lo && x.t <= hi).collect();
            let mut got = vec![Sample { t: 1, v: 2.0 }];
            argus_chunkenc::decode_run_range_into(&e, lo, hi, &mut got)
                .unwrap_or_else(|err| panic!("case {case}: {err}"));
            assert_eq!(got.remove(0).t, 1);
            assert!(same(&want, &got), "case {case} window [{lo}, {hi}]: {} vs {}", want.len(), got.len());
        }
    }
}
