//! The vmstat collector: untyped `node_vmstat_<field>` for the `/proc/vmstat`
//! fields matching `--collector.vmstat.fields`.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use argus_model::exposition::MetricType::Unknown;

use crate::collectors::{Context, read_text};
use crate::error::{Error, Result};
use crate::metric::Metric;

pub(crate) fn update(ctx: &Context, out: &mut Vec<Metric>) -> Result<()> {
    let path = ctx.proc("vmstat");
    for line in read_text(&path)?.lines() {
        let mut parts = line.split_whitespace();
        let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
            return Err(Error::parse(&path, format!("invalid line {line:?}")));
        };
        // node_exporter parses every value before filtering, so one bad line
        // fails the collector even if its field is not exported.
        let v: f64 = value.parse().map_err(|_| Error::parse(&path, format!("invalid value {value:?} for {key}")))?;
        if !ctx.vmstat_fields.is_match(key) {
            continue;
        }
        let help = format!("/proc/vmstat information field {key}.");
        out.push(Metric::new(format!("node_vmstat_{key}"), help, Unknown, Vec::new(), v));
    }
    Ok(())
}
