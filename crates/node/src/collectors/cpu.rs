//! The cpu collector: `node_cpu_seconds_total{cpu,mode}` and
//! `node_cpu_guest_seconds_total{cpu,mode}` from `/proc/stat`,
//! `node_cpu_isolated{cpu}` from `devices/system/cpu/isolated`, and the thermal
//! throttle counters from `devices/system/cpu/cpu*/thermal_throttle`.
//!
//! Shared state: the last value of every per-CPU counter, because node_exporter
//! 1.5 never lets a counter go backwards (some kernels report idle and iowait
//! jiffies that dip) unless idle jumped back by 3 s or more, which it takes for
//! a CPU hotplug and resets that CPU's counters.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::collections::BTreeMap;

use argus_model::exposition::MetricType::{Counter, Gauge};

use crate::collectors::{Context, read_text, read_uint, stat};
use crate::error::{Error, Result};
use crate::metric::{Metric, labels};

/// node_exporter's `jumpBackSeconds`.
const JUMP_BACK_SECONDS: f64 = 3.0;

/// One CPU's times in seconds.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct CpuStat {
    pub user: f64,
    pub nice: f64,
    pub system: f64,
    pub idle: f64,
    pub iowait: f64,
    pub irq: f64,
    pub softirq: f64,
    pub steal: f64,
    pub guest: f64,
    pub guest_nice: f64,
}

/// The cached counters, indexed by CPU number.
pub(crate) type CpuState = Vec<CpuStat>;

/// The highest CPU number accepted; procfs would allocate whatever a line claims.
const MAX_CPU: i64 = 1 << 16;

/// procfs 0.8's dense per-CPU slice: CPU numbers missing from `/proc/stat`
/// below the highest one get all-zero times (node_exporter 1.5 exports them).
pub(crate) fn dense(cpus: BTreeMap<i64, CpuStat>) -> std::result::Result<Vec<CpuStat>, String> {
    let len = match cpus.keys().next_back() {
        None => 0,
        Some(&max) if (0..MAX_CPU).contains(&max) => max as usize + 1,
        Some(max) => return Err(format!("cpu number {max} out of range")),
    };
    let mut out = vec![CpuStat::default(); len];
    for (id, stat) in cpus {
        if let Some(slot) = usize::try_from(id).ok().and_then(|i| out.get_mut(i)) {
            *slot = stat;
        }
    }
    Ok(out)
}

/// node_exporter's `updateCPUStats`: keep each counter monotonic.
pub(crate) fn merge_stats(state: &mut CpuState, new: Vec<CpuStat>) {
    // Reset the cache if the list of CPUs has changed.
    if state.len() != new.len() {
        *state = vec![CpuStat::default(); new.len()];
    }
    for (id, (s, n)) in state.iter_mut().zip(new).enumerate() {
        if s.idle - n.idle >= JUMP_BACK_SECONDS {
            tracing::debug!(
                cpu = id,
                old_value = s.idle,
                new_value = n.idle,
                "CPU Idle counter jumped backwards, possible hotplug event, resetting CPU stats"
            );
            *s = CpuStat::default();
        }
        let keep_max = |old: &mut f64, new: f64, what: &str| {
            if new >= *old {
                *old = new;
            } else {
                tracing::debug!(cpu = id, old_value = *old, new_value = new, "CPU {what} counter jumped backwards");
            }
        };
        keep_max(&mut s.idle, n.idle, "Idle");
        keep_max(&mut s.user, n.user, "User");
        keep_max(&mut s.nice, n.nice, "Nice");
        keep_max(&mut s.system, n.system, "System");
        keep_max(&mut s.iowait, n.iowait, "Iowait");
        keep_max(&mut s.irq, n.irq, "IRQ");
        keep_max(&mut s.softirq, n.softirq, "SoftIRQ");
        keep_max(&mut s.steal, n.steal, "Steal");
        keep_max(&mut s.guest, n.guest, "Guest");
        keep_max(&mut s.guest_nice, n.guest_nice, "GuestNice");
    }
}

/// Parses a CPU list such as `0-2,5` (sysfs `isolated`).
pub(crate) fn parse_cpu_range(text: &str) -> std::result::Result<Vec<u16>, String> {
    let mut out = Vec::new();
    for part in text.trim_end_matches('\n').split(',') {
        if part.is_empty() {
            continue;
        }
        let bad = || format!("invalid cpu range {part:?}");
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u16, u16) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
                out.extend(a..=b);
            }
            None => out.push(part.parse().map_err(|_| bad())?),
        }
    }
    Ok(out)
}

