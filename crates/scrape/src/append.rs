//! The sample-appending core every scrape shares, whether the body came over
//! HTTP ([`crate::ScrapeLoop`]) or from inside the process
//! ([`crate::InternalTarget`]): Prometheus 2.42's `scrapeLoop.append` and
//! `report`. One call stores one scrape in one commit: the samples (target
//! labels merged, metric relabeling, label and sample limits), staleness
//! markers for series that went away, and the synthetic `up` and `scrape_*`
//! series.
//!
//! State kept between scrapes lives in [`SeriesCache`], like Prometheus'
//! scrape cache: per raw series text (kept as a seeded 128-bit XXH3 of it,
//! not the text) the storage handle it resolved to (so a
//! known series costs no label parsing, relabeling or label hashing, and is
//! appended by handle), whether it was stored by the last scrape (for
//! staleness), and the HELP/TYPE/UNIT metadata of the last scrape (for
//! `/api/v1/targets/metadata`). Label sets are not kept when the storage
//! appends by handle: they are decoded again from the raw text of the
//! current sample when the storage forgot the handle. A staleness marker for
//! a series the storage forgot is not written (there is no text to decode it
//! from; the head forgets only series without samples in its range, and a
//! series stored by the last scrape has one).

use std::collections::BTreeMap;
use std::sync::Arc;

use argus_model::exposition::{Entry, Format, MetricType, Parser};
use argus_model::storage::{Appendable, Appender, SeriesHandle, SeriesRef, StorageError};
use argus_model::{Labels, METRIC_NAME, stale_nan};

use crate::limits::{self, LabelLimits, LimitError};
use crate::relabel::RelabelConfig;

/// How the samples of one target are labelled and limited.
#[derive(Debug, Clone, Default)]
pub struct AppendOptions {
    /// The target's public labels (`job`, `instance`, ...), added to every series.
    pub target_labels: Labels,
    /// Keep scraped labels that clash with target labels.
    pub honor_labels: bool,
    /// Use the timestamps in the body.
    pub honor_timestamps: bool,
    /// `metric_relabel_configs`.
    pub metric_relabel_configs: Arc<Vec<RelabelConfig>>,
    /// Label limits; 0 = none.
    pub label_limits: LabelLimits,
    /// `sample_limit`; 0 = none.
    pub sample_limit: u64,
}

impl AppendOptions {
    /// Options from a scrape job for a target with public labels `target_labels`.
    pub fn from_config(cfg: &crate::ScrapeConfig, target_labels: Labels) -> Self {
        AppendOptions {
            target_labels,
            honor_labels: cfg.honor_labels,
            honor_timestamps: cfg.honor_timestamps,
            metric_relabel_configs: Arc::new(cfg.metric_relabel_configs.clone()),
            label_limits: LabelLimits::from(cfg),
            sample_limit: cfg.sample_limit,
        }
    }
}

/// HELP, TYPE and UNIT of one metric family, as the metadata API shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricMetadata {
    /// `counter`, `gauge`, ..., `unknown` when only HELP or UNIT was given.
    pub kind: MetricType,
    /// The help text.
    pub help: String,
    /// The unit (OpenMetrics only).
    pub unit: String,
}

impl Default for MetricMetadata {
    fn default() -> Self {
        MetricMetadata { kind: MetricType::Unknown, help: String::new(), unit: String::new() }
    }
}

/// What one scrape did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScrapeReport {
    /// Samples in the body (`scrape_samples_scraped`).
    pub samples_scraped: u64,
    /// Samples left after metric relabeling (`scrape_samples_post_metric_relabeling`).
    pub samples_post_relabeling: u64,
    /// Samples stored.
    pub samples_appended: u64,
    /// Series not seen in the previous scrape (`scrape_series_added`).
    pub series_added: u64,
    /// Samples storage refused as out of order.
    pub out_of_order: u64,
    /// Samples storage refused as a second value for a timestamp.
    pub duplicates: u64,
    /// Samples storage refused as too old.
    pub out_of_bounds: u64,
    /// Why the scrape failed, if it did (`up` is 0 then).
    pub error: Option<String>,
    /// Which limit, if one failed the scrape (for the self-metrics).
    pub limit: Option<LimitError>,
}

