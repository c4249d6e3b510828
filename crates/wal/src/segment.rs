//! Segment and checkpoint files on disk: names, listing, creation, directory fsync.
//!
//! Names follow Prometheus: a segment is an 8-digit zero-padded decimal index
//! (`00000003`), a checkpoint is a directory `checkpoint.NNNNNNNN` holding segments of
//! its own, and `checkpoint.NNNNNNNN.tmp` is one being written.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::format::segment_header;

/// Path of segment `index` in `dir`.
pub fn segment_path(dir: &Path, index: u32) -> PathBuf {
    dir.join(format!("{index:08}"))
}

/// Parses an 8-digit segment name.
fn parse_segment_name(name: &str) -> Option<u32> {
    if name.len() == 8 && name.bytes().all(|b| b.is_ascii_digit()) { name.parse().ok() } else { None }
}

/// Parses `checkpoint.NNNNNNNN` (not the `.tmp` form).
pub(crate) fn parse_checkpoint_name(name: &str) -> Option<u32> {
    name.strip_prefix("checkpoint.").and_then(parse_segment_name)
}

fn dir_error(dir: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Dir { path: dir.to_path_buf(), source }
}

/// Lists the names of all entries of `dir`, skipping non-UTF-8 names.
pub(crate) fn list_names(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(dir_error(dir))? {
        let entry = entry.map_err(dir_error(dir))?;
        if let Ok(name) = entry.file_name().into_string() {
            names.push(name);
        }
    }
    Ok(names)
}

/// Sorted indexes of the segment files in `dir`.
pub fn list_segments(dir: &Path) -> Result<Vec<u32>> {
    let mut segs: Vec<u32> = list_names(dir)?.iter().filter_map(|n| parse_segment_name(n)).collect();
    segs.sort_unstable();
    Ok(segs)
}

/// Size of a file, 0 when it cannot be stat'ed (used for statistics only).
pub(crate) fn file_len(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Fsyncs a directory so that created, renamed and deleted entries are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    let sync_err = |source| Error::Sync { path: dir.to_path_buf(), source };
    File::open(dir).map_err(sync_err)?.sync_all().map_err(sync_err)
}

/// Creates (or truncates) segment `index`, writes its header and makes it durable.
///
/// The file is returned positioned after the header, ready for appends.
pub(crate) fn create_segment(dir: &Path, index: u32) -> Result<File> {
    let path = segment_path(dir, index);
    let open_err = |source| Error::OpenSegment { path: path.clone(), source };
    let mut file = OpenOptions::new().write(true).create(true).truncate(true).open(&path).map_err(open_err)?;
    file.write_all(&segment_header()).map_err(|source| Error::Write { path: path.clone(), source })?;
    file.sync_all().map_err(|source| Error::Sync { path: path.clone(), source })?;
    sync_dir(dir)?;
    Ok(file)
}

/// Deletes a file, mapping the error.
pub(crate) fn remove_file(path: &Path) -> Result<()> {
    fs::remove_file(path).map_err(|source| Error::Modify { action: "delete", path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let check = |name: &str, want: Option<u32>| assert_eq!(parse_segment_name(name), want, "{name}");
        check("00000000", Some(0));
        check("00000042", Some(42));
        check("0000042", None);
        check("0000004a", None);
        check("00000042.tmp", None);
        assert_eq!(parse_checkpoint_name("checkpoint.00000007"), Some(7));
        assert_eq!(parse_checkpoint_name("checkpoint.00000007.tmp"), None);
        assert_eq!(segment_path(Path::new("/w"), 3), Path::new("/w/00000003"));
    }
}
