//! Silences: matchers plus a time range during which matching alerts are not
//! notified. Semantics are Alertmanager 0.25's `silence` package: an update
//! that would rewrite history (changed matchers, a moved start of an active
//! silence) expires the old silence and creates a new one with a new ID; expired
//! silences are kept for the retention (default 120h) after their end, then
//! garbage collected. The set is snapshotted under the data directory.

use std::collections::HashMap;
use std::path::Path;

use argus_model::{Labels, MatchOp, Matcher, is_valid_label_name};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::persist::SnapshotFile;

/// One matcher of a silence, as the API v2 shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceMatcher {
    /// Label name.
    pub name: String,
    /// Value or regular expression (unanchored, as written).
    pub value: String,
    /// `=~`/`!~` rather than `=`/`!=`.
    pub is_regex: bool,
    /// `=`/`=~` rather than `!=`/`!~`.
    pub is_equal: bool,
}

impl SilenceMatcher {
    /// The label matcher this describes.
    pub fn to_matcher(&self) -> Result<Matcher, String> {
        let op = match (self.is_regex, self.is_equal) {
            (false, true) => MatchOp::Equal,
            (false, false) => MatchOp::NotEqual,
            (true, true) => MatchOp::Re,
            (true, false) => MatchOp::NotRe,
        };
        Matcher::new(op, self.name.clone(), self.value.clone())
            .map_err(|e| format!("invalid regular expression {:?}: {e}", self.value))
    }

    /// From a parsed label matcher.
    pub fn from_matcher(m: &Matcher) -> Self {
        SilenceMatcher {
            name: m.name.clone(),
            value: m.value.clone(),
            is_regex: matches!(m.op, MatchOp::Re | MatchOp::NotRe),
            is_equal: matches!(m.op, MatchOp::Equal | MatchOp::Re),
        }
    }
}

/// A silence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    /// ID (a UUID); empty when creating.
    pub id: String,
    /// The matchers; all must match for an alert to be silenced.
    pub matchers: Vec<SilenceMatcher>,
    /// Start, Unix milliseconds.
    pub starts_at_ms: i64,
    /// End, Unix milliseconds.
    pub ends_at_ms: i64,
    /// Last change, Unix milliseconds.
    pub updated_at_ms: i64,
    /// Author.
    pub created_by: String,
    /// Comment.
    pub comment: String,
}

/// Where a silence stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilenceState {
    /// Starts in the future.
    Pending,
    /// Mutes matching alerts now.
    Active,
    /// Ended.
    Expired,
}

impl SilenceState {
    /// The API's word for the state.
    pub fn as_str(self) -> &'static str {
        match self {
            SilenceState::Pending => "pending",
            SilenceState::Active => "active",
            SilenceState::Expired => "expired",
        }
    }
}

impl Silence {
    /// The state at `now_ms`. A silence whose end is now counts as expired (so
    /// that expiring one takes effect at once).
    pub fn state(&self, now_ms: i64) -> SilenceState {
        if now_ms < self.starts_at_ms {
            SilenceState::Pending
        } else if now_ms >= self.ends_at_ms {
            SilenceState::Expired
        } else {
            SilenceState::Active
        }
    }

    /// Whether every matcher matches `labels` (invalid matchers never match).
    pub fn matches(&self, labels: &Labels) -> bool {
        self.matchers.iter().all(|m| m.to_matcher().is_ok_and(|m| m.matches(labels.get(&m.name).unwrap_or(""))))
    }
}

/// Errors of silence operations, worded as Alertmanager's.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SilenceError {
    /// No silence has the given ID.
    #[error("silence not found")]
    NotFound,
    /// The silence does not validate.
    #[error("silence invalid: {0}")]
    Invalid(String),
    /// Expiring a silence that already expired.
    #[error("silence {0} already expired")]
    AlreadyExpired(String),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    silence: Silence,
    expires_at_ms: i64,
}

/// The set of silences.
#[derive(Debug)]
pub(crate) struct Silences {
    data: Mutex<HashMap<String, Stored>>,
    file: SnapshotFile,
    retention_ms: i64,
}

