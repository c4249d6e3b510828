//! The notification log: per receiver integration and aggregation group, the
//! hashes of the alerts that were firing and resolved at the last successful
//! notification and when it was sent. The dedup stage asks it whether a flush
//! needs to notify at all (Alertmanager 0.25's `DedupStage.needsUpdate`), so a
//! restart (the log is snapshotted under the data directory) does not re-page.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::persist::SnapshotFile;

/// Identifies one integration of one receiver, as Alertmanager's `nflogpb.Receiver`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct ReceiverKey {
    /// The receiver's name.
    pub group_name: String,
    /// The integration's name (`webhook`, `email`, ...).
    pub integration: String,
    /// The index of the integration among the receiver's ones of that kind.
    pub idx: u32,
}

/// One log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// The aggregation group's key.
    pub group_key: String,
    /// Who was notified.
    pub receiver: ReceiverKey,
    /// When, Unix milliseconds.
    pub timestamp_ms: i64,
    /// Hashes of the alerts that were firing.
    pub firing_alerts: Vec<u64>,
    /// Hashes of the alerts that were resolved.
    pub resolved_alerts: Vec<u64>,
    /// When the entry may be dropped, Unix milliseconds.
    pub expires_at_ms: i64,
}

impl Entry {
    /// Whether every alert of `subset` was firing at the last notification.
    fn is_firing_subset(&self, subset: &HashSet<u64>) -> bool {
        subset.iter().all(|h| self.firing_alerts.contains(h))
    }

    /// Whether every alert of `subset` was resolved at the last notification.
    fn is_resolved_subset(&self, subset: &HashSet<u64>) -> bool {
        subset.iter().all(|h| self.resolved_alerts.contains(h))
    }
}

/// The notification log.
#[derive(Debug)]
pub(crate) struct NotificationLog {
    entries: Mutex<HashMap<String, Entry>>,
    file: SnapshotFile,
    retention_ms: i64,
}

fn state_key(group_key: &str, r: &ReceiverKey) -> String {
    format!("{group_key}:{}/{}/{}", r.group_name, r.integration, r.idx)
}

impl NotificationLog {
    /// Opens the log, restoring `dir/nflog` when `dir` is given (blocking).
    pub(crate) fn open(dir: Option<&Path>, retention_ms: i64) -> Self {
        let file = SnapshotFile::new(dir, "nflog");
        let list: Vec<Entry> = file.load();
        let entries = list.into_iter().map(|e| (state_key(&e.group_key, &e.receiver), e)).collect();
        NotificationLog { entries: Mutex::new(entries), file, retention_ms }
    }

    /// The entry of `receiver` for `group_key`.
    pub(crate) fn query(&self, receiver: &ReceiverKey, group_key: &str) -> Option<Entry> {
        self.entries.lock().get(&state_key(group_key, receiver)).cloned()
    }

    /// Records a successful notification at `now_ms`. As Alertmanager, an
    /// entry is kept for the retention or `expiry` (twice the repeat
    /// interval), whichever is shorter, and a newer existing entry wins.
    pub(crate) fn log(
        &self,
        receiver: &ReceiverKey,
        group_key: &str,
        firing: Vec<u64>,
        resolved: Vec<u64>,
        expiry_ms: i64,
        now_ms: i64,
    ) {
        let key = state_key(group_key, receiver);
        let mut entries = self.entries.lock();
        if entries.get(&key).is_some_and(|e| e.timestamp_ms > now_ms) {
            return;
        }
        let keep = if expiry_ms > 0 && self.retention_ms > expiry_ms { expiry_ms } else { self.retention_ms };
        entries.insert(
            key,
            Entry {
                group_key: group_key.to_string(),
                receiver: receiver.clone(),
                timestamp_ms: now_ms,
                firing_alerts: firing,
                resolved_alerts: resolved,
                expires_at_ms: now_ms.saturating_add(keep),
            },
        );
    }

    /// Drops expired entries; returns how many.
    pub(crate) fn gc(&self, now_ms: i64) -> usize {
        let mut entries = self.entries.lock();
        let before = entries.len();
        entries.retain(|_, e| e.expires_at_ms > now_ms);
        before - entries.len()
    }

