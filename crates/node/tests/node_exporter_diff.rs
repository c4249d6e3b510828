//! Differential tests against Debian's `prometheus-node-exporter` 1.5: the
//! same collectors on the same host (or fixture tree) and textfile directory
//! must expose the same families, types, help strings, label names and
//! series, with equal values where they do not move.
//!
//! Each test prints that it did not run and passes when the binary is missing.

mod util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use argus_node::{CollectorKind, NodeCollector, NodeOptions};
use util::{Exporter, Family, families, is_exporter_own};

const ALL: [&str; 11] =
    ["cpu", "diskstats", "filesystem", "loadavg", "meminfo", "netdev", "stat", "textfile", "time", "uname", "vmstat"];

/// Families whose values must agree exactly (they do not move between two
/// reads a few milliseconds apart), and the tolerance for ones that may.
fn tolerance(family: &str) -> Option<f64> {
    match family {
        "node_boot_time_seconds" => Some(1.0),
        "node_time_zone_offset_seconds" | "node_uname_info" | "node_disk_info" | "node_cpu_isolated" => Some(0.0),
        f if f.starts_with("node_time_clocksource") => Some(0.0),
        f if f.starts_with("node_textfile") => Some(0.0),
        // Not `files`: xfs and btrfs allocate inodes dynamically, so the total moves.
        "node_filesystem_size_bytes" | "node_filesystem_readonly" => Some(0.0),
        "node_filesystem_device_error" => Some(0.0),
        "node_memory_MemTotal_bytes" | "node_memory_SwapTotal_bytes" => Some(0.0),
        "node_scrape_collector_success" => Some(0.0),
        _ => None,
    }
}

/// Compares two bodies; returns one line per difference.
fn compare(ours: &str, theirs: &str, exact_values: bool) -> Vec<String> {
    let ours = families(ours);
    let theirs: BTreeMap<String, Family> = families(theirs).into_iter().filter(|(n, _)| !is_exporter_own(n)).collect();
    let mut diffs = Vec::new();
    let valued = theirs.keys().filter(|n| exact_values || tolerance(n).is_some()).count();
    let series: usize = theirs.values().map(|f| f.series.len()).sum();
    eprintln!(
        "compared {} families ({series} series) on names, help, type, label names and series; values of {valued} families",
        theirs.len()
    );
    for name in theirs.keys().filter(|n| !ours.contains_key(*n)) {
        diffs.push(format!("{name}: only node_exporter has it"));
    }
    for name in ours.keys().filter(|n| !theirs.contains_key(*n)) {
        diffs.push(format!("{name}: only argus has it"));
    }
    for (name, t) in &theirs {
        let Some(o) = ours.get(name) else { continue };
        if o.help != t.help {
            diffs.push(format!("{name}: help {:?} vs node_exporter {:?}", o.help, t.help));
        }
        if o.kind != t.kind {
            diffs.push(format!("{name}: type {} vs node_exporter {}", o.kind, t.kind));
        }
        if o.label_names != t.label_names {
            diffs.push(format!("{name}: label names {:?} vs node_exporter {:?}", o.label_names, t.label_names));
        }
        if name == "node_scrape_collector_duration_seconds" || name == "node_time_seconds" {
            continue;
        }
        let (ok, tk): (Vec<_>, Vec<_>) = (o.series.keys().collect(), t.series.keys().collect());
        if ok != tk {
            diffs.push(format!("{name}: series {ok:?} vs node_exporter {tk:?}"));
            continue;
        }
        let tol = if exact_values { Some(0.0) } else { tolerance(name) };
        let Some(tol) = tol else { continue };
        for (series, tv) in &t.series {
            let ov = o.series.get(series).copied().unwrap_or(f64::NAN);
            let same = (ov - tv).abs() <= tol || (ov.is_nan() && tv.is_nan());
            if !same {
                diffs.push(format!("{series}: value {ov} vs node_exporter {tv}"));
            }
        }
    }
    diffs
}

fn write(dir: &Path, name: &str, body: &str) {
    std::fs::write(dir.join(name), body).unwrap();
}

