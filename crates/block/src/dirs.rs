//! Directory helpers: size of a block on disk, listing finished blocks, and
//! removing `.tmp` directories that a crash left behind.

use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Result, io_err};
use crate::ulid::Ulid;

/// Suffix of a block directory that is still being written.
pub const TMP_SUFFIX: &str = ".tmp";

/// Total size in bytes of the regular files under `dir`, recursively.
pub fn dir_size(dir: &Path) -> io::Result<u64> {
    let mut total = 0;
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let ft = e.file_type()?;
        if ft.is_dir() {
            total += dir_size(&e.path())?;
        } else if ft.is_file() {
            total += e.metadata()?.len();
        }
    }
    Ok(total)
}

/// Finished block directories under `parent` (named by a ULID, holding a
/// meta.json), sorted by ULID. `.tmp` directories are skipped.
pub fn list_blocks(parent: &Path) -> Result<Vec<PathBuf>> {
    let mut out: Vec<(Ulid, PathBuf)> = Vec::new();
    for e in std::fs::read_dir(parent).map_err(io_err("list", parent))? {
        let e = e.map_err(io_err("list", parent))?;
        let Some(ulid) = e.file_name().to_str().and_then(|n| n.parse::<Ulid>().ok()) else {
            continue;
        };
        let p = e.path();
        if p.join(crate::META_FILE).is_file() {
            out.push((ulid, p));
        }
    }
    out.sort();
    Ok(out.into_iter().map(|(_, p)| p).collect())
}

/// Removes `<ULID>.tmp` directories under `parent` (unfinished writes);
/// returns the removed paths. Call at startup, before any writer runs.
pub fn remove_tmp_dirs(parent: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for e in std::fs::read_dir(parent).map_err(io_err("list", parent))? {
        let e = e.map_err(io_err("list", parent))?;
        let name = e.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(TMP_SUFFIX)) else {
            continue;
        };
        if stem.parse::<Ulid>().is_ok() && e.path().is_dir() {
            std::fs::remove_dir_all(e.path()).map_err(io_err("remove", &e.path()))?;
            removed.push(e.path());
        }
    }
    Ok(removed)
}
