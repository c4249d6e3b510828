//! Sample encodings of argus' storage engine.
//!
//! This crate owns the two byte formats that hold samples (layouts and version
//! history in `FORMAT.md`):
//!
//! - [`XorChunk`]: the head chunk, an append-only Gorilla XOR chunk
//!   (delta-of-delta timestamps, XOR'd floats), byte-compatible with Prometheus'
//!   XOR chunk. The head keeps one open per series; [`XorIter`] reads it.
//! - The block run ([`encode_run`], [`decode_run`], [`run_header`]): one series'
//!   samples in an immutable block, columnar (timestamps apart from values),
//!   values turned into decimal mantissas with one scale per run when that is
//!   exact, differences of the order that encodes smallest, then an adaptive
//!   range coder ([`RunCodec::Compact`]) or zstd ([`RunCodec::FastDecode`]).
//!   This is where the disk target is won.
//!
//! Both are lossless for every `f64` bit pattern (stale marker, NaN payloads,
//! ±Inf, -0.0, subnormals) and every `i64` timestamp.
//!
//! It does not own where chunks and runs live: the head and its memory layout
//! are in `argus-tsdb`, block files, their index and checksums in `argus-block`.
//! It does no I/O.
//!
//! ```
//! use argus_chunkenc::{XorChunk, decode_run, encode_run, run_header};
//! use argus_model::Sample;
//!
//! let mut c = XorChunk::new();
//! c.append(1_000, 0.5)?;
//! c.append(16_000, 0.75)?;
//! assert_eq!(c.iter().collect::<Vec<_>>(), [(1_000, 0.5), (16_000, 0.75)]);
//!
//! let run: Vec<Sample> = (0..120).map(|i| Sample { t: i * 15_000, v: i as f64 * 0.125 }).collect();
//! let bytes = encode_run(&run);
//! assert_eq!(run_header(&bytes)?.count, 120);
//! assert_eq!(decode_run(&bytes)?, run);
//! # Ok::<(), argus_chunkenc::Error>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing))]

mod bits;
mod error;
mod rangecoder;
mod run;
mod varint;
mod xor;

pub use error::{Error, Result};
pub use run::{
    MAX_RUN_SAMPLES, RUN_VERSION, RunCodec, RunHeader, decode_run, decode_run_into, decode_run_range_into, encode_run,
    encode_run_with, run_header,
};
pub use xor::{XorChunk, XorIter};