/// What the cache knows about one raw series text. Small on purpose: a
/// target's cache holds one per series, and with a storage that appends by
/// handle ([`Appender::append_ref`], the head) no label set is kept at all.
#[derive(Clone, Default)]
struct CacheEntry {
    /// The hash of the raw series text, see [`SeriesCache`].
    key: Key,
    /// The storage's ref, 0 until a sample was stored.
    sref: SeriesRef,
    /// The storage's own pointer to the series, when it hands them out
    /// ([`Appender::last_handle`]): appends through it need no lookup.
    handle: Option<SeriesHandle>,
    /// The labels, kept only for storages that need them on every sample.
    labels: Option<Box<Labels>>,
    /// Metric relabeling drops this series.
    dropped: bool,
    /// Seen in the current scrape (entries not seen are forgotten after a
    /// successful scrape).
    seen: bool,
    /// Stored without an explicit timestamp by the current scrape.
    in_cur: bool,
    /// Stored without an explicit timestamp by the last committed scrape
    /// (gets a staleness marker if the current one does not store it).
    in_prev: bool,
}

type Hasher = foldhash::fast::RandomState;
type HashSet<K> = std::collections::HashSet<K, Hasher>;

/// A 128-bit hash as two words: 8-byte alignment keeps entries smaller
/// than `u128`'s 16.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Key(u64, u64);

/// The cache's entries: a vector, and a hash table of positions in it keyed
/// by the (already random) low word of the key. A table of `u32`s sized to
/// a power of two wastes far less than one of whole entries: 2,005 series
/// need 4,096 slots, which is 20 KB of `u32`s instead of 230 KB of entries.
#[derive(Default)]
struct Entries {
    list: Vec<CacheEntry>,
    index: hashbrown::HashTable<u32>,
}

impl Entries {
    fn values(&self) -> std::slice::Iter<'_, CacheEntry> {
        self.list.iter()
    }

    fn values_mut(&mut self) -> std::slice::IterMut<'_, CacheEntry> {
        self.list.iter_mut()
    }

    fn len(&self) -> usize {
        self.list.len()
    }

    fn clear(&mut self) {
        self.list.clear();
        self.index.clear();
    }

    /// The entry for `key`, or a new one from `make` (which may fail) along
    /// with what `make` returned besides.
    fn get_or_insert<X, E>(
        &mut self,
        key: Key,
        make: impl FnOnce() -> Result<(CacheEntry, X), E>,
    ) -> Result<(&mut CacheEntry, Option<X>), E> {
        let list = &self.list;
        let found = self.index.find(key.0, |&i| list.get(i as usize).is_some_and(|e| e.key == key)).copied();
        let (i, x) = match found {
            Some(i) => (i as usize, None),
            None => {
                let (mut e, x) = make()?;
                e.key = key;
                let i = self.list.len();
                self.list.push(e);
                let list = &self.list;
                self.index.insert_unique(key.0, i as u32, |&j| list.get(j as usize).map_or(0, |e| e.key.0));
                (i, Some(x))
            }
        };
        let e = self.list.get_mut(i).expect("the index points into the list");
        Ok((e, x))
    }

    /// Keeps the entries `f` approves of (renumbering the index only when
    /// one went away).
    fn retain(&mut self, f: impl FnMut(&mut CacheEntry) -> bool) {
        let before = self.list.len();
        self.list.retain_mut(f);
        if self.list.len() != before {
            self.index.clear();
            for (i, e) in self.list.iter().enumerate() {
                let list = &self.list;
                self.index.insert_unique(e.key.0, i as u32, |&j| list.get(j as usize).map_or(0, |e| e.key.0));
            }
            self.list.shrink_to_fit();
        }
    }
}

/// What a target remembers between scrapes. Owned by one scrape at a time.
pub struct SeriesCache {
    /// 128-bit XXH3 (seeded per cache) of the raw series text (`name{labels}`
    /// as scraped) to what it resolved to. Keeping the hash instead of the
    /// text saves ~80 bytes per series here; two texts sharing a hash would
    /// need 2^64 series per target to become likely.
    entries: Entries,
    seed: u64,
    metadata: BTreeMap<String, MetricMetadata>,
}

impl Default for SeriesCache {
    fn default() -> Self {
        use std::hash::BuildHasher;
        let seed = std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64);
        SeriesCache { entries: Entries::default(), seed, metadata: BTreeMap::new() }
    }
}

