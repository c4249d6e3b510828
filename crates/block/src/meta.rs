//! `meta.json`: the block's ID, time range, statistics and compaction history.
//!
//! The JSON field names follow Prometheus' `meta.json` (camelCase, `minTime`,
//! `maxTime`, `stats`, `compaction`) so that operators recognise it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, io_err};
use crate::ulid::Ulid;

/// The meta.json format version this crate writes.
pub const META_VERSION: u32 = 1;

/// Contents of a block's `meta.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockMeta {
    /// The block ID, also its directory name.
    pub ulid: Ulid,
    /// Inclusive lower bound of sample timestamps (ms).
    pub min_time: i64,
    /// Inclusive upper bound of sample timestamps (ms).
    pub max_time: i64,
    /// Counts of what the block holds.
    pub stats: BlockStats,
    /// Where the block came from.
    pub compaction: Compaction,
    /// The meta.json format version ([`META_VERSION`]).
    pub version: u32,
}

/// Counts of a block's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockStats {
    /// Total samples over all runs.
    pub num_samples: u64,
    /// Number of series.
    pub num_series: u64,
    /// Number of runs (Prometheus' "chunks").
    pub num_runs: u64,
}

/// Compaction history of a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Compaction {
    /// 1 for a block cut from the head, parents' max + 1 after a merge.
    pub level: u32,
    /// ULIDs of the level-1 blocks whose data this block contains.
    pub sources: Vec<Ulid>,
    /// The blocks merged into this one (empty for a level-1 block).
    #[serde(default)]
    pub parents: Vec<BlockDesc>,
}

impl Default for Compaction {
    fn default() -> Self {
        Compaction { level: 1, sources: Vec::new(), parents: Vec::new() }
    }
}

/// A short description of a parent block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockDesc {
    /// The parent's ID.
    pub ulid: Ulid,
    /// The parent's min time (ms).
    pub min_time: i64,
    /// The parent's max time (ms).
    pub max_time: i64,
}

impl BlockMeta {
    /// Reads and parses `<dir>/meta.json`.
    pub fn read(dir: &Path) -> Result<BlockMeta> {
        let path = dir.join(crate::META_FILE);
        let bytes = std::fs::read(&path).map_err(io_err("read", &path))?;
        serde_json::from_slice(&bytes).map_err(|source| Error::Meta { path, source })
    }

    /// The description of this block as a parent of a merged block.
    pub fn desc(&self) -> BlockDesc {
        BlockDesc { ulid: self.ulid, min_time: self.min_time, max_time: self.max_time }
    }
}
