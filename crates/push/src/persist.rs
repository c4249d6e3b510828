//! Persistence: the whole store as one JSON document (see the crate's FORMAT.md), written
//! atomically (temporary file in the same directory, fsync, rename), read once
//! at start-up.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::PersistError;
use crate::family::Family;
use crate::key::GroupingKey;
use crate::store::{Group, PushStore, Stored};

const FORMAT_NAME: &str = "argus-push-store";
const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct FileV1 {
    format: String,
    version: u32,
    groups: Vec<GroupV1>,
}

#[derive(Serialize, Deserialize)]
struct GroupV1 {
    labels: BTreeMap<String, String>,
    families: Vec<FamilyV1>,
}

#[derive(Serialize, Deserialize)]
struct FamilyV1 {
    time_ns: i64,
    family: Family,
}

/// When the store should be written: at most once per `interval` after a
/// change (the Pushgateway's `--persistence.interval`, default 5m), and on
/// shutdown. The binary runs the timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersistOptions {
    /// Minimum time between two saves.
    pub interval: Duration,
}

impl Default for PersistOptions {
    fn default() -> Self {
        PersistOptions { interval: Duration::from_secs(300) }
    }
}

impl PersistOptions {
    /// Whether a save is due at `now`: the store changed since the last save
    /// (its [`PushStore::generation`] differs from `saved_generation`) and
    /// `interval` has passed since `last_save`.
    pub fn save_due(&self, store: &PushStore, saved_generation: u64, last_save: Instant, now: Instant) -> bool {
        store.generation() != saved_generation && now.saturating_duration_since(last_save) >= self.interval
    }
}

impl PushStore {
    /// Writes the store to `path` atomically and returns the
    /// [`PushStore::generation`] that was saved. Blocks on file I/O; the lock
    /// is held only while serialising.
    pub fn save(&self, path: &Path) -> Result<u64, PersistError> {
        let (bytes, generation) = {
            let inner = self.inner.lock();
            let file = FileV1 {
                format: FORMAT_NAME.into(),
                version: FORMAT_VERSION,
                groups: inner
                    .groups
                    .iter()
                    .map(|(k, g)| GroupV1 {
                        labels: k.labels().clone(),
                        families: g
                            .families
                            .values()
                            .map(|s| FamilyV1 { time_ns: s.time_ns, family: s.family.clone() })
                            .collect(),
                    })
                    .collect(),
            };
            let bytes = serde_json::to_vec(&file)
                .map_err(|e| PersistError::Corrupt { path: path.to_path_buf(), reason: e.to_string() })?;
            (bytes, inner.generation)
        };
        let io = |op, e| PersistError::Io { op, path: path.to_path_buf(), source: e };
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let base = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "push".into());
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let tmp = dir.join(format!("{base}.in_progress.{}.{nanos}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(io("write", e));
        }
        if let Err(e) = std::fs::rename(&tmp, path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(io("rename", e));
        }
        // Make the rename itself durable; not every platform can fsync a directory.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(generation)
    }

    /// Replaces the store's groups with those in `path`. A missing file leaves
    /// the store empty and is not an error; a file that cannot be decoded is
    /// [`PersistError::Corrupt`] and leaves the store unchanged (the caller
    /// logs it and starts empty, as the Pushgateway does).
    pub fn load(&self, path: &Path) -> Result<(), PersistError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(PersistError::Io { op: "read", path: path.to_path_buf(), source: e }),
        };
        let corrupt = |reason: String| PersistError::Corrupt { path: path.to_path_buf(), reason };
        let file: FileV1 = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
        if file.format != FORMAT_NAME || file.version != FORMAT_VERSION {
            return Err(corrupt(format!("unsupported format {:?} version {}", file.format, file.version)));
        }
        let mut groups = BTreeMap::new();
        for g in file.groups {
            let job = g.labels.get("job").cloned().unwrap_or_default();
            if job.is_empty() {
                return Err(corrupt("group without job".into()));
            }
            let key = GroupingKey::new(&job, g.labels);
            let mut group = Group::default();
            for f in g.families {
                group.families.insert(f.family.name.clone(), Stored { family: f.family, time_ns: f.time_ns });
            }
            groups.insert(key, group);
        }
        let mut inner = self.inner.lock();
        inner.groups = groups;
        inner.generation += 1;
        Ok(())
    }
}
