//! The diskstats collector: `node_disk_*` from `/proc/diskstats`, plus the
//! `node_disk_info` / `_filesystem_info` / `_device_mapper_info` / `_ata_*`
//! families from the udev database, as node_exporter 1.5 names them.
//!
//! A `/proc/diskstats` line carries 11, 15 or 17 counters depending on the
//! kernel (4.18 added discards, 5.5 flushes); only the ones present are exported.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::collections::HashMap;
use std::path::Path;

use argus_model::exposition::MetricType::{self, Counter, Gauge};

use crate::collectors::{Context, read_text};
use crate::error::{Error, Result};
use crate::metric::{Metric, labels};

/// Milliseconds to seconds.
const SECONDS_PER_TICK: f64 = 1.0 / 1000.0;
/// `/proc/diskstats` sectors are always 512 bytes.
const SECTOR: f64 = 512.0;

/// (family suffix, help, type, scale) for each counter column, in order.
const COLUMNS: [(&str, &str, MetricType, f64); 17] = [
    ("reads_completed_total", "The total number of reads completed successfully.", Counter, 1.0),
    ("reads_merged_total", "The total number of reads merged.", Counter, 1.0),
    ("read_bytes_total", "The total number of bytes read successfully.", Counter, SECTOR),
    ("read_time_seconds_total", "The total number of seconds spent by all reads.", Counter, SECONDS_PER_TICK),
    ("writes_completed_total", "The total number of writes completed successfully.", Counter, 1.0),
    ("writes_merged_total", "The number of writes merged.", Counter, 1.0),
    ("written_bytes_total", "The total number of bytes written successfully.", Counter, SECTOR),
    ("write_time_seconds_total", "This is the total number of seconds spent by all writes.", Counter, SECONDS_PER_TICK),
    ("io_now", "The number of I/Os currently in progress.", Gauge, 1.0),
    ("io_time_seconds_total", "Total seconds spent doing I/Os.", Counter, SECONDS_PER_TICK),
    ("io_time_weighted_seconds_total", "The weighted # of seconds spent doing I/Os.", Counter, SECONDS_PER_TICK),
    ("discards_completed_total", "The total number of discards completed successfully.", Counter, 1.0),
    ("discards_merged_total", "The total number of discards merged.", Counter, 1.0),
    ("discarded_sectors_total", "The total number of sectors discarded successfully.", Counter, 1.0),
    (
        "discard_time_seconds_total",
        "This is the total number of seconds spent by all discards.",
        Counter,
        SECONDS_PER_TICK,
    ),
    ("flush_requests_total", "The total number of flush requests completed successfully", Counter, 1.0),
    (
        "flush_requests_time_seconds_total",
        "This is the total number of seconds spent by all flush requests.",
        Counter,
        SECONDS_PER_TICK,
    ),
];

/// (udev property, family suffix, help) of the ATA gauges.
const ATA: [(&str, &str, &str); 3] = [
    ("ID_ATA_WRITE_CACHE", "ata_write_cache", "ATA disk has a write cache."),
    ("ID_ATA_WRITE_CACHE_ENABLED", "ata_write_cache_enabled", "ATA disk has its write cache enabled."),
    ("ID_ATA_ROTATION_RATE_RPM", "ata_rotation_rate_rpm", "ATA disk rotation rate in RPMs (0 for SSDs)."),
];

/// One `/proc/diskstats` line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DiskStat {
    pub major: u32,
    pub minor: u32,
    pub device: String,
    /// The counters present on the line (11, 15 or 17).
    pub counters: Vec<u64>,
}