fn validate(s: &Silence) -> Result<(), String> {
    if s.id.is_empty() {
        return Err("ID missing".into());
    }
    if s.matchers.is_empty() {
        return Err("at least one matcher required".into());
    }
    for (i, m) in s.matchers.iter().enumerate() {
        if !is_valid_label_name(&m.name) {
            return Err(format!("invalid label matcher {i}: invalid label name {:?}", m.name));
        }
        m.to_matcher().map_err(|e| format!("invalid label matcher {i}: {e}"))?;
    }
    if s.starts_at_ms == 0 {
        return Err("invalid zero start timestamp".into());
    }
    if s.ends_at_ms == 0 {
        return Err("invalid zero end timestamp".into());
    }
    if s.ends_at_ms < s.starts_at_ms {
        return Err("end time must not be before start time".into());
    }
    Ok(())
}

fn can_update(a: &Silence, b: &Silence, now_ms: i64) -> bool {
    if a.matchers != b.matchers {
        return false;
    }
    match a.state(now_ms) {
        SilenceState::Active => b.starts_at_ms == a.starts_at_ms && b.ends_at_ms >= now_ms,
        SilenceState::Pending => b.starts_at_ms >= now_ms,
        SilenceState::Expired => false,
    }
}

impl Silences {
    /// Opens the set, restoring `dir/silences` when `dir` is given (blocking).
    pub(crate) fn open(dir: Option<&Path>, retention_ms: i64) -> Self {
        let file = SnapshotFile::new(dir, "silences");
        let list: Vec<Stored> = file.load();
        let data = list.into_iter().map(|s| (s.silence.id.clone(), s)).collect();
        Silences { data: Mutex::new(data), file, retention_ms }
    }

    fn store(&self, data: &mut HashMap<String, Stored>, mut sil: Silence, now_ms: i64) -> Result<(), SilenceError> {
        sil.updated_at_ms = now_ms;
        validate(&sil).map_err(SilenceError::Invalid)?;
        let expires_at_ms = sil.ends_at_ms.saturating_add(self.retention_ms);
        data.insert(sil.id.clone(), Stored { silence: sil, expires_at_ms });
        Ok(())
    }

    /// Creates or updates a silence; returns its ID. An update that keeps the
    /// matchers and does not rewrite the past changes the silence in place;
    /// otherwise the old one is expired and a new ID is issued. An unknown ID
    /// is [`SilenceError::NotFound`].
    pub(crate) fn set(&self, mut sil: Silence, now_ms: i64) -> Result<String, SilenceError> {
        let mut data = self.data.lock();
        let prev = if sil.id.is_empty() {
            None
        } else {
            Some(data.get(&sil.id).map(|s| s.silence.clone()).ok_or(SilenceError::NotFound)?)
        };
        if let Some(prev) = prev {
            if can_update(&prev, &sil, now_ms) {
                let id = sil.id.clone();
                self.store(&mut data, sil, now_ms)?;
                return Ok(id);
            }
            if prev.state(now_ms) != SilenceState::Expired {
                self.expire_locked(&mut data, &prev.id, now_ms)?;
            }
        }
        sil.id = uuid::Uuid::new_v4().to_string();
        if sil.starts_at_ms < now_ms {
            sil.starts_at_ms = now_ms;
        }
        let id = sil.id.clone();
        self.store(&mut data, sil, now_ms)?;
        Ok(id)
    }

    fn expire_locked(&self, data: &mut HashMap<String, Stored>, id: &str, now_ms: i64) -> Result<(), SilenceError> {
        let mut sil = data.get(id).map(|s| s.silence.clone()).ok_or(SilenceError::NotFound)?;
        match sil.state(now_ms) {
            SilenceState::Expired => return Err(SilenceError::AlreadyExpired(id.to_string())),
            SilenceState::Active => sil.ends_at_ms = now_ms,
            SilenceState::Pending => {
                sil.starts_at_ms = now_ms;
                sil.ends_at_ms = now_ms;
            }
        }
        self.store(data, sil, now_ms)
    }

    /// Expires the silence `id` now.
    pub(crate) fn expire(&self, id: &str, now_ms: i64) -> Result<(), SilenceError> {
        self.expire_locked(&mut self.data.lock(), id, now_ms)
    }

    /// The silence `id`.
    pub(crate) fn get(&self, id: &str) -> Option<Silence> {
        self.data.lock().get(id).map(|s| s.silence.clone())
    }

    /// All silences (any state).
    pub(crate) fn list(&self) -> Vec<Silence> {
        self.data.lock().values().map(|s| s.silence.clone()).collect()
    }