impl std::fmt::Debug for SeriesCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeriesCache").field("entries", &self.entries.len()).field("metadata", &self.metadata).finish()
    }
}

impl SeriesCache {
    /// An empty cache, for a target that has not been scraped.
    pub fn new() -> Self {
        Self::default()
    }

    fn key(&self, raw: &str) -> Key {
        let h = xxhash_rust::xxh3::xxh3_128_with_seed(raw.as_bytes(), self.seed);
        Key(h as u64, (h >> 64) as u64)
    }

    /// The HELP/TYPE/UNIT seen in the last scrape, by metric family name.
    pub fn metadata(&self) -> &BTreeMap<String, MetricMetadata> {
        &self.metadata
    }

    /// The number of series the last scrape stored (and that would go stale).
    pub fn series(&self) -> usize {
        self.entries.values().filter(|e| e.in_prev).count()
    }
}

/// The labels a cached series is stored under: those kept in the entry, or
/// decoded again from the raw text of the current sample when there is one.
fn entry_labels(raw: Option<&str>, e: &CacheEntry, opts: &AppendOptions) -> Option<Labels> {
    if let Some(l) = &e.labels {
        return Some((**l).clone());
    }
    let raw = raw?;
    let mut line = String::with_capacity(raw.len() + 3);
    line.push_str(raw);
    line.push_str(" 0\n");
    let scraped = match Parser::new(line.as_bytes(), Format::PromText).next() {
        Some(Ok(Entry::Series(s))) => s.labels().ok()?,
        _ => return None,
    };
    series_labels(&scraped, opts).ok().flatten()
}

/// Appends by handle when the storage can, else with the labels (decoded and
/// then kept in the entry, since this storage will want them every time).
fn append_cached(
    a: &mut dyn Appender,
    raw: &str,
    e: &mut CacheEntry,
    opts: &AppendOptions,
    t: i64,
    v: f64,
) -> Result<SeriesRef, StorageError> {
    if let Some(h) = &e.handle {
        if let Some(r) = a.append_handle(e.sref, h, t, v)? {
            return Ok(r);
        }
        e.handle = None;
    } else if e.sref != 0
        && let Some(r) = a.append_ref(e.sref, t, v)?
    {
        return Ok(r);
    }
    if e.labels.is_none() {
        let labels = entry_labels(Some(raw), e, opts)
            .ok_or_else(|| StorageError::Internal(format!("cannot decode cached series {raw}")))?;
        e.labels = Some(Box::new(labels));
    }
    let labels = e.labels.as_deref().ok_or_else(|| StorageError::Internal("no labels".to_string()))?;
    a.append(e.sref, labels, t, v)
}

/// Writes staleness markers for the entries stored by the last committed
/// scrape and not by this one (`all`: every entry of the last scrape).
fn append_stale_markers(a: &mut dyn Appender, cache: &mut SeriesCache, opts: &AppendOptions, t_ms: i64, all: bool) {
    let gone = |e: &CacheEntry| e.in_prev && (all || !e.in_cur);
    if !cache.entries.values().any(gone) {
        return;
    }
    // Two raw texts can name one series (`a{x="1"}` and `a{x="1",}`): a
    // series still stored under another text does not go stale.
    let live_refs: HashSet<SeriesRef> = if all {
        Default::default()
    } else {
        cache.entries.values().filter(|e| e.in_cur && e.sref != 0).map(|e| e.sref).collect()
    };
    let live_labels: HashSet<Labels> = if all {
        Default::default()
    } else {
        cache.entries.values().filter(|e| e.in_cur && e.sref == 0).filter_map(|e| entry_labels(None, e, opts)).collect()
    };
    for e in cache.entries.values_mut() {
        if !gone(e) || (e.sref != 0 && live_refs.contains(&e.sref)) {
            continue;
        }
        let by_handle = match &e.handle {
            Some(h) => a.append_handle(e.sref, h, t_ms, stale_nan()),
            None if e.sref != 0 => a.append_ref(e.sref, t_ms, stale_nan()),
            None => Ok(None),
        };
        if matches!(by_handle, Ok(Some(_))) {
            continue;
        }
        if let Some(labels) = entry_labels(None, e, opts)
            && !live_labels.contains(&labels)
        {
            // Out of order here means the series got a newer sample with an
            // explicit timestamp: no marker needed, as in Prometheus.
            let _ = a.append(e.sref, &labels, t_ms, stale_nan());
        }
    }
}

