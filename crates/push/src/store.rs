//! The push store: metric groups by grouping key, changed by PUT, POST and
//! DELETE under one mutex, so every change is applied in a single order (the
//! Pushgateway's write queue) and readers see whole pushes only.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

use crate::error::{PushError, Result};
use crate::family::{F64, Family, FamilyType, Metric, Value};
use crate::key::GroupingKey;

/// The family holding the time of the group's last successful change.
pub const PUSH_TIME_METRIC: &str = "push_time_seconds";
/// The family holding the time of the group's last failed change.
pub const PUSH_FAILURE_TIME_METRIC: &str = "push_failure_time_seconds";
/// HELP of [`PUSH_TIME_METRIC`].
pub const PUSH_TIME_HELP: &str = "Last Unix time when changing this group in the Pushgateway succeeded.";
/// HELP of [`PUSH_FAILURE_TIME_METRIC`].
pub const PUSH_FAILURE_TIME_HELP: &str = "Last Unix time when changing this group in the Pushgateway failed.";
/// The reason a push with sample timestamps is rejected.
pub const TIMESTAMP_REASON: &str = "pushed metrics must not have timestamps";

/// How a push treats the group's existing families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// Replace the whole group (HTTP PUT).
    Put,
    /// Replace only the families with the names pushed (HTTP POST).
    Post,
}

impl Method {
    /// `put` or `post`, for metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Put => "put",
            Method::Post => "post",
        }
    }
}

/// A family the embedding process exposes itself (e.g. `argus_build_info`):
/// pushes may not use its name with another type, and its HELP wins when
/// exposing (the Pushgateway treats its own `go_*`/`pushgateway_*` so).
#[derive(Debug, Clone, PartialEq)]
pub struct Predefined {
    /// The family name.
    pub name: String,
    /// Its type.
    pub kind: FamilyType,
    /// Its HELP text.
    pub help: String,
}

/// Limits and the predefined families; the default has no limits.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// Largest accepted body in bytes, before and after gunzipping (413 beyond).
    pub max_body_bytes: Option<usize>,
    /// Most groups the store holds; a push creating one more fails (429).
    pub max_groups: Option<usize>,
    /// Families of the embedding process, see [`Predefined`].
    pub predefined: Vec<Predefined>,
}