/// Parses `/proc/diskstats`; lines with a field count procfs does not know
/// (other than 14, 18 or 20) are skipped, as procfs skips them.
pub(crate) fn parse(text: &str, path: &Path) -> Result<Vec<DiskStat>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let n = match fields.len() {
            14 | 18 => fields.len(),
            n if n >= 20 => 20,
            _ => continue,
        };
        let [major, minor, device, rest @ ..] = fields.as_slice() else { continue };
        let bad = |what: &str| Error::parse(path, format!("invalid {what} in line {line:?}"));
        let major = major.parse().map_err(|_| bad("major number"))?;
        let minor = minor.parse().map_err(|_| bad("minor number"))?;
        let counters =
            rest.iter().take(n - 3).map(|f| f.parse::<u64>().map_err(|_| bad("counter"))).collect::<Result<_>>()?;
        out.push(DiskStat { major, minor, device: device.to_string(), counters });
    }
    Ok(out)
}

pub(crate) fn update(ctx: &Context, out: &mut Vec<Metric>) -> Result<()> {
    let path = ctx.proc("diskstats");
    for d in parse(&read_text(&path)?, &path)? {
        if ctx.disk_filter.ignored(&d.device) {
            continue;
        }
        let udev = if ctx.udev_enabled { udev_properties(ctx, d.major, d.minor) } else { HashMap::new() };
        let prop = |k: &str| udev.get(k).cloned().unwrap_or_default();
        let dev = || labels([("device", d.device.clone())]);
        let info = labels([
            ("device", d.device.clone()),
            ("major", d.major.to_string()),
            ("minor", d.minor.to_string()),
            ("path", prop("ID_PATH")),
            ("wwn", prop("ID_WWN")),
            ("model", prop("ID_MODEL")),
            ("serial", prop("ID_SERIAL_SHORT")),
            ("revision", prop("ID_REVISION")),
        ]);
        out.push(Metric::new("node_disk_info", "Info of /sys/block/<block_device>.", Gauge, info, 1.0));
        for ((suffix, help, kind, scale), v) in COLUMNS.iter().zip(&d.counters) {
            out.push(Metric::new(format!("node_disk_{suffix}"), *help, *kind, dev(), *v as f64 * scale));
        }
        let fs_type = prop("ID_FS_TYPE");
        if !fs_type.is_empty() {
            let l = labels([
                ("device", d.device.clone()),
                ("type", fs_type),
                ("usage", prop("ID_FS_USAGE")),
                ("uuid", prop("ID_FS_UUID")),
                ("version", prop("ID_FS_VERSION")),
            ]);
            out.push(Metric::new("node_disk_filesystem_info", "Info about disk filesystem.", Gauge, l, 1.0));
        }
        let dm_name = prop("DM_NAME");
        if !dm_name.is_empty() {
            let l = labels([
                ("device", d.device.clone()),
                ("name", dm_name),
                ("uuid", prop("DM_UUID")),
                ("vg_name", prop("DM_VG_NAME")),
                ("lv_name", prop("DM_LV_NAME")),
                ("lv_layer", prop("DM_LV_LAYER")),
            ]);
            out.push(Metric::new("node_disk_device_mapper_info", "Info about disk device mapper.", Gauge, l, 1.0));
        }
        if !prop("ID_ATA").is_empty() {
            for (key, suffix, help) in ATA {
                let Some(raw) = udev.get(key) else { continue };
                match raw.parse::<f64>() {
                    Ok(v) => out.push(Metric::new(format!("node_disk_{suffix}"), help, Gauge, dev(), v)),
                    Err(err) => tracing::error!(device = %d.device, key, %err, "failed to parse ATA value"),
                }
            }
        }
    }
    Ok(())
}

/// The `E:KEY=VALUE` lines of the udev database entry `b<major>:<minor>`;
/// empty if it cannot be read (node_exporter only logs that at debug level).
fn udev_properties(ctx: &Context, major: u32, minor: u32) -> HashMap<String, String> {
    let path = ctx.udev_data.join(format!("b{major}:{minor}"));
    let Ok(text) = read_text(&path) else {
        tracing::debug!(path = %path.display(), "failed to parse udev info");
        return HashMap::new();
    };
    text.lines()
        .filter_map(|l| l.strip_prefix("E:"))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
