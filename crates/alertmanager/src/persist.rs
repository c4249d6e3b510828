//! Snapshot files of the notification log and the silences (format in
//! `FORMAT.md`): written whole to a temporary file, fsynced and renamed so a
//! crash leaves either the old or the new snapshot; read back at start, where a
//! file that does not decode is moved aside as `<name>.corrupt-<unix secs>`
//! and the state starts empty, because losing dedup state is better than not
//! starting.

use std::io::Write;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// One snapshot file; the mutex serialises writers.
#[derive(Debug)]
pub(crate) struct SnapshotFile {
    path: Option<PathBuf>,
    lock: Mutex<()>,
}

impl SnapshotFile {
    /// A snapshot at `dir/name`; `dir == None` keeps state in memory only.
    pub(crate) fn new(dir: Option<&Path>, name: &str) -> Self {
        SnapshotFile { path: dir.map(|d| d.join(name)), lock: Mutex::new(()) }
    }

    /// Reads the snapshot; a missing file is the empty state, an unreadable or
    /// corrupt one is logged, moved aside and also yields the empty state.
    pub(crate) fn load<T: DeserializeOwned + Default>(&self) -> T {
        let Some(path) = &self.path else { return T::default() };
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return T::default(),
            Err(e) => {
                tracing::error!(path = %path.display(), err = %e, "cannot read snapshot, starting empty");
                return T::default();
            }
        };
        match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                let secs = crate::alert::now_ms() / 1000;
                let aside = PathBuf::from(format!("{}.corrupt-{secs}", path.display()));
                let moved = std::fs::rename(path, &aside);
                tracing::error!(
                    path = %path.display(), err = %e, moved_to = %aside.display(), move_ok = moved.is_ok(),
                    "corrupt snapshot moved aside, starting empty"
                );
                T::default()
            }
        }
    }

    /// Writes `value` atomically (blocking). Returns the bytes written.
    pub(crate) fn save<T: Serialize>(&self, value: &T) -> std::io::Result<usize> {
        let Some(path) = &self.path else { return Ok(0) };
        let _guard = self.lock.lock();
        let bytes = serde_json::to_vec(value).map_err(std::io::Error::other)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = PathBuf::from(format!("{}.tmp", path.display()));
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        Ok(bytes.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_file_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let f = SnapshotFile::new(Some(dir.path()), "nflog");
        std::fs::write(dir.path().join("nflog"), b"{not json").unwrap();
        let v: Vec<u32> = f.load();
        assert!(v.is_empty());
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().any(|n| n.starts_with("nflog.corrupt-")), "{names:?}");
        f.save(&vec![1u32, 2]).unwrap();
        assert_eq!(f.load::<Vec<u32>>(), vec![1, 2]);
    }
}