/// Counters for the embedding process to export (e.g. as `argus_push_*`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushStats {
    /// Pushes by `(method, outcome)`; outcomes are `success`, `invalid`
    /// (bad body or gzip), `inconsistent`, `too_large`, `too_many_groups`.
    pub pushes_total: BTreeMap<(&'static str, &'static str), u64>,
    /// DELETE requests (including deletes of absent groups).
    pub deletes_total: u64,
    /// Request body bytes received by pushes, as sent (before gunzipping).
    pub bytes_received_total: u64,
    /// Groups currently stored.
    pub groups: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stored {
    pub family: Family,
    /// When the push that stored this family happened, Unix nanoseconds.
    pub time_ns: i64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Group {
    pub families: BTreeMap<String, Stored>,
}

impl Group {
    fn gauge_value(&self, name: &str) -> f64 {
        self.families.get(name).and_then(|s| s.family.metrics.first()).map(|m| m.value.simple()).unwrap_or(0.0)
    }

    /// Failure time ≤ success time.
    pub fn last_push_successful(&self) -> bool {
        self.gauge_value(PUSH_FAILURE_TIME_METRIC) <= self.gauge_value(PUSH_TIME_METRIC)
    }

    fn last_change_ns(&self) -> i64 {
        self.families.values().map(|s| s.time_ns).max().unwrap_or(0)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    pub groups: BTreeMap<GroupingKey, Group>,
    /// Incremented on every change, so persistence knows whether to save.
    pub generation: u64,
}

/// The push gateway's state: metric groups by grouping key.
///
/// All methods take `&self` and are safe to call from many threads; changes
/// are serialised by one mutex (held for the consistency check, which is
/// proportional to the number of stored series, as in the Pushgateway).
#[derive(Debug, Default)]
pub struct PushStore {
    pub(crate) opts: StoreOptions,
    pub(crate) inner: Mutex<Inner>,
    stats: Mutex<PushStats>,
}

impl PushStore {
    /// An empty store.
    pub fn new(opts: StoreOptions) -> PushStore {
        PushStore { opts, inner: Mutex::new(Inner::default()), stats: Mutex::new(PushStats::default()) }
    }

    /// Applies a PUT or POST of `body` (text format, or delimited protobuf when
    /// `content_type` says so, see API.md §2) to the group `key` at `now`.
    ///
    /// Errors: [`PushError::Parse`] (nothing changes), [`PushError::Inconsistent`]
    /// (the group's `push_failure_time_seconds` becomes `now`, creating the
    /// group if needed), [`PushError::BodyTooLarge`], [`PushError::TooManyGroups`].
    pub fn push(
        &self,
        method: Method,
        key: &GroupingKey,
        body: &[u8],
        content_type: Option<&str>,
        now: SystemTime,
    ) -> Result<()> {
        self.push_encoded(method, key, body, content_type, None, now)
    }

    /// [`PushStore::push`] for a body with a `Content-Encoding`: `gzip` is
    /// gunzipped first ([`PushError::Gzip`] if it is not gzip); other values
    /// are ignored, as the Pushgateway ignores them.
    pub fn push_encoded(
        &self,
        method: Method,
        key: &GroupingKey,
        body: &[u8],
        content_type: Option<&str>,
        content_encoding: Option<&str>,
        now: SystemTime,
    ) -> Result<()> {
        let result = self.try_push(method, key, body, content_type, content_encoding, now);
        let outcome = match &result {
            Ok(()) => "success",
            Err(PushError::Inconsistent(_)) => "inconsistent",
            Err(PushError::BodyTooLarge { .. }) => "too_large",
            Err(PushError::TooManyGroups { .. }) => "too_many_groups",
            Err(_) => "invalid",
        };
        let groups = self.inner.lock().groups.len();
        let mut st = self.stats.lock();
        *st.pushes_total.entry((method.as_str(), outcome)).or_default() += 1;
        st.bytes_received_total += body.len() as u64;
        st.groups = groups;
        if let Err(e) = &result {
            tracing::debug!(key = %key, err = %e, "push rejected");
        }
        result
    }

    fn try_push(
        &self,
        method: Method,
        key: &GroupingKey,
        body: &[u8],
        content_type: Option<&str>,
        content_encoding: Option<&str>,
        now: SystemTime,
    ) -> Result<()> {
        let limit = self.opts.max_body_bytes;
        if limit.is_some_and(|l| body.len() > l) {
            return Err(PushError::BodyTooLarge { limit: limit.unwrap_or_default() });
        }
        let body = if content_encoding == Some("gzip") { gunzip(body, limit)? } else { Cow::Borrowed(body) };
        let mut fams = if crate::proto::is_protobuf_content_type(content_type) {
            crate::proto::parse_delimited(&body)
        } else {
            crate::text::parse_text(&body)
        }
        .map_err(PushError::Parse)?;
        // The gateway always sets push_time_seconds itself. A pushed
        // push_failure_time_seconds replaces the group's one if the group has
        // one already (Pushgateway 1.5 does so; API.md says otherwise).
        fams.retain(|f| f.name != PUSH_TIME_METRIC);
        for f in &mut fams {
            sanitize(f, key);
        }
        let now_ns = unix_nanos(now);
        let has_timestamps = fams.iter().any(|f| f.metrics.iter().any(|m| m.timestamp_ms.is_some()));

        let mut inner = self.inner.lock();
        if let Some(limit) = self.opts.max_groups
            && !inner.groups.contains_key(key)
            && inner.groups.len() >= limit
        {
            return Err(PushError::TooManyGroups { key: key.to_string(), limit });
        }
        let candidate = apply(inner.groups.get(key), key, fams, method, now_ns);
        let verdict = if has_timestamps {
            Err(TIMESTAMP_REASON.to_string())
        } else {
            let others = inner.groups.iter().filter(|(k, _)| *k != key).flat_map(|(_, g)| g.families.values());
            let all = others.chain(candidate.families.values()).map(|s| &s.family);
            crate::check::check(&self.opts.predefined, all)
        };
        inner.generation += 1;
        match verdict {
            Ok(()) => {
                inner.groups.insert(key.clone(), candidate);
                Ok(())
            }
            Err(reason) => {
                let g = inner.groups.entry(key.clone()).or_default();
                g.families.insert(
                    PUSH_FAILURE_TIME_METRIC.into(),
                    Stored { family: time_gauge(PUSH_FAILURE_TIME_METRIC, key, now_ns), time_ns: now_ns },
                );
                g.families
                    .entry(PUSH_TIME_METRIC.into())
                    .or_insert_with(|| Stored { family: time_gauge(PUSH_TIME_METRIC, key, 0), time_ns: now_ns });
                Err(PushError::Inconsistent(reason))
            }
        }
    }

    /// Deletes the group with exactly this key (HTTP DELETE, always
    /// [`crate::STATUS_DELETED`]); deleting an absent group is a no-op.
    pub fn delete(&self, key: &GroupingKey) {
        let groups = {
            let mut inner = self.inner.lock();
            if inner.groups.remove(key).is_some() {
                inner.generation += 1;
            }
            inner.groups.len()
        };
        let mut st = self.stats.lock();
        st.deletes_total += 1;
        st.groups = groups;
    }

    /// Deletes every group (`PUT /api/v1/admin/wipe`).
    pub fn wipe(&self) {
        let mut inner = self.inner.lock();
        inner.groups.clear();
        inner.generation += 1;
        self.stats.lock().groups = 0;
    }

    /// Drops the groups whose last change (successful or failed push) is
    /// older than `ttl` before `now`, and returns their keys. argus' per-group
    /// time to live (`--push.group-ttl`); the Pushgateway has none.
    pub fn expire_older_than(&self, now: SystemTime, ttl: Duration) -> Vec<GroupingKey> {
        let cutoff = unix_nanos(now).saturating_sub(i64::try_from(ttl.as_nanos()).unwrap_or(i64::MAX));
        let mut inner = self.inner.lock();
        let expired: Vec<GroupingKey> =
            inner.groups.iter().filter(|(_, g)| g.last_change_ns() < cutoff).map(|(k, _)| k.clone()).collect();
        for k in &expired {
            inner.groups.remove(k);
        }
        if !expired.is_empty() {
            inner.generation += 1;
        }
        self.stats.lock().groups = inner.groups.len();
        expired
    }

    /// A counter that changes whenever the store changes (see [`crate::PersistOptions`]).
    pub fn generation(&self) -> u64 {
        self.inner.lock().generation
    }

    /// The counters so far.
    pub fn stats(&self) -> PushStats {
        let groups = self.inner.lock().groups.len();
        let mut st = self.stats.lock().clone();
        st.groups = groups;
        st
    }
}

/// The group after applying a push, built on a copy so a failed check leaves
/// the stored group untouched.
fn apply(existing: Option<&Group>, key: &GroupingKey, fams: Vec<Family>, method: Method, now_ns: i64) -> Group {
    let mut g = existing.cloned().unwrap_or_default();
    if method == Method::Put {
        g.families.retain(|n, _| n == PUSH_TIME_METRIC || n == PUSH_FAILURE_TIME_METRIC);
    }
    g.families
        .insert(PUSH_TIME_METRIC.into(), Stored { family: time_gauge(PUSH_TIME_METRIC, key, now_ns), time_ns: now_ns });
    let had_failure_time = g.families.contains_key(PUSH_FAILURE_TIME_METRIC);
    for f in fams {
        if f.name == PUSH_FAILURE_TIME_METRIC && !had_failure_time {
            continue;
        }
        g.families.insert(f.name.clone(), Stored { family: f, time_ns: now_ns });
    }
    if !had_failure_time {
        let family = time_gauge(PUSH_FAILURE_TIME_METRIC, key, 0);
        g.families.insert(PUSH_FAILURE_TIME_METRIC.into(), Stored { family, time_ns: now_ns });
    }
    g
}

/// A push-time gauge of the group; `ns == 0` is the zero time (value 0).
fn time_gauge(name: &str, key: &GroupingKey, ns: i64) -> Family {
    let help = if name == PUSH_TIME_METRIC { PUSH_TIME_HELP } else { PUSH_FAILURE_TIME_HELP };
    let mut f = Family {
        name: name.into(),
        help: Some(help.into()),
        kind: FamilyType::Gauge,
        metrics: vec![Metric { labels: Vec::new(), value: Value::Gauge(F64(ns as f64 / 1e9)), timestamp_ms: None }],
    };
    sanitize(&mut f, key);
    f
}

/// The Pushgateway's `sanitizeLabels`: grouping labels overwrite (or are
/// added to) each metric's labels, `instance=""` is added if absent, and the
/// pairs are sorted by name.
pub(crate) fn sanitize(f: &mut Family, key: &GroupingKey) {
    for m in &mut f.metrics {
        for (n, v) in key.labels() {
            match m.labels.iter_mut().find(|(have, _)| have == n) {
                Some(pair) => pair.1 = v.clone(),
                None => m.labels.push((n.clone(), v.clone())),
            }
        }
        if !m.labels.iter().any(|(n, _)| n == "instance") {
            m.labels.push(("instance".into(), String::new()));
        }
        m.labels.sort_by(|a, b| a.0.cmp(&b.0));
    }
}

pub(crate) fn unix_nanos(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)).unwrap_or(0)
}

fn gunzip(body: &[u8], limit: Option<usize>) -> Result<Cow<'static, [u8]>> {
    // Go's gzip.NewReader reads a 10-byte header first.
    if body.is_empty() {
        return Err(PushError::Gzip("EOF".into()));
    }
    if body.len() < 10 {
        return Err(PushError::Gzip("unexpected EOF".into()));
    }
    if !body.starts_with(&[0x1f, 0x8b, 8]) {
        return Err(PushError::Gzip("gzip: invalid header".into()));
    }
    let mut out = Vec::new();
    let cap = limit.map(|l| l as u64 + 1).unwrap_or(u64::MAX);
    flate2::read::MultiGzDecoder::new(body)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| PushError::Gzip(e.to_string()))?;
    if let Some(l) = limit
        && out.len() > l
    {
        return Err(PushError::BodyTooLarge { limit: l });
    }
    Ok(Cow::Owned(out))
}
