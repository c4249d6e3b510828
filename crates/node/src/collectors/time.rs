//! The time collector: `node_time_seconds`, `node_time_zone_offset_seconds{time_zone}`
//! and the clocksources of `devices/system/clocksource/clocksource*`.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::time::{SystemTime, UNIX_EPOCH};

use argus_model::exposition::MetricType::Gauge;

use crate::collectors::{Context, read_text};
use crate::error::Result;
use crate::metric::{Metric, labels};

pub(crate) fn update(ctx: &Context, out: &mut Vec<Metric>) -> Result<()> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let now_sec = now.as_nanos() as f64 / 1e9;
    let secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    let (zone, offset) = local_zone(secs);
    out.push(Metric::new(
        "node_time_seconds",
        "System time in seconds since epoch (1970).",
        Gauge,
        Vec::new(),
        now_sec,
    ));
    let help = "System time zone offset in seconds.";
    out.push(Metric::new("node_time_zone_offset_seconds", help, Gauge, labels([("time_zone", zone)]), offset as f64));
    clocksources(ctx, out)
}

/// procfs' `ClockSources` as node_exporter exports them: the `device` label is
/// the position in the sorted glob of `clocksource[0-9]*`.
fn clocksources(ctx: &Context, out: &mut Vec<Metric>) -> Result<()> {
    let pattern = ctx.sys("devices/system/clocksource/clocksource[0-9]*");
    let Some(pattern) = pattern.to_str() else { return Ok(()) };
    let Ok(paths) = glob::glob(pattern) else { return Ok(()) };
    let mut found = Vec::new();
    for dir in paths.flatten() {
        let available = read_text(&dir.join("available_clocksource"))?;
        let current = read_text(&dir.join("current_clocksource"))?;
        found.push((available, current.trim().to_string()));
    }
    for (i, (available, current)) in found.into_iter().enumerate() {
        let device = i.to_string();
        for cs in available.split_whitespace() {
            let help = "Available clocksources read from '/sys/devices/system/clocksource'.";
            let l = labels([("device", device.clone()), ("clocksource", cs.to_string())]);
            out.push(Metric::new("node_time_clocksource_available_info", help, Gauge, l, 1.0));
        }
        let help = "Current clocksource read from '/sys/devices/system/clocksource'.";
        let l = labels([("device", device), ("clocksource", current)]);
        out.push(Metric::new("node_time_clocksource_current_info", help, Gauge, l, 1.0));
    }
    Ok(())
}

#[allow(unsafe_code)]
unsafe extern "C" {
    /// POSIX `tzset(3)`; the libc crate does not declare it.
    fn tzset();
}

/// The local time zone's abbreviation and UTC offset at `secs`, as Go's
/// `time.Now().Zone()` reports them (TZ, else /etc/localtime, else UTC).
#[allow(unsafe_code)]
fn local_zone(secs: i64) -> (String, i64) {
    let t: libc::time_t = secs;
    // SAFETY: `tm` is plain old data, so all-zero is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: tzset has no preconditions (it reads TZ; nothing in argus sets
    // environment variables after start). localtime_r writes only into `tm`,
    // which outlives the call, and returns null on failure.
    let ok = unsafe {
        tzset();
        !libc::localtime_r(&t, &mut tm).is_null()
    };
    if !ok {
        return ("UTC".to_string(), 0);
    }
    let name = if tm.tm_zone.is_null() {
        String::new()
    } else {
        // SAFETY: a non-null tm_zone points to a NUL-terminated name in libc's
        // static time zone data, valid until the next tzset; we copy it now.
        unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }.to_string_lossy().into_owned()
    };
    (name, tm.tm_gmtoff)
}
