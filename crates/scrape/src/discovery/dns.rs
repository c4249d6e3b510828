//! `dns_sd_configs`: the pure half of DNS service discovery. Resolving is the
//! caller's; [`group_from_records`] turns the answers for one name into a
//! target group as Prometheus 2.42's `discovery/dns` does: SRV records give
//! host and port, A/AAAA/MX records take the configured port, rooted names
//! lose their final dot, and each target carries `__meta_dns_*` labels.

use std::net::IpAddr;

use argus_model::{Labels, LabelsBuilder};

use super::{ADDRESS_LABEL, TargetGroup};

/// `__meta_dns_name`: the name that was queried.
pub const NAME_LABEL: &str = "__meta_dns_name";
/// `__meta_dns_srv_record_target`: the SRV record's target, as returned.
pub const SRV_RECORD_TARGET_LABEL: &str = "__meta_dns_srv_record_target";
/// `__meta_dns_srv_record_port`: the SRV record's port.
pub const SRV_RECORD_PORT_LABEL: &str = "__meta_dns_srv_record_port";
/// `__meta_dns_mx_record_target`: the MX record's host, as returned.
pub const MX_RECORD_TARGET_LABEL: &str = "__meta_dns_mx_record_target";

/// One DNS answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsRecord {
    /// An SRV record.
    Srv {
        /// Target host (possibly rooted, `host.example.com.`).
        target: String,
        /// Port.
        port: u16,
    },
    /// An MX record's host.
    Mx(String),
    /// An A or AAAA address.
    Ip(IpAddr),
    /// A CNAME, skipped as Prometheus does.
    Cname(String),
}

/// Go's `net.JoinHostPort`.
fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// The target group for the answers to `name`; `port` is the config's port
/// (used for A, AAAA and MX). The group's source is `name`.
pub fn group_from_records(name: &str, port: i64, records: &[DnsRecord]) -> TargetGroup {
    let mut targets = Vec::new();
    for r in records {
        let mut b = LabelsBuilder::new();
        let address = match r {
            DnsRecord::Srv { target, port: p } => {
                b.set(SRV_RECORD_TARGET_LABEL, target.clone());
                b.set(SRV_RECORD_PORT_LABEL, p.to_string());
                join_host_port(target.trim_end_matches('.'), i64::from(*p))
            }
            DnsRecord::Mx(host) => {
                b.set(MX_RECORD_TARGET_LABEL, host.clone());
                join_host_port(host.trim_end_matches('.'), port)
            }
            DnsRecord::Ip(ip) => join_host_port(&ip.to_string(), port),
            DnsRecord::Cname(_) => continue,
        };
        b.set(ADDRESS_LABEL, address);
        b.set(NAME_LABEL, name);
        targets.push(b.build());
    }
    TargetGroup { source: name.to_string(), targets, labels: Labels::empty() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_to_targets() {
        let g = group_from_records(
            "_prom._tcp.example.com",
            0,
            &[DnsRecord::Srv { target: "node1.example.com.".into(), port: 9100 }, DnsRecord::Cname("x".into())],
        );
        assert_eq!(g.source, "_prom._tcp.example.com");
        assert_eq!(
            g.targets,
            vec![Labels::from_pairs([
                ("__address__", "node1.example.com:9100"),
                ("__meta_dns_name", "_prom._tcp.example.com"),
                ("__meta_dns_srv_record_target", "node1.example.com."),
                ("__meta_dns_srv_record_port", "9100"),
            ])]
        );
        let g = group_from_records(
            "a.example.com",
            80,
            &[
                DnsRecord::Ip("10.0.0.1".parse().unwrap()),
                DnsRecord::Ip("::1".parse().unwrap()),
                DnsRecord::Mx("mx.example.com.".into()),
            ],
        );
        let addrs: Vec<_> = g.targets.iter().filter_map(|t| t.get("__address__")).collect();
        assert_eq!(addrs, ["10.0.0.1:80", "[::1]:80", "mx.example.com:80"]);
        assert_eq!(g.targets[2].get(MX_RECORD_TARGET_LABEL), Some("mx.example.com."));
    }
}
