//! The textfile collector: metrics from the `*.prom` files of
//! `--collector.textfile.directory` (a directory or a glob of directories),
//! `node_textfile_mtime_seconds{file}` for each file read successfully, and
//! `node_textfile_scrape_error`, 1 if any directory or file failed.
//!
//! As in node_exporter 1.5: files are parsed with expfmt's rules
//! ([`crate::textparse`]); a file that fails to parse, or that has any sample
//! with a timestamp, contributes nothing and sets the error; a family without
//! `# HELP` gets "Metric read from <path>"; within a family, labels missing
//! from some samples are added with empty values. Families that clash with
//! another file or collector (help, type, duplicate series) are dropped per
//! metric by the gatherer, as client_golang's registry does.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use argus_model::exposition::MetricType;

use crate::collectors::Context;
use crate::error::{Error, Result};
use crate::metric::{Metric, Value, labels};
use crate::textparse::{self, ParsedFamily, ParsedValue, TextType};

pub(crate) fn update(ctx: &Context, out: &mut Vec<Metric>) -> Result<()> {
    let mut errored = false;
    let mut mtimes: BTreeMap<String, i64> = BTreeMap::new();
    for dir in directories(ctx.textfile_dir.as_deref()) {
        let mut names: Vec<String> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
            Err(err) => {
                errored = true;
                tracing::error!(path = %dir.display(), %err, "failed to read textfile collector directory");
                continue;
            }
        };
        names.sort();
        for name in names.iter().filter(|n| n.ends_with(".prom")) {
            let path = dir.join(name);
            match process_file(&path, out) {
                Ok(mtime) => {
                    mtimes.insert(path.to_string_lossy().into_owned(), mtime);
                }
                Err(err) => {
                    errored = true;
                    tracing::error!(file = name, %err, "failed to collect textfile data");
                }
            }
        }
    }
    for (file, mtime) in mtimes {
        let help = "Unixtime mtime of textfiles successfully read.";
        out.push(Metric::new(
            "node_textfile_mtime_seconds",
            help,
            MetricType::Gauge,
            labels([("file", file)]),
            mtime as f64,
        ));
    }
    let help = "1 if there was an error opening or reading a file, 0 otherwise";
    let v = if errored { 1.0 } else { 0.0 };
    out.push(Metric::new("node_textfile_scrape_error", help, MetricType::Gauge, Vec::new(), v));
    Ok(())
}

/// The directories to read: the glob's matches (sorted), or the path itself
/// when it is not a glob or matches nothing; none without a directory.
fn directories(dir: Option<&Path>) -> Vec<PathBuf> {
    let Some(dir) = dir else { return Vec::new() };
    let matches: Vec<PathBuf> =
        dir.to_str().and_then(|p| glob::glob(p).ok()).map(|paths| paths.flatten().collect()).unwrap_or_default();
    if matches.is_empty() { vec![dir.to_path_buf()] } else { matches }
}

/// Parses one file and appends its metrics; returns its mtime in whole seconds.
fn process_file(path: &Path, out: &mut Vec<Metric>) -> Result<i64> {
    let read_err = |source| Error::Read { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(read_err)?;
    let mut body = Vec::new();
    file.read_to_end(&mut body).map_err(read_err)?;
    let families = textparse::parse(&body).map_err(|reason| Error::parse(path, reason))?;
    if families.iter().any(|f| f.metrics.iter().any(|m| m.timestamp_ms.is_some())) {
        return Err(Error::parse(path, "contains unsupported client-side timestamps, skipping entire file"));
    }
    let default_help = format!("Metric read from {}", path.display());
    for family in families {
        convert_family(family, &default_help, out);
    }
    // Only stat the file once it has been parsed and validated, so that a
    // failure does not appear fresh.
    let modified = file.metadata().and_then(|m| m.modified()).map_err(read_err)?;
    Ok(match modified.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    })
}

/// node_exporter's `convertMetricFamily`.
fn convert_family(family: ParsedFamily, default_help: &str, out: &mut Vec<Metric>) {
    let help = family.help.unwrap_or_else(|| default_help.to_string());
    let kind = match family.kind {
        Some(TextType::Counter) => MetricType::Counter,
        Some(TextType::Gauge) => MetricType::Gauge,
        Some(TextType::Summary) => MetricType::Summary,
        Some(TextType::Histogram) => MetricType::Histogram,
        // A gauge histogram with samples is a parse error, so only untyped is left.
        _ => MetricType::Unknown,
    };
    let mut all_names: Vec<String> = Vec::new();
    for m in &family.metrics {
        for (n, _) in &m.labels {
            if !all_names.contains(n) {
                all_names.push(n.clone());
            }
        }
    }
    for m in family.metrics {
        let mut pairs: Vec<(Cow<'static, str>, String)> =
            m.labels.iter().map(|(n, v)| (Cow::Owned(n.clone()), v.clone())).collect();
        for n in &all_names {
            if !m.labels.iter().any(|(have, _)| have == n) {
                pairs.push((Cow::Owned(n.clone()), String::new()));
            }
        }
        let value = match m.value {
            ParsedValue::Single(v) => Value::Single(v),
            ParsedValue::Summary { count, sum, quantiles } => {
                Value::Summary { count, sum, quantiles: last_wins_sorted(quantiles) }
            }
            ParsedValue::Histogram { count, sum, buckets } => {
                Value::Histogram { count, sum, buckets: last_wins_sorted(buckets) }
            }
        };
        out.push(Metric::with_value(family.name.clone(), help.clone(), kind, pairs, value));
    }
}

/// What a Go map keyed by the float, then sorted, leaves: one entry per key
/// (the last written), in ascending key order.
fn last_wins_sorted<T: Copy>(pairs: Vec<(f64, T)>) -> Vec<(f64, T)> {
    let mut out: Vec<(f64, T)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match out.iter_mut().find(|(have, _)| *have == k) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}