    /// The IDs of the silences active at `now_ms` that match `labels`, sorted.
    pub(crate) fn mutes(&self, labels: &Labels, now_ms: i64) -> Vec<String> {
        let mut ids: Vec<String> = self
            .data
            .lock()
            .values()
            .filter(|s| s.silence.state(now_ms) == SilenceState::Active && s.silence.matches(labels))
            .map(|s| s.silence.id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// Drops silences whose retention has passed; returns how many.
    pub(crate) fn gc(&self, now_ms: i64) -> usize {
        let mut data = self.data.lock();
        let before = data.len();
        data.retain(|_, s| s.expires_at_ms > now_ms);
        before - data.len()
    }

    /// Writes the snapshot (blocking).
    pub(crate) fn snapshot(&self) -> std::io::Result<usize> {
        let mut list: Vec<Stored> = self.data.lock().values().cloned().collect();
        list.sort_by(|a, b| a.silence.id.cmp(&b.silence.id));
        self.file.save(&list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, value: &str) -> SilenceMatcher {
        SilenceMatcher { name: name.into(), value: value.into(), is_regex: false, is_equal: true }
    }

    fn sil(id: &str, ms: Vec<SilenceMatcher>, start: i64, end: i64) -> Silence {
        Silence {
            id: id.into(),
            matchers: ms,
            starts_at_ms: start,
            ends_at_ms: end,
            updated_at_ms: 0,
            created_by: "me".into(),
            comment: "c".into(),
        }
    }

    #[test]
    fn set_update_expire_gc() {
        let s = Silences::open(None, 1000);
        let now = 10_000;
        let id = s.set(sil("", vec![m("a", "b")], 5_000, 20_000), now).unwrap();
        let got = s.get(&id).unwrap();
        assert_eq!(got.starts_at_ms, now, "a start in the past moves to now");
        assert_eq!(got.state(now), SilenceState::Active);
        let labels = Labels::from_pairs([("a", "b"), ("c", "d")]);
        assert_eq!(s.mutes(&labels, now), vec![id.clone()]);
        // Extending the end keeps the ID.
        let mut upd = got.clone();
        upd.ends_at_ms = 30_000;
        assert_eq!(s.set(upd, now + 1).unwrap(), id);
        // Changing matchers expires the old one and issues a new ID.
        let mut upd = s.get(&id).unwrap();
        upd.matchers = vec![m("a", "x")];
        let id2 = s.set(upd, now + 2).unwrap();
        assert_ne!(id2, id);
        assert_eq!(s.get(&id).unwrap().state(now + 2), SilenceState::Expired);
        assert!(s.mutes(&labels, now + 2).is_empty());
        // Unknown ID, validation errors, double expiry.
        assert_eq!(s.set(sil("nope", vec![m("a", "b")], 1, 2), now), Err(SilenceError::NotFound));
        assert_eq!(
            s.set(sil("", vec![], now, now + 1), now).unwrap_err().to_string(),
            "silence invalid: at least one matcher required"
        );
        assert_eq!(
            s.set(sil("", vec![m("a", "b")], now + 10, now + 5), now).unwrap_err().to_string(),
            "silence invalid: end time must not be before start time"
        );
        assert_eq!(s.expire(&id, now + 3), Err(SilenceError::AlreadyExpired(id.clone())));
        // Pending silences expire with start = end = now.
        let p = s.set(sil("", vec![m("a", "b")], now + 100, now + 200), now).unwrap();
        assert_eq!(s.get(&p).unwrap().state(now), SilenceState::Pending);
        s.expire(&p, now + 5).unwrap();
        assert_eq!(s.get(&p).unwrap().starts_at_ms, now + 5);
        // GC after retention (1s after the end).
        assert_eq!(s.gc(now + 2 + 1000), 1);
        assert!(s.get(&id).is_none());
    }

    #[test]
    fn snapshot_restores() {
        let dir = tempfile::tempdir().unwrap();
        let s = Silences::open(Some(dir.path()), 1000);
        let id = s.set(sil("", vec![m("a", "b")], 1, 20_000), 10).unwrap();
        s.snapshot().unwrap();
        let s2 = Silences::open(Some(dir.path()), 1000);
        assert_eq!(s2.get(&id).unwrap().matchers, vec![m("a", "b")]);
    }
}
