//! The uname collector: `node_uname_info` labelled with the fields of the
//! `uname(2)` system call (not configurable by the procfs root, as in node_exporter).

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use argus_model::exposition::MetricType::Gauge;

use crate::error::Result;
use crate::metric::{Metric, labels};

pub(crate) fn update(out: &mut Vec<Metric>) -> Result<()> {
    let u = rustix::system::uname();
    let s = |c: &std::ffi::CStr| c.to_string_lossy().into_owned();
    let l = labels([
        ("sysname", s(u.sysname())),
        ("release", s(u.release())),
        ("version", s(u.version())),
        ("machine", s(u.machine())),
        ("nodename", s(u.nodename())),
        ("domainname", s(u.domainname())),
    ]);
    let help = "Labeled system information as provided by the uname system call.";
    out.push(Metric::new("node_uname_info", help, Gauge, l, 1.0));
    Ok(())
}
