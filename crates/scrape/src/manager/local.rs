//! The usual [`InternalResolver`]: argus serves some scrape paths itself
//! (its own `/metrics`, the host collector, the push gateway), so a target
//! that points at argus' own listener with one of those paths is sampled
//! in-process instead of over HTTP.

use std::sync::Arc;

use super::InternalResolver;
use crate::discovery::ADDRESS_LABEL;
use crate::internal::Source;
use crate::target::{METRICS_PATH_LABEL, SCHEME_LABEL, Target};

/// Whether `host` names this machine the way a scrape config writes it.
fn is_local_host(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "0.0.0.0" | "::1" | "[::1]" | "")
}

/// A resolver serving `routes` (scrape path → source) in-process for HTTP
/// targets on a local host (`localhost`, `127.0.0.1`, `0.0.0.0`, `::1`) at
/// `listen_port`. Paths in `any_port` are served for a local target on any
/// port: they exist only in argus, so a config written for the default port
/// (e.g. `localhost:9090/node/metrics`) still works when argus listens
/// elsewhere. Query parameters are ignored.
///
/// ```
/// use std::sync::Arc;
/// use argus_model::exposition::Format;
/// let src: argus_scrape::Source = Arc::new(|| (b"x 1\n".to_vec(), Format::PromText));
/// let r = argus_scrape::local_resolver(9090, vec![("/metrics".into(), src)], vec![]);
/// let yaml = "scrape_configs:\n- job_name: a\n  static_configs: [{targets: ['localhost:9090', 'localhost:9100', 'h:9090']}]\n";
/// let cfg = argus_scrape::config::parse(yaml, "p.yml".as_ref(), &Default::default()).unwrap();
/// let job = &cfg.scrape_configs[0];
/// let set = argus_scrape::target::targets_from_groups(&job.discovery.static_configs, job, false);
/// let served: Vec<bool> = set.active.iter().map(|t| r(t).is_some()).collect();
/// assert_eq!(served, [true, false, false]);
/// ```
pub fn local_resolver(listen_port: u16, routes: Vec<(String, Source)>, any_port: Vec<String>) -> InternalResolver {
    let routes = Arc::new(routes);
    Arc::new(move |t: &Target| {
        let l = t.all_labels();
        if l.get(SCHEME_LABEL).unwrap_or("http") != "http" {
            return None;
        }
        let addr = l.get(ADDRESS_LABEL)?;
        let (host, port) = addr.rsplit_once(':')?;
        if !is_local_host(host) {
            return None;
        }
        let path = l.get(METRICS_PATH_LABEL).unwrap_or("/metrics");
        let port_ok = port.parse::<u16>().ok() == Some(listen_port) || any_port.iter().any(|p| p == path);
        if !port_ok {
            return None;
        }
        routes.iter().find(|(p, _)| p == path).map(|(_, s)| s.clone())
    })
}