/// Names of the synthetic series written after every scrape.
pub const REPORT_SERIES: [&str; 5] = [
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
];

/// Stores one scrape at `t_ms` in one commit. `body` is `Err(message)` when
/// the scrape itself failed (HTTP error, timeout, body too large): then, as
/// after a body that fails to parse or breaks a limit, nothing from the body
/// is kept, every series of the previous scrape gets a staleness marker and
/// `up` is 0. `duration_s` becomes `scrape_duration_seconds`. Blocking (the
/// appender may write a WAL); run it off the async workers.
pub fn append_scrape(
    app: &dyn Appendable,
    cache: &mut SeriesCache,
    opts: &AppendOptions,
    body: Result<(&[u8], Format), String>,
    t_ms: i64,
    duration_s: f64,
) -> ScrapeReport {
    let mut a = app.appender();
    let mut report = ScrapeReport::default();
    let mut metadata = BTreeMap::new();
    let failed = match body {
        Ok((body, format)) => {
            append_body(a.as_mut(), cache, opts, body, format, t_ms, &mut metadata, &mut report).err()
        }
        Err(e) => Some((e, None)),
    };
    if let Some((e, limit)) = failed {
        // Nothing from a failed scrape is kept; the previous series go stale.
        a.rollback();
        a = app.appender();
        for e in cache.entries.values_mut() {
            e.in_cur = false;
        }
        report.samples_appended = 0;
        report.error = Some(e);
        report.limit = limit;
    } else {
        cache.metadata = metadata;
    }
    append_stale_markers(a.as_mut(), cache, opts, t_ms, false);
    let up = if report.error.is_some() { 0.0 } else { 1.0 };
    let values = [
        up,
        duration_s,
        report.samples_scraped as f64,
        report.samples_post_relabeling as f64,
        report.series_added as f64,
    ];
    for (name, v) in REPORT_SERIES.iter().zip(values) {
        let _ = a.append(0, &report_labels(name, &opts.target_labels), t_ms, v);
    }
    let committed = match a.commit() {
        Ok(()) => true,
        Err(e) => {
            // Prometheus logs "Scrape commit failed"; a full disk shows here.
            tracing::warn!(err = %e, "scrape commit failed");
            report.error = Some(format!("cannot store scrape: {e}"));
            false
        }
    };
    // A scrape whose body failed keeps the cache for the next one.
    let forget_unseen = committed && report.error.is_none();
    cache.entries.retain(|e| {
        if committed {
            e.in_prev = e.in_cur;
        }
        e.in_cur = false;
        let keep = !forget_unseen || e.seen;
        e.seen = false;
        keep
    });
    report
}

/// Writes staleness markers at `t_ms` for every series of the last scrape and
/// for the synthetic series, as Prometheus does when a target goes away, and
/// forgets them. Blocking. Series are found by handle (or by the labels kept
/// for storages without handles); a series the storage no longer knows by
/// handle is decoded again with only the target labels applied.
pub fn append_end_of_run(app: &dyn Appendable, cache: &mut SeriesCache, target_labels: &Labels, t_ms: i64) {
    let mut a = app.appender();
    let opts = AppendOptions { target_labels: target_labels.clone(), ..AppendOptions::default() };
    append_stale_markers(a.as_mut(), cache, &opts, t_ms, true);
    for name in REPORT_SERIES {
        let _ = a.append(0, &report_labels(name, target_labels), t_ms, stale_nan());
    }
    if let Err(e) = a.commit() {
        tracing::warn!(err = %e, "cannot store end-of-run staleness markers");
    }
    cache.entries.clear();
    cache.metadata.clear();
}

/// Prometheus' `mutateReportSampleLabels`: the target's labels win, a clash
/// is kept as `exported_<name>`.
fn report_labels(name: &str, target_labels: &Labels) -> Labels {
    let scraped = Labels::from_pairs([(METRIC_NAME, name)]);
    limits::mutate_sample_labels(&scraped, target_labels, false, &[]).unwrap_or(scraped)
}

type Failure = (String, Option<LimitError>);

