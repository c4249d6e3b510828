//! The loadavg collector: `node_load1`, `node_load5`, `node_load15` from `/proc/loadavg`.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use argus_model::exposition::MetricType::Gauge;

use crate::collectors::{Context, read_text};
use crate::error::{Error, Result};
use crate::metric::Metric;

pub(crate) fn update(ctx: &Context, out: &mut Vec<Metric>) -> Result<()> {
    let path = ctx.proc("loadavg");
    let text = read_text(&path)?;
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [one, five, fifteen, ..] = fields.as_slice() else {
        return Err(Error::parse(&path, format!("unexpected content in {}", path.display())));
    };
    for (name, help, field) in [
        ("node_load1", "1m load average.", one),
        ("node_load5", "5m load average.", five),
        ("node_load15", "15m load average.", fifteen),
    ] {
        let v: f64 = field.parse().map_err(|_| Error::parse(&path, format!("invalid load average {field:?}")))?;
        out.push(Metric::new(name, help, Gauge, Vec::new(), v));
    }
    Ok(())
}
