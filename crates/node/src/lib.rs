//! Host metrics for argus: the node_exporter 1.5 collectors argus ships.
//!
//! This crate owns the host collectors (cpu, diskstats, filesystem, loadavg,
//! meminfo, netdev, stat, textfile, time, uname, vmstat) with node_exporter
//! 1.5's metric names, labels, types, help strings, units and default filters,
//! plus `node_scrape_collector_duration_seconds` and
//! `node_scrape_collector_success`. It reads procfs and sysfs under
//! configurable roots (node_exporter's `--path.procfs`, `--path.sysfs`,
//! `--path.rootfs`), so tests run on fixture trees.
//!
//! It does not own HTTP (`/node/metrics` is served by `argus-web`), the
//! sampling schedule or storage (the binary samples [`NodeCollector::collect`]
//! as the built-in `node` job), nor the exposition encoder for scraped data
//! (`argus-model`).
//!
//! Main types: [`NodeOptions`] (paths, enabled [`CollectorKind`]s, filters),
//! [`NodeCollector`] (`collect` for storage, `render_text` for `/metrics`).
//! A failing collector never fails the collection: its metrics are dropped,
//! `node_scrape_collector_success{collector="..."}` is 0 and the error is
//! logged with `tracing`. Where argus differs from node_exporter 1.5 on
//! purpose is listed in `DIFFERENCES.md`.
//!
//! ```
//! use argus_node::{CollectorKind, NodeCollector, NodeOptions};
//! let dir = std::env::temp_dir().join("argus-node-doctest");
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("loadavg"), "0.50 0.25 0.10 1/100 42\n").unwrap();
//! let node = NodeCollector::new(NodeOptions {
//!     procfs: dir,
//!     collectors: vec![CollectorKind::Loadavg],
//!     ..NodeOptions::default()
//! })
//! .unwrap();
//! let text = node.render_text();
//! assert!(text.contains("# HELP node_load1 1m load average.\n# TYPE node_load1 gauge\nnode_load1 0.5\n"));
//! assert!(text.contains("node_scrape_collector_success{collector=\"loadavg\"} 1\n"));
//! ```
#![deny(missing_docs)]
#![deny(unsafe_code)]
// Everything here parses files the host (or a user) controls.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing))]

mod collectors;
mod error;
mod metric;
mod node;
mod options;
mod render;
mod textparse;

pub use error::{Error, Result};
pub use node::NodeCollector;
pub use options::{
    CollectorKind, DEFAULT_DISKSTATS_DEVICE_EXCLUDE, DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE,
    DEFAULT_NETDEV_DEVICE_EXCLUDE, DEFAULT_VMSTAT_FIELDS, NodeOptions,
};

/// `NodeCollector` is shared between the sampler and the HTTP handler.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<NodeCollector>();
};