    /// The number of entries.
    pub(crate) fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// Writes the snapshot (blocking); returns its size in bytes.
    pub(crate) fn snapshot(&self) -> std::io::Result<usize> {
        let mut list: Vec<Entry> = self.entries.lock().values().cloned().collect();
        list.sort_by(|a, b| (&a.group_key, a.timestamp_ms).cmp(&(&b.group_key, b.timestamp_ms)));
        self.file.save(&list)
    }
}

/// Alertmanager's `DedupStage.needsUpdate`: whether a flush with these firing
/// and resolved alert hashes must notify, given the last entry.
pub(crate) fn needs_update(
    entry: Option<&Entry>,
    firing: &HashSet<u64>,
    resolved: &HashSet<u64>,
    send_resolved: bool,
    repeat_ms: i64,
    now_ms: i64,
) -> bool {
    let Some(entry) = entry else {
        // Never notified: notify unless everything is already resolved.
        return !firing.is_empty();
    };
    if !entry.is_firing_subset(firing) {
        return true;
    }
    if firing.is_empty() {
        // All resolved: notify (whatever send_resolved says, to clear the log)
        // only if the receiver was told about firing alerts.
        return !entry.firing_alerts.is_empty();
    }
    if send_resolved && !entry.is_resolved_subset(resolved) {
        return true;
    }
    entry.timestamp_ms < now_ms - repeat_ms
}

/// Alertmanager's `hashAlert`: xxhash64 over sorted label names and values,
/// each followed by `0xff`.
pub(crate) fn hash_alert(labels: &argus_model::Labels) -> u64 {
    let mut b = Vec::with_capacity(128);
    for l in labels.iter() {
        b.extend_from_slice(l.name.as_bytes());
        b.push(0xff);
        b.extend_from_slice(l.value.as_bytes());
        b.push(0xff);
    }
    xxhash_rust::xxh64::xxh64(&b, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[u64]) -> HashSet<u64> {
        v.iter().copied().collect()
    }

    fn entry(firing: &[u64], resolved: &[u64], ts: i64) -> Entry {
        Entry {
            group_key: "g".into(),
            receiver: ReceiverKey { group_name: "r".into(), integration: "webhook".into(), idx: 0 },
            timestamp_ms: ts,
            firing_alerts: firing.to_vec(),
            resolved_alerts: resolved.to_vec(),
            expires_at_ms: i64::MAX,
        }
    }

    #[test]
    fn needs_update_table() {
        let check = |e: Option<Entry>, f: &[u64], r: &[u64], sr: bool, want: bool| {
            assert_eq!(needs_update(e.as_ref(), &set(f), &set(r), sr, 1000, 10_000), want, "{e:?} {f:?} {r:?} {sr}");
        };
        check(None, &[1], &[], true, true);
        check(None, &[], &[1], true, false);
        check(Some(entry(&[1], &[], 9_500)), &[1], &[], true, false);
        check(Some(entry(&[1], &[], 9_500)), &[1, 2], &[], true, true);
        // Fewer firing, newly resolved: only with send_resolved.
        check(Some(entry(&[1, 2], &[], 9_500)), &[1], &[2], true, true);
        check(Some(entry(&[1, 2], &[], 9_500)), &[1], &[2], false, false);
        // All resolved: notify regardless of send_resolved, if anything was firing.
        check(Some(entry(&[1], &[], 9_500)), &[], &[1], false, true);
        check(Some(entry(&[], &[1], 9_500)), &[], &[1], true, false);
        // Repeat interval passed.
        check(Some(entry(&[1], &[], 8_000)), &[1], &[], true, true);
    }

    #[test]
    fn log_snapshot_restore_and_gc() {
        let dir = tempfile::tempdir().unwrap();
        let r = ReceiverKey { group_name: "r".into(), integration: "webhook".into(), idx: 0 };
        let log = NotificationLog::open(Some(dir.path()), 1_000_000);
        log.log(&r, "g", vec![1], vec![], 500, 100);
        assert_eq!(log.query(&r, "g").unwrap().expires_at_ms, 600);
        log.snapshot().unwrap();
        let log2 = NotificationLog::open(Some(dir.path()), 1_000_000);
        assert_eq!(log2.query(&r, "g").unwrap().firing_alerts, vec![1]);
        assert_eq!(log2.gc(700), 1);
        assert!(log2.query(&r, "g").is_none());
    }
}