#[allow(clippy::too_many_arguments)]
fn append_body(
    a: &mut dyn Appender,
    cache: &mut SeriesCache,
    opts: &AppendOptions,
    body: &[u8],
    format: Format,
    t_ms: i64,
    metadata: &mut BTreeMap<String, MetricMetadata>,
    report: &mut ScrapeReport,
) -> Result<(), Failure> {
    let mut parser = Parser::new(body, format);
    let mut sample_limit_hit = false;
    let mut admitted: u64 = 0;
    while let Some(entry) = parser.next() {
        let s = match entry {
            Ok(Entry::Series(s)) => s,
            Ok(Entry::Help { metric, help }) => {
                metadata.entry(metric.to_string()).or_default().help = help.into_owned();
                continue;
            }
            Ok(Entry::Type { metric, kind }) => {
                metadata.entry(metric.to_string()).or_default().kind = kind;
                continue;
            }
            Ok(Entry::Unit { metric, unit }) => {
                metadata.entry(metric.to_string()).or_default().unit = unit.to_string();
                continue;
            }
            Ok(_) => continue,
            Err(e) => return Err((e.to_string(), None)),
        };
        report.samples_scraped += 1;
        // A known series: no label parsing, relabeling or hashing of labels.
        let key = cache.key(s.series);
        let (e, new_labels) = cache.entries.get_or_insert(key, || {
            let scraped = s.labels().map_err(|e| (format!("line {}: {e}", parser.line()), None))?;
            let labels = series_labels(&scraped, opts).map_err(|e| (e.to_string(), Some(e)))?;
            Ok::<_, Failure>((CacheEntry { dropped: labels.is_none(), ..CacheEntry::default() }, labels))
        })?;
        e.seen = true;
        if e.dropped {
            continue;
        }
        report.samples_post_relabeling += 1;
        if sample_limit_hit {
            continue;
        }
        if !argus_model::is_stale_nan(s.value) {
            admitted += 1;
            if limits::check_sample_limit(admitted, opts.sample_limit).is_err() {
                // Keep counting so scrape_samples_scraped stays right.
                sample_limit_hit = true;
                continue;
            }
        }
        let explicit = if opts.honor_timestamps { s.timestamp_ms } else { None };
        let t = explicit.unwrap_or(t_ms);
        let res = match &new_labels {
            Some(Some(labels)) => a.append(e.sref, labels, t, s.value),
            _ => append_cached(a, s.series, e, opts, t, s.value),
        };
        match res {
            Ok(r) => {
                report.samples_appended += 1;
                if e.handle.is_none() || e.sref != r {
                    e.handle = a.last_handle();
                }
                e.sref = r;
                if let Some(labels) = new_labels {
                    report.series_added += 1;
                    // A storage without handles wants the labels every time.
                    if r == 0 {
                        e.labels = labels.map(Box::new);
                    }
                }
                // A sample with its own timestamp is not tracked for
                // staleness, as in Prometheus.
                if explicit.is_none() {
                    e.in_cur = true;
                }
            }
            Err(StorageError::OutOfOrderSample) => report.out_of_order += 1,
            Err(StorageError::DuplicateSampleForTimestamp) => report.duplicates += 1,
            Err(StorageError::OutOfBounds) => report.out_of_bounds += 1,
            Err(e) => tracing::debug!(series = s.series, err = %e, "sample rejected"),
        }
    }
    if sample_limit_hit {
        return Err((LimitError::SampleLimit.to_string(), Some(LimitError::SampleLimit)));
    }
    Ok(())
}

/// The labels a newly seen series is stored under; `None` when metric
/// relabeling drops it.
fn series_labels(scraped: &Labels, opts: &AppendOptions) -> Result<Option<Labels>, LimitError> {
    let Some(lset) =
        limits::mutate_sample_labels(scraped, &opts.target_labels, opts.honor_labels, &opts.metric_relabel_configs)
    else {
        return Ok(None);
    };
    if lset.get(METRIC_NAME).is_none() {
        return Err(LimitError::NameLabelMissing);
    }
    limits::verify_label_limits(&lset, &opts.label_limits)?;
    Ok(Some(lset))
}

#[cfg(test)]
mod tests {
    use argus_model::storage::{MemStorage, Queryable, SelectHints};
    use argus_model::{Matcher, is_stale_nan};

