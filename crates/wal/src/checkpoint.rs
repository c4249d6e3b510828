//! Checkpoints: a compacted copy of the records of segments up to N.
//!
//! `checkpoint.NNNNNNNN` is a directory of ordinary segments holding what the owner
//! chose to keep from segments `..=N` (live series, recent samples). It is written
//! into `checkpoint.NNNNNNNN.tmp`, fsynced and renamed, so a checkpoint directory
//! without `.tmp` is always complete. Replay reads the latest checkpoint, then the
//! segments after N.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::segment::{list_names, parse_checkpoint_name, sync_dir};
use crate::writer::{FsyncPolicy, Wal, WalOptions};

/// Records are gathered into batches of about this size while writing a checkpoint.
const CHECKPOINT_BATCH_BYTES: usize = 1 << 20;

/// A complete checkpoint directory on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The last segment whose records it covers.
    pub index: u32,
    /// Its directory, `<wal dir>/checkpoint.NNNNNNNN`.
    pub path: PathBuf,
}

fn checkpoint_path(dir: &Path, index: u32) -> PathBuf {
    dir.join(format!("checkpoint.{index:08}"))
}

fn remove_dir(path: &Path) -> Result<()> {
    fs::remove_dir_all(path).map_err(|source| Error::Modify { action: "delete", path: path.to_path_buf(), source })
}

impl Checkpoint {
    /// Finds the checkpoint with the highest index in `dir`, if any. Blocking.
    pub fn latest(dir: impl AsRef<Path>) -> Result<Option<Checkpoint>> {
        let dir = dir.as_ref();
        Ok(list_checkpoints(dir)?
            .into_iter()
            .max()
            .map(|index| Checkpoint { index, path: checkpoint_path(dir, index) }))
    }

    /// Writes `checkpoint.<index>` in the WAL directory `dir` from `records`, atomically.
    ///
    /// The records are written to `checkpoint.<index>.tmp`, fsynced, and the directory is
    /// renamed into place and the parent fsynced; an existing checkpoint with the same
    /// index is replaced. `index` is the last segment the checkpoint covers and must be
    /// a closed segment (below [`Wal::current_segment`]), or replay would skip records
    /// logged to it later. Blocking and slow: call it without holding the lock around
    /// the [`Wal`]; it never touches the live segments. Afterwards call
    /// [`Wal::truncate_before`]`(index + 1)` and [`Checkpoint::delete_before`]`(index)`.
    pub fn write<I>(dir: impl AsRef<Path>, index: u32, records: I) -> Result<Checkpoint>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let dir = dir.as_ref();
        let path = checkpoint_path(dir, index);
        let tmp = dir.join(format!("checkpoint.{index:08}.tmp"));
        if tmp.exists() {
            remove_dir(&tmp)?;
        }
        let opts = WalOptions { fsync: FsyncPolicy::Never, ..WalOptions::default() };
        let (mut wal, _) = Wal::open(&tmp, opts)?;
        let mut pending: Vec<I::Item> = Vec::new();
        let mut pending_bytes = 0;
        for rec in records {
            pending_bytes += rec.as_ref().len();
            pending.push(rec);
            if pending_bytes >= CHECKPOINT_BATCH_BYTES {
                log_pending(&mut wal, &mut pending)?;
                pending_bytes = 0;
            }
        }
        log_pending(&mut wal, &mut pending)?;
        wal.close()?;
        sync_dir(&tmp)?;
        if path.exists() {
            remove_dir(&path)?;
        }
        fs::rename(&tmp, &path).map_err(|source| Error::Modify { action: "rename", path: tmp.clone(), source })?;
        sync_dir(dir)?;
        Ok(Checkpoint { index, path })
    }

    /// Deletes checkpoints with an index below `index` (and leftover `.tmp` directories
    /// of them); returns how many complete checkpoints were deleted. Blocking.
    pub fn delete_before(dir: impl AsRef<Path>, index: u32) -> Result<usize> {
        let dir = dir.as_ref();
        let mut deleted = 0;
        for old in list_checkpoints(dir)?.into_iter().filter(|&i| i < index) {
            remove_dir(&checkpoint_path(dir, old))?;
            deleted += 1;
        }
        if deleted > 0 {
            sync_dir(dir)?;
        }
        Ok(deleted)
    }
}

fn log_pending<R: AsRef<[u8]>>(wal: &mut Wal, pending: &mut Vec<R>) -> Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let refs: Vec<&[u8]> = pending.iter().map(AsRef::as_ref).collect();
    wal.log(&refs)?;
    pending.clear();
    Ok(())
}

/// Indexes of complete checkpoints in `dir`, unsorted.
fn list_checkpoints(dir: &Path) -> Result<Vec<u32>> {
    Ok(list_names(dir)?.iter().filter_map(|n| parse_checkpoint_name(n)).collect())
}

/// Removes `checkpoint.*.tmp` directories left by a crash during [`Checkpoint::write`].
pub(crate) fn remove_tmp_checkpoints(dir: &Path) -> Result<()> {
    for name in list_names(dir)? {
        if name.starts_with("checkpoint.") && name.ends_with(".tmp") {
            let path = dir.join(&name);
            tracing::warn!(path = %path.display(), "deleting incomplete WAL checkpoint");
            remove_dir(&path)?;
        }
    }
    Ok(())
}
