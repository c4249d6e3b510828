//! The stat collector: boot time, context switches, forks, interrupts and
//! process counts from `/proc/stat`, and the parser of that file that the cpu
//! collector shares.
//!
//! The parser is as strict as procfs' `Stat()`, which node_exporter 1.5 uses
//! for both collectors: a malformed `btime`, `intr`, `ctxt`, `processes`,
//! `procs_*`, `softirq` or `cpuN` line fails the whole file (and so both
//! collectors); lines with fewer than two fields and unknown keys are skipped.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::collections::BTreeMap;
use std::path::Path;

use argus_model::exposition::MetricType::{Counter, Gauge};

use crate::collectors::cpu::CpuStat;
use crate::collectors::{Context, read_text};
use crate::error::{Error, Result};
use crate::metric::Metric;

/// Jiffies per second as procfs (and the kernel's `USER_HZ`) defines them.
const USER_HZ: f64 = 100.0;

/// What `/proc/stat` holds that the collectors export.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct ProcStat {
    /// Per-CPU times in seconds, by CPU number (the total `cpu` line excluded).
    pub cpus: BTreeMap<i64, CpuStat>,
    pub boot_time: u64,
    pub intr: u64,
    pub ctxt: u64,
    pub forks: u64,
    pub running: u64,
    pub blocked: u64,
}

/// Go's `strconv.ParseUint(s, 10, 64)`: digits only, no sign.
fn parse_uint(s: &str) -> Option<u64> {
    if s.starts_with('+') { None } else { s.parse().ok() }
}

/// Parses `/proc/stat` as procfs does.
pub(crate) fn parse(text: &str, path: &Path) -> Result<ProcStat> {
    let mut st = ProcStat::default();
    for line in text.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [key, first, rest @ ..] = parts.as_slice() else { continue };
        let bad = |what: &str| Error::parse(path, format!("couldn't parse {first:?} ({what})"));
        match *key {
            "btime" => st.boot_time = parse_uint(first).ok_or_else(|| bad("btime"))?,
            "intr" => {
                st.intr = parse_uint(first).ok_or_else(|| bad("intr"))?;
                for (i, n) in rest.iter().enumerate() {
                    if parse_uint(n).is_none() {
                        return Err(Error::parse(path, format!("couldn't parse {n:?} (intr{i})")));
                    }
                }
            }
            "ctxt" => st.ctxt = parse_uint(first).ok_or_else(|| bad("ctxt"))?,
            "processes" => st.forks = parse_uint(first).ok_or_else(|| bad("processes"))?,
            "procs_running" => st.running = parse_uint(first).ok_or_else(|| bad("procs_running"))?,
            "procs_blocked" => st.blocked = parse_uint(first).ok_or_else(|| bad("procs_blocked"))?,
            "softirq" => {
                // procfs scans exactly a total and ten vectors.
                let numbers = parts.get(1..12).filter(|n| n.len() == 11);
                if !numbers.is_some_and(|n| n.iter().all(|f| f.parse::<u64>().is_ok())) {
                    return Err(Error::parse(path, format!("couldn't parse {line:?} (softirq)")));
                }
            }
            k if k.starts_with("cpu") => {
                let bad_cpu = || Error::parse(path, format!("couldn't parse {line:?} (cpu)"));
                let mut v = [0.0f64; 10];
                for (slot, f) in v.iter_mut().zip(parts.iter().skip(1)) {
                    *slot = f.parse::<f64>().map_err(|_| bad_cpu())? / USER_HZ;
                }
                let id = k.get(3..).unwrap_or_default();
                if id.is_empty() {
                    continue;
                }
                let id: i64 = id.parse().map_err(|_| bad_cpu())?;
                let [user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice] = v;
                let cpu = CpuStat { user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice };
                st.cpus.insert(id, cpu);
            }
            _ => {}
        }
    }
    Ok(st)
}

pub(crate) fn update(ctx: &Context, out: &mut Vec<Metric>) -> Result<()> {
    let path = ctx.proc("stat");
    let st = parse(&read_text(&path)?, &path)?;
    out.push(Metric::new(
        "node_intr_total",
        "Total number of interrupts serviced.",
        Counter,
        Vec::new(),
        st.intr as f64,
    ));
    let help = "Total number of context switches.";
    out.push(Metric::new("node_context_switches_total", help, Counter, Vec::new(), st.ctxt as f64));
    out.push(Metric::new("node_forks_total", "Total number of forks.", Counter, Vec::new(), st.forks as f64));
    let help = "Node boot time, in unixtime.";
    out.push(Metric::new("node_boot_time_seconds", help, Gauge, Vec::new(), st.boot_time as f64));
    let help = "Number of processes in runnable state.";
    out.push(Metric::new("node_procs_running", help, Gauge, Vec::new(), st.running as f64));
    let help = "Number of processes blocked waiting for I/O to complete.";
    out.push(Metric::new("node_procs_blocked", help, Gauge, Vec::new(), st.blocked as f64));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_lines_fail_like_procfs() {
        let p = Path::new("stat");
        let check = |text: &str, ok: bool| assert_eq!(parse(text, p).is_ok(), ok, "{text:?}");
        check("btime 12\nctxt 3\nintr 5 1 2\nprocesses 9\nsoftirq 1 2 3 4 5 6 7 8 9 10 11\n", true);
        check("cpu0\nfoo\n\nunknown x\n", true);
        check("softirq 123 1 2 3\n", false);
        check("btime x\n", false);
        check("btime +5\n", false);
        check("intr 5 1 x\n", false);
        check("cpuX 1 2\n", false);
        check("cpu0 1 x\n", false);
        let st = parse("cpu 1 2\ncpu3 100 200\nbtime 7\n", p).unwrap();
        assert_eq!((st.cpus.len(), st.cpus[&3].user, st.cpus[&3].nice, st.boot_time), (1, 1.0, 2.0, 7));
    }
}