pub(crate) fn update(ctx: &Context, out: &mut Vec<Metric>) -> Result<()> {
    let path = ctx.proc("stat");
    let stats = stat::parse(&read_text(&path)?, &path)?.cpus;
    let stats = dense(stats).map_err(|reason| Error::parse(&path, reason))?;
    let snapshot = {
        // A panic elsewhere cannot leave the plain counters inconsistent, so a
        // poisoned lock is still usable.
        let mut state = ctx.cpu_state.lock().unwrap_or_else(|e| e.into_inner());
        merge_stats(&mut state, stats);
        state.clone()
    };
    const HELP: &str = "Seconds the CPUs spent in each mode.";
    const GUEST_HELP: &str = "Seconds the CPUs spent in guests (VMs) for each mode.";
    for (id, s) in snapshot.iter().enumerate() {
        let cpu = id.to_string();
        for (mode, v) in [
            ("user", s.user),
            ("nice", s.nice),
            ("system", s.system),
            ("idle", s.idle),
            ("iowait", s.iowait),
            ("irq", s.irq),
            ("softirq", s.softirq),
            ("steal", s.steal),
        ] {
            out.push(Metric::new(
                "node_cpu_seconds_total",
                HELP,
                Counter,
                labels([("cpu", cpu.clone()), ("mode", mode.into())]),
                v,
            ));
        }
        if ctx.cpu_guest {
            for (mode, v) in [("user", s.guest), ("nice", s.guest_nice)] {
                let l = labels([("cpu", cpu.clone()), ("mode", mode.into())]);
                out.push(Metric::new("node_cpu_guest_seconds_total", GUEST_HELP, Counter, l, v));
            }
        }
    }
    for cpu in &ctx.isolated_cpus {
        const ISO_HELP: &str = "Whether each core is isolated, information from /sys/devices/system/cpu/isolated.";
        out.push(Metric::new("node_cpu_isolated", ISO_HELP, Gauge, labels([("cpu", cpu.to_string())]), 1.0));
    }
    thermal_throttle(ctx, out);
    Ok(())
}

/// `updateThermalThrottle`: one core counter per (package, core) and one
/// package counter per package, read from the first CPU that has them.
fn thermal_throttle(ctx: &Context, out: &mut Vec<Metric>) {
    let pattern = ctx.sys("devices/system/cpu/cpu[0-9]*");
    let Some(pattern) = pattern.to_str() else { return };
    let Ok(paths) = glob::glob(pattern) else { return };
    let mut packages: BTreeMap<u64, Option<u64>> = BTreeMap::new();
    let mut cores: BTreeMap<(u64, u64), Option<u64>> = BTreeMap::new();
    for cpu in paths.flatten() {
        let Ok(package) = read_uint(&cpu.join("topology/physical_package_id")) else { continue };
        let Ok(core) = read_uint(&cpu.join("topology/core_id")) else { continue };
        if cores.get(&(package, core)).copied().flatten().is_none() {
            cores.insert((package, core), read_uint(&cpu.join("thermal_throttle/core_throttle_count")).ok());
        }
        if packages.get(&package).copied().flatten().is_none() {
            packages.insert(package, read_uint(&cpu.join("thermal_throttle/package_throttle_count")).ok());
        }
    }
    for (package, count) in packages {
        let Some(count) = count else { continue };
        const HELP: &str = "Number of times this CPU package has been throttled.";
        out.push(Metric::new(
            "node_cpu_package_throttles_total",
            HELP,
            Counter,
            labels([("package", package.to_string())]),
            count as f64,
        ));
    }
    for ((package, core), count) in cores {
        let Some(count) = count else { continue };
        const HELP: &str = "Number of times this CPU core has been throttled.";
        let l = labels([("package", package.to_string()), ("core", core.to_string())]);
        out.push(Metric::new("node_cpu_core_throttles_total", HELP, Counter, l, count as f64));
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn counters_never_go_backwards_unless_idle_jumps() {
        let p = Path::new("stat");
        let parse_cpu_lines = |text: &str, p: &Path| dense(stat::parse(text, p).unwrap().cpus);
        let mut state = CpuState::new();
        merge_stats(&mut state, parse_cpu_lines("cpu0 100 0 0 1000 50 0 0 0 0 0\n", p).unwrap());
        merge_stats(&mut state, parse_cpu_lines("cpu0 110 0 0 999 40 0 0 0 0 0\n", p).unwrap());
        let s = state[0];
        assert_eq!((s.user, s.idle, s.iowait), (1.1, 10.0, 0.5));
        merge_stats(&mut state, parse_cpu_lines("cpu0 1 0 0 500 1 0 0 0 0 0\n", p).unwrap());
        assert_eq!((state[0].user, state[0].idle), (0.01, 5.0));
        // A CPU appearing resets the cache; gaps below the highest number are zeros.
        merge_stats(&mut state, parse_cpu_lines("cpu0 1 0 0 500 1 0 0 0 0 0\ncpu2 3 0 0 0 0 0 0 0 0 0\n", p).unwrap());
        assert_eq!(state.iter().map(|s| s.user).collect::<Vec<_>>(), [0.01, 0.0, 0.03]);
        assert!(parse_cpu_lines("cpu99999999 1\n", p).is_err());
    }

    #[test]
    fn cpu_ranges() {
        assert_eq!(parse_cpu_range("0-2,5\n").unwrap(), vec![0, 1, 2, 5]);
        assert!(parse_cpu_range("a-b").is_err());
    }
}
