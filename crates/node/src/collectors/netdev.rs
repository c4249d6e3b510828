//! The netdev collector: `node_network_{receive,transmit}_*_total{device}`.
//!
//! node_exporter 1.5 reads these over rtnetlink by default and then renames
//! them to the `/proc/net/dev` column names (its "legacy" mapping), summing the
//! detailed error counters exactly as the kernel does for `/proc/net/dev`. We
//! read `/proc/net/dev` directly, which gives the same numbers, and add
//! `receive_nohandler` (which only netlink carries) from sysfs
//! `class/net/<device>/statistics/rx_nohandler`, 0 when absent.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::path::Path;

use argus_model::exposition::MetricType::Counter;

use crate::collectors::{Context, read_text, read_uint};
use crate::error::{Error, Result};
use crate::metric::{Metric, labels};

/// `/proc/net/dev` columns after the device name, in order.
const COLUMNS: [&str; 16] = [
    "receive_bytes",
    "receive_packets",
    "receive_errs",
    "receive_drop",
    "receive_fifo",
    "receive_frame",
    "receive_compressed",
    "receive_multicast",
    "transmit_bytes",
    "transmit_packets",
    "transmit_errs",
    "transmit_drop",
    "transmit_fifo",
    "transmit_colls",
    "transmit_carrier",
    "transmit_compressed",
];

pub(crate) fn update(ctx: &Context, out: &mut Vec<Metric>) -> Result<()> {
    let path = ctx.proc("net/dev");
    for (device, values) in parse(&read_text(&path)?, &path)? {
        if ctx.netdev_filter.ignored(&device) {
            continue;
        }
        let nohandler =
            read_uint(&ctx.sys("class/net").join(&device).join("statistics/rx_nohandler")).unwrap_or_default();
        let stats = COLUMNS.iter().copied().zip(values).chain(std::iter::once(("receive_nohandler", nohandler)));
        for (key, v) in stats {
            let help = format!("Network device statistic {key}.");
            let l = labels([("device", device.clone())]);
            out.push(Metric::new(format!("node_network_{key}_total"), help, Counter, l, v as f64));
        }
    }
    Ok(())
}

/// Parses `/proc/net/dev` (two header lines, then `name: 16 counters`).
pub(crate) fn parse(text: &str, path: &Path) -> Result<Vec<(String, [u64; 16])>> {
    let mut out = Vec::new();
    for line in text.lines().skip(2) {
        let Some((name, rest)) = line.split_once(':') else {
            return Err(Error::parse(path, format!("invalid line {line:?}")));
        };
        let mut values = [0u64; 16];
        let mut n = 0;
        for (slot, f) in values.iter_mut().zip(rest.split_whitespace()) {
            *slot = f.parse().map_err(|_| Error::parse(path, format!("invalid value {f:?} in line {line:?}")))?;
            n += 1;
        }
        if n != values.len() {
            return Err(Error::parse(path, format!("expected 16 counters in line {line:?}")));
        }
        out.push((name.trim().to_string(), values));
    }
    Ok(out)
}