    use super::*;

    fn samples(st: &MemStorage, name: &str) -> Vec<(Labels, Vec<(i64, f64)>)> {
        let q = st.querier(0, i64::MAX).unwrap();
        let h = SelectHints { start: 0, end: i64::MAX, ..Default::default() };
        q.select(&[Matcher::equal("__name__", name)], &h)
            .unwrap()
            .map(|s| s.unwrap())
            .map(|s| (s.labels, s.samples.iter().map(|x| (x.t, x.v)).collect()))
            .collect()
    }

    fn opts(yaml_job_extra: &str) -> AppendOptions {
        let y = format!("scrape_configs:\n- job_name: j\n{yaml_job_extra}");
        let cfg = crate::config::parse(&y, "p.yml".as_ref(), &Default::default()).unwrap();
        AppendOptions::from_config(&cfg.scrape_configs[0], Labels::from_pairs([("instance", "i"), ("job", "j")]))
    }

    fn scrape(st: &MemStorage, c: &mut SeriesCache, o: &AppendOptions, body: &str, t: i64) -> ScrapeReport {
        append_scrape(st, c, o, Ok((body.as_bytes(), Format::PromText)), t, 0.1)
    }

    #[test]
    fn explicit_timestamps_honored_and_not_marked_stale() {
        let (st, mut c, o) = (MemStorage::new(), SeriesCache::new(), opts(""));
        scrape(&st, &mut c, &o, "a 1 500\nb 2\n", 1000);
        scrape(&st, &mut c, &o, "", 2000);
        assert_eq!(samples(&st, "a")[0].1, vec![(500, 1.0)], "no marker for a series with its own timestamp");
        let b = &samples(&st, "b")[0].1;
        assert_eq!(b[0], (1000, 2.0));
        assert!(b[1].0 == 2000 && is_stale_nan(b[1].1));

        let (st, mut c, o) = (MemStorage::new(), SeriesCache::new(), opts("  honor_timestamps: false\n"));
        scrape(&st, &mut c, &o, "a 1 500\n", 1000);
        assert_eq!(samples(&st, "a")[0].1, vec![(1000, 1.0)]);
    }

    #[test]
    fn metric_relabeling_counts_and_report_labels() {
        let mut o = opts("  metric_relabel_configs: [{source_labels: [__name__], regex: 'drop_.*', action: drop}]\n");
        o.target_labels = Labels::from_pairs([("instance", "i"), ("job", "j"), ("team", "t")]);
        let (st, mut c) = (MemStorage::new(), SeriesCache::new());
        let r = scrape(&st, &mut c, &o, "keep 1\ndrop_me 2\ndrop_too 3\n", 1000);
        assert_eq!((r.samples_scraped, r.samples_post_relabeling, r.series_added), (3, 1, 1));
        assert!(samples(&st, "drop_me").is_empty());
        let r = scrape(&st, &mut c, &o, "keep 1\ndrop_me 2\n", 2000);
        assert_eq!((r.samples_scraped, r.samples_post_relabeling, r.series_added), (2, 1, 0));
        let up = samples(&st, "up");
        assert_eq!(up[0].0.get("team"), Some("t"), "report series carry all target labels");
        assert_eq!(samples(&st, "scrape_samples_post_metric_relabeling")[0].1, vec![(1000, 1.0), (2000, 1.0)]);
        assert!(c.metadata().is_empty());
    }

    #[test]
    fn failure_keeps_nothing_and_end_of_run_marks_everything() {
        let (st, mut c, o) = (MemStorage::new(), SeriesCache::new(), opts(""));
        scrape(&st, &mut c, &o, "# HELP a Help.\na 1\n", 1000);
        assert_eq!(c.metadata().get("a").map(|m| m.help.as_str()), Some("Help."));
        let r = append_scrape(&st, &mut c, &o, Err("boom".into()), 2000, 0.1);
        assert_eq!(r.error.as_deref(), Some("boom"));
        assert!(is_stale_nan(samples(&st, "a")[0].1[1].1));
        assert_eq!(samples(&st, "up")[0].1, vec![(1000, 1.0), (2000, 0.0)]);
        assert_eq!(c.metadata().get("a").map(|m| m.help.as_str()), Some("Help."), "metadata of last success kept");
        scrape(&st, &mut c, &o, "a 3\n", 3000);
        assert_eq!(c.series(), 1);
        append_end_of_run(&st, &mut c, &o.target_labels, 4000);
        assert_eq!(c.series(), 0);
        for name in ["a", "up", "scrape_series_added"] {
            let s = samples(&st, name);
            let last = s[0].1.last().unwrap();
            assert!(last.0 == 4000 && is_stale_nan(last.1), "{name}");
        }
    }