/// A textfile directory exercising merging, label filling, summaries,
/// histograms, missing help, and one broken file.
fn textfile_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "a.prom",
        "# HELP job_last_success_unixtime Last success.\n# TYPE job_last_success_unixtime gauge\njob_last_success_unixtime{job=\"backup\"} 1.7e9\n",
    );
    write(
        d,
        "b.prom",
        "job_last_success_unixtime{job=\"rsync\",host=\"x\"} 1.6e9\n# TYPE rpc summary\nrpc{quantile=\"0.9\",m=\"a\"} 3\nrpc{quantile=\"0.5\",m=\"a\"} 2\nrpc_sum{m=\"a\"} 10\nrpc_count{m=\"a\"} 1234567\n\
         # HELP lat Latency.\n# TYPE lat histogram\nlat_bucket{le=\"0.5\"} 1\nlat_bucket{le=\"1\"} 2\nlat_sum 3.5\nlat_count 4\nuntyped_thing{a=\"\\\\x\\\"y\\n\"} -0\n",
    );
    write(
        d,
        "c.prom",
        "# HELP job_last_success_unixtime Different help.\njob_last_success_unixtime{job=\"other\"} 1\n",
    );
    write(d, "broken.prom", "good_before_error 1\nbad{ 1\n");
    write(d, "no_newline.prom", "no_newline 1");
    write(d, "ts.prom", "with_ts 1 1700000000000\n");
    write(d, "ignored.txt", "not_a_prom_file 1\n");
    dir
}

fn our_text(opts: NodeOptions) -> String {
    NodeCollector::new(opts).unwrap().render_text()
}

fn report(what: &str, diffs: &[String]) {
    for d in diffs {
        eprintln!("{what}: {d}");
    }
    assert!(diffs.is_empty(), "{what}: {} differences with node_exporter, see above", diffs.len());
}

#[test]
fn live_host_matches_node_exporter() {
    let tf = textfile_dir();
    let flag = format!("--collector.textfile.directory={}", tf.path().display());
    let Some(mut ne) = Exporter::start(&ALL, &[flag]) else {
        eprintln!("{} not installed: differential test not run", util::NODE_EXPORTER);
        return;
    };
    let theirs = ne.metrics();
    let ours = our_text(NodeOptions { textfile_dir: Some(tf.path().to_path_buf()), ..NodeOptions::default() });
    report("live", &compare(&ours, &theirs, false));
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(name)
}

/// The fixture tree under `testdata/host` through both; netdev (node_exporter
/// reads it over netlink, ignoring `--path.procfs`), uname and time (system
/// calls) are left out, and so are values that depend on the real root filesystem.
#[test]
fn fixture_tree_matches_node_exporter() {
    let (proc_dir, sys_dir) = (fixture("host/proc"), fixture("host/sys"));
    let collectors = ["cpu", "diskstats", "filesystem", "loadavg", "meminfo", "stat", "vmstat"];
    let flags = [
        format!("--path.procfs={}", proc_dir.display()),
        format!("--path.sysfs={}", sys_dir.display()),
        format!("--path.udev.data={}", fixture("host/udev").display()),
    ];
    let Some(mut ne) = Exporter::start(&collectors, &flags) else {
        eprintln!("{} not installed: differential test not run", util::NODE_EXPORTER);
        return;
    };
    let theirs = ne.metrics();
    let ours = our_text(NodeOptions {
        procfs: proc_dir,
        sysfs: sys_dir,
        udev_data: fixture("host/udev"),
        collectors: collectors.iter().map(|c| c.parse::<CollectorKind>().unwrap()).collect(),
        ..NodeOptions::default()
    });
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("node_scrape_collector_duration_seconds{"))
            .filter(|l| {
                !l.starts_with("node_filesystem_") || l.starts_with('#') || l.contains("mountpoint=\"/nonexistent")
            })
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    };
    let theirs: String = strip(&theirs)
        .lines()
        .filter(|l| {
            let name = l.trim_start_matches("# HELP ").trim_start_matches("# TYPE ");
            !is_exporter_own(name.split([' ', '{']).next().unwrap_or(""))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let ours = strip(&ours);
    if ours != theirs {
        for d in compare(&ours, &theirs, true) {
            eprintln!("fixture: {d}");
        }
        assert_eq!(ours, theirs, "fixture tree: argus and node_exporter bodies differ");
    }
}
