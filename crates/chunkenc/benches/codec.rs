//! Codec benchmark on benchmark-shaped data (see `tools/gen_runs.py`).
//!
//! Reports bytes/sample per series kind and overall for the block run codec (at
//! several run lengths) and the XOR head chunk (cut at 120 samples), plus
//! encode and decode throughput in samples/s. Every run is checked to decode
//! bit for bit.
//!
//! ```sh
//! python3 crates/chunkenc/tools/gen_runs.py /tmp/chunkenc-data/s2000-n1440.bin
//! cargo bench -p argus-chunkenc --bench codec -- /tmp/chunkenc-data/s2000-n1440.bin
//! ```

use argus_chunkenc::{RunCodec, XorChunk, decode_run, encode_run_with};
use argus_model::Sample;
use std::collections::BTreeMap;
use std::time::Instant;

struct Series {
    kind: String,
    samples: Vec<Sample>,
}

fn take<'a>(b: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (h, t) = b.split_at(n);
    *b = t;
    h
}

fn load(path: &str) -> Vec<Series> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let mut b = data.as_slice();
    assert_eq!(take(&mut b, 9), b"ARGUSRUN1", "bad magic");
    let u32le = |b: &mut &[u8]| u32::from_le_bytes(take(b, 4).try_into().unwrap()) as usize;
    let n = u32le(&mut b);
    (0..n)
        .map(|_| {
            let kl = take(&mut b, 1)[0] as usize;
            let kind = String::from_utf8(take(&mut b, kl).to_vec()).unwrap();
            let c = u32le(&mut b);
            let samples = (0..c)
                .map(|_| {
                    let t = i64::from_le_bytes(take(&mut b, 8).try_into().unwrap());
                    let v = f64::from_le_bytes(take(&mut b, 8).try_into().unwrap());
                    Sample { t, v }
                })
                .collect();
            Series { kind, samples }
        })
        .collect()
}

#[derive(Default)]
struct Acc {
    samples: usize,
    bytes: usize,
    chunks: usize,
    heap: usize,
}

fn report(title: &str, acc: &BTreeMap<String, Acc>) {
    println!("{title}");
    let (mut ts, mut tb) = (0, 0);
    for (k, a) in acc {
        println!(
            "  {k:<12} {:>10} samples {:>10} bytes {:>7.4} B/sample",
            a.samples,
            a.bytes,
            a.bytes as f64 / a.samples as f64
        );
        ts += a.samples;
        tb += a.bytes;
    }
    println!("  {:<12} {:>10} samples {:>10} bytes {:>7.4} B/sample", "ALL", ts, tb, tb as f64 / ts as f64);
}

fn bench_runs(series: &[Series], run_len: usize, codec: RunCodec) {
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    let mut encoded = Vec::new();
    let t0 = Instant::now();
    for s in series {
        for run in s.samples.chunks(run_len) {
            encoded.push(encode_run_with(run, codec));
        }
    }
    let enc_s = t0.elapsed().as_secs_f64();
    // Best of five passes: the machine is shared, the minimum is the signal.
    let mut decoded = 0usize;
    let mut dec_s = f64::MAX;
    for _ in 0..5 {
        let t0 = Instant::now();
        decoded = 0;
        for e in &encoded {
            decoded += decode_run(e).expect("decode").len();
        }
        dec_s = dec_s.min(t0.elapsed().as_secs_f64());
    }
    let mut it = encoded.iter();
    for s in series {
        let a = acc.entry(s.kind.clone()).or_default();
        for run in s.samples.chunks(run_len) {
            let e = it.next().unwrap();
            let d = decode_run(e).expect("decode");
            assert!(
                d.len() == run.len() && d.iter().zip(run).all(|(x, y)| x.t == y.t && x.v.to_bits() == y.v.to_bits()),
                "round trip mismatch in {}",
                s.kind
            );
            a.samples += run.len();
            a.bytes += e.len();
        }
    }
    report(&format!("block runs of <= {run_len} samples, {codec:?}"), &acc);
    println!(
        "  encode {:.1} M samples/s, decode {:.1} M samples/s",
        decoded as f64 / enc_s / 1e6,
        decoded as f64 / dec_s / 1e6
    );
}

fn bench_xor(series: &[Series]) {
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    let mut chunks = Vec::new();
    let t0 = Instant::now();
    for s in series {
        let a = acc.entry(s.kind.clone()).or_default();
        for run in s.samples.chunks(120) {
            let mut c = XorChunk::new();
            for x in run {
                c.append(x.t, x.v).unwrap();
            }
            a.samples += run.len();
            a.bytes += c.bytes().len();
            a.chunks += 1;
            a.heap += c.heap_bytes();
            chunks.push(c);
        }
    }
    let enc_s = t0.elapsed().as_secs_f64();
    let (mut n, mut sink, mut dec_s) = (0usize, 0u64, f64::MAX);
    for _ in 0..5 {
        let t0 = Instant::now();
        n = 0;
        for c in &chunks {
            for (t, v) in c.iter() {
                n += 1;
                sink ^= t as u64 ^ v.to_bits();
            }
        }
        dec_s = dec_s.min(t0.elapsed().as_secs_f64());
    }
    std::hint::black_box(sink);
    report("xor head chunks of 120 samples (chunk bytes, no Prometheus framing)", &acc);
    for (k, a) in &acc {
        println!("  {k:<12} mean chunk heap {:.0} B", a.heap as f64 / a.chunks as f64);
    }
    let heap: usize = chunks.iter().map(|c| c.heap_bytes()).sum();
    println!(
        "  encode {:.1} M samples/s, decode {:.1} M samples/s; size_of::<XorChunk>() = {} B, mean heap {:.1} B/chunk",
        n as f64 / enc_s / 1e6,
        n as f64 / dec_s / 1e6,
        std::mem::size_of::<XorChunk>(),
        heap as f64 / chunks.len() as f64
    );
}

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .or_else(|| std::env::var("ARGUS_BENCH_RUNS").ok())
        .unwrap_or_else(|| "/tmp/chunkenc-data/s2000-n1440.bin".to_string());
    let series = load(&path);
    println!("{path}: {} series", series.len());
    for codec in [RunCodec::Compact, RunCodec::FastDecode, RunCodec::Plain] {
        for len in [120, 480, 1440] {
            bench_runs(&series, len, codec);
        }
    }
    bench_xor(&series);
}
