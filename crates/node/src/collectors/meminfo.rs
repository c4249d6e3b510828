//! The meminfo collector: one gauge per `/proc/meminfo` line, named as
//! node_exporter names them: `Active(anon)` becomes `node_memory_Active_anon_bytes`,
//! values with a `kB` unit are multiplied by 1024 and get `_bytes`, unitless
//! ones (`HugePages_Total`) keep their name.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::path::Path;

use argus_model::exposition::MetricType::Gauge;

use crate::collectors::{Context, read_text};
use crate::error::{Error, Result};
use crate::metric::Metric;

pub(crate) fn update(ctx: &Context, out: &mut Vec<Metric>) -> Result<()> {
    let path = ctx.proc("meminfo");
    for (key, value) in parse(&read_text(&path)?, &path)? {
        let help = format!("Memory information field {key}.");
        out.push(Metric::new(format!("node_memory_{key}"), help, Gauge, Vec::new(), value));
    }
    Ok(())
}

/// Parses `/proc/meminfo` into (key, value) with node_exporter's key mangling.
pub(crate) fn parse(text: &str, path: &Path) -> Result<Vec<(String, f64)>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let (key, value, has_unit) = match parts.as_slice() {
            // Empty lines occur on some CentOS 6 kernels; node_exporter skips them.
            [] => continue,
            [key, value] => (*key, *value, false),
            [key, value, _unit] => (*key, *value, true),
            _ => return Err(Error::parse(path, format!("invalid line in meminfo: {line}"))),
        };
        let mut v: f64 =
            value.parse().map_err(|_| Error::parse(path, format!("invalid value in meminfo: {value:?}")))?;
        // node_exporter drops the last byte, normally the colon.
        let key = key.strip_suffix(':').unwrap_or_else(|| {
            let mut chars = key.chars();
            chars.next_back();
            chars.as_str()
        });
        // `\((.*)\)` replaced by `_${1}`: "Active(anon)" -> "Active_anon".
        let mut key = match (key.find('('), key.rfind(')')) {
            (Some(open), Some(close)) if open < close => {
                let part = |r: std::ops::Range<usize>| key.get(r).unwrap_or_default();
                format!("{}_{}{}", part(0..open), part(open + 1..close), part(close + 1..key.len()))
            }
            _ => key.to_string(),
        };
        if has_unit {
            v *= 1024.0;
            key.push_str("_bytes");
        }
        out.push((key, v));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_mangled_like_node_exporter() {
        let p = Path::new("meminfo");
        let got = parse("MemTotal:  2 kB\nActive(anon):  1 kB\n\nHugePages_Total:       0\n", p).unwrap();
        let want = [("MemTotal_bytes", 2048.0), ("Active_anon_bytes", 1024.0), ("HugePages_Total", 0.0)];
        assert_eq!(got, want.map(|(k, v)| (k.to_string(), v)));
        assert!(parse("MemTotal: x kB\n", p).is_err());
        assert!(parse("MemTotal:\n", p).is_err());
        assert!(parse("a b c d\n", p).is_err());
    }
}