    /// A storage that hands out handles and appends by handle, like the head.
    #[derive(Clone, Default)]
    struct RefStorage {
        mem: MemStorage,
        refs: Arc<std::sync::Mutex<Vec<Labels>>>,
    }

    struct RefAppender {
        st: RefStorage,
        inner: Box<dyn Appender>,
    }

    impl Appendable for RefStorage {
        fn appender(&self) -> Box<dyn Appender> {
            Box::new(RefAppender { st: self.clone(), inner: self.mem.appender() })
        }
    }

    impl Appender for RefAppender {
        fn append(&mut self, _: SeriesRef, labels: &Labels, t: i64, v: f64) -> Result<SeriesRef, StorageError> {
            self.inner.append(0, labels, t, v)?;
            let mut refs = self.st.refs.lock().unwrap();
            let i = refs.iter().position(|l| l == labels).unwrap_or_else(|| {
                refs.push(labels.clone());
                refs.len() - 1
            });
            Ok(i as SeriesRef + 1)
        }
        fn append_ref(&mut self, sref: SeriesRef, t: i64, v: f64) -> Result<Option<SeriesRef>, StorageError> {
            let labels = self.st.refs.lock().unwrap().get(sref as usize - 1).cloned();
            let Some(labels) = labels else { return Ok(None) };
            self.inner.append(0, &labels, t, v).map(|_| Some(sref))
        }
        fn commit(self: Box<Self>) -> Result<(), StorageError> {
            self.inner.commit()
        }
        fn rollback(self: Box<Self>) {}
    }

    #[test]
    fn handles_replace_labels_in_the_cache() {
        let (st, mut c, o) = (RefStorage::default(), SeriesCache::new(), opts(""));
        let r = append_scrape(&st, &mut c, &o, Ok((b"a 1\nb 2\n", Format::PromText)), 1000, 0.1);
        assert_eq!((r.samples_appended, r.series_added), (2, 2));
        assert!(c.entries.values().all(|e| e.labels.is_none() && e.sref != 0), "no label copies with handles");
        // b goes away (marker by handle); a, now written as `a{}`, stays.
        let r = append_scrape(&st, &mut c, &o, Ok((b"a{} 3\n", Format::PromText)), 2000, 0.1);
        assert_eq!(r.samples_appended, 1, "{r:?}");
        assert!(is_stale_nan(samples(&st.mem, "b")[0].1[1].1));
        assert_eq!(samples(&st.mem, "a")[0].1, vec![(1000, 1.0), (2000, 3.0)]);
        let r = append_scrape(&st, &mut c, &o, Ok((b"a{} 4\n", Format::PromText)), 3000, 0.1);
        assert_eq!(r.series_added, 0);
        assert_eq!(samples(&st.mem, "a")[0].1, vec![(1000, 1.0), (2000, 3.0), (3000, 4.0)], "a stays fresh");
        append_end_of_run(&st, &mut c, &o.target_labels, 4000);
        assert!(is_stale_nan(samples(&st.mem, "a")[0].1[3].1));
    }

    #[test]
    fn honor_labels_and_label_limits() {
        let (st, mut c) = (MemStorage::new(), SeriesCache::new());
        let o = opts("  honor_labels: true\n  label_name_length_limit: 10\n");
        scrape(&st, &mut c, &o, "m{job=\"pushed\"} 1\n", 1000);
        assert_eq!(samples(&st, "m")[0].0.get("job"), Some("pushed"));
        let r = scrape(&st, &mut c, &o, "m{a_very_long_name=\"x\"} 1\n", 2000);
        assert_eq!(
            r.error.as_deref(),
            Some("label_name_length_limit exceeded (metric: m, label name: a_very_long_name, length: 16, limit: 10)")
        );
        assert!(matches!(r.limit, Some(LimitError::LabelNameLength { .. })));
    }
}
