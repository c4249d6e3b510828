//! A small DNS client for `dns_sd_configs` of type SRV and MX, which the
//! system resolver (`getaddrinfo`) cannot answer. It does what Prometheus
//! 2.42's `discovery/dns` does with miekg/dns: read the name servers, search
//! domains and `ndots` from `/etc/resolv.conf`, ask each server in turn over
//! UDP (again over TCP when the answer is truncated), take the first answer
//! that is a success or NXDOMAIN, and walk the search list until a name
//! succeeds.
//!
//! Only what discovery needs is decoded: SRV, MX, A, AAAA and CNAME answers;
//! anything else in the answer section is skipped. Names come back fully
//! qualified (`host.example.com.`), as miekg/dns returns them, because the
//! `__meta_dns_*_record_target` labels show them that way.

#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use super::dns::DnsRecord;

/// Record types we ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryType {
    /// SRV (33).
    Srv,
    /// MX (15).
    Mx,
    /// A (1).
    A,
    /// AAAA (28).
    Aaaa,
}

impl QueryType {
    fn code(self) -> u16 {
        match self {
            QueryType::A => 1,
            QueryType::Mx => 15,
            QueryType::Aaaa => 28,
            QueryType::Srv => 33,
        }
    }
}

const TYPE_CNAME: u16 = 5;
const RCODE_SUCCESS: u8 = 0;
const RCODE_NXDOMAIN: u8 = 3;

/// Where and how to ask: Go's `dns.ClientConfig` as read from resolv.conf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolverConfig {
    /// Name servers, asked in order.
    pub servers: Vec<SocketAddr>,
    /// Search domains (`search` or `domain`).
    pub search: Vec<String>,
    /// `options ndots:n` (default 1).
    pub ndots: usize,
    /// Per-query timeout (`options timeout:n`, default 5 s).
    pub timeout: Duration,
}

impl ResolverConfig {
    /// A config that asks only `servers`, with no search domains.
    pub fn with_servers(servers: Vec<SocketAddr>) -> Self {
        ResolverConfig { servers, search: Vec::new(), ndots: 1, timeout: Duration::from_secs(5) }
    }

    /// Reads `/etc/resolv.conf`. Blocking.
    pub fn system() -> Result<Self, String> {
        let text = std::fs::read_to_string("/etc/resolv.conf")
            .map_err(|e| format!("could not load resolv.conf: open /etc/resolv.conf: {e}"))?;
        Ok(Self::parse_resolv_conf(&text))
    }

    /// Parses resolv.conf text as miekg/dns' `ClientConfigFromReader`.
    pub fn parse_resolv_conf(text: &str) -> Self {
        let mut c = ResolverConfig::with_servers(Vec::new());
        for line in text.lines() {
            let mut words = line.split_whitespace();
            match words.next() {
                Some("nameserver") => {
                    if let Some(ip) = words.next().and_then(|w| w.parse::<IpAddr>().ok()) {
                        c.servers.push(SocketAddr::new(ip, 53));
                    }
                }
                Some("domain") => c.search = words.next().map(|d| vec![d.to_string()]).unwrap_or_default(),
                Some("search") => c.search = words.map(str::to_string).collect(),
                Some("options") => {
                    for w in words {
                        if let Some(n) = w.strip_prefix("ndots:").and_then(|n| n.parse::<usize>().ok()) {
                            c.ndots = n.min(15);
                        } else if let Some(n) = w.strip_prefix("timeout:").and_then(|n| n.parse::<u64>().ok()) {
                            c.timeout = Duration::from_secs(n.max(1));
                        }
                    }
                }
                _ => {}
            }
        }
        c
    }

    /// miekg/dns' `NameList`: the fully qualified names to try, in order.
    pub fn name_list(&self, name: &str) -> Vec<String> {
        if name.ends_with('.') {
            return vec![name.to_string()];
        }
        let fqdn = format!("{name}.");
        let with_search = self.search.iter().map(|d| format!("{name}.{}.", d.trim_end_matches('.')));
        if name.matches('.').count() >= self.ndots {
            std::iter::once(fqdn).chain(with_search).collect()
        } else {
            with_search.chain(std::iter::once(fqdn)).collect()
        }
    }
}

/// A decoded response: its rcode and the answers we understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The response code (0 success, 3 NXDOMAIN, ...).
    pub rcode: u8,
    /// Whether the TC bit was set.
    pub truncated: bool,
    /// Answer records of the types in [`DnsRecord`].
    pub answers: Vec<DnsRecord>,
}

/// Prometheus' `lookupWithSearchPath`: the answers for the first name of the
/// search list that resolves successfully; no answers when every name is
/// NXDOMAIN; an error when some server failed for some name and no name
/// succeeded.
pub async fn lookup(cfg: &ResolverConfig, name: &str, qtype: QueryType) -> Result<Vec<DnsRecord>, String> {
    let mut all_valid = true;
    for lname in cfg.name_list(name) {
        match lookup_from_any_server(cfg, &lname, qtype).await {
            Ok(r) if r.rcode == RCODE_SUCCESS => return Ok(r.answers),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(name = %lname, err = %e, "dns_sd lookup failed");
                all_valid = false;
            }
        }
    }
    if all_valid {
        Ok(Vec::new())
    } else {
        Err(format!("could not resolve {name:?}: all servers responded with errors to at least one search domain"))
    }
}

/// Asks each server in turn; the first success or NXDOMAIN wins.
async fn lookup_from_any_server(cfg: &ResolverConfig, name: &str, qtype: QueryType) -> Result<Response, String> {
    for server in &cfg.servers {
        match ask(*server, name, qtype, cfg.timeout).await {
            Ok(r) if r.rcode == RCODE_SUCCESS || r.rcode == RCODE_NXDOMAIN => return Ok(r),
            Ok(r) => tracing::debug!(%server, name, rcode = r.rcode, "dns_sd: server answered with an error"),
            Err(e) => tracing::debug!(%server, name, err = %e, "dns_sd: server did not answer"),
        }
    }
    Err(format!("could not resolve {name}: no servers returned a viable answer"))
}

/// One question to one server: UDP, then TCP if the answer was truncated.
async fn ask(server: SocketAddr, name: &str, qtype: QueryType, timeout: Duration) -> Result<Response, String> {
    let id = query_id(name);
    let query = encode_query(id, name, qtype)?;
    let r = tokio::time::timeout(timeout, ask_udp(server, &query, id))
        .await
        .map_err(|_| format!("read udp {server}: i/o timeout"))??;
    if !r.truncated {
        return Ok(r);
    }
    tokio::time::timeout(timeout, ask_tcp(server, &query, id))
        .await
        .map_err(|_| format!("read tcp {server}: i/o timeout"))?
}

/// A query ID that differs between names and calls (not a security measure:
/// the answer must also come from the server we asked).
fn query_id(name: &str) -> u16 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write(name.as_bytes());
    h.finish() as u16
}

async fn ask_udp(server: SocketAddr, query: &[u8], id: u16) -> Result<Response, String> {
    let bind: SocketAddr =
        if server.is_ipv4() { (Ipv4Addr::UNSPECIFIED, 0).into() } else { (Ipv6Addr::UNSPECIFIED, 0).into() };
    let sock = UdpSocket::bind(bind).await.map_err(|e| format!("udp socket: {e}"))?;
    sock.connect(server).await.map_err(|e| format!("dial udp {server}: {e}"))?;
    sock.send(query).await.map_err(|e| format!("write udp {server}: {e}"))?;
    let mut buf = vec![0u8; 65_535];
    loop {
        let n = sock.recv(&mut buf).await.map_err(|e| format!("read udp {server}: {e}"))?;
        let msg = buf.get(..n).unwrap_or_default();
        // Ignore stray datagrams with another ID, as miekg/dns does.
        if msg.get(..2) == Some(&id.to_be_bytes()[..]) {
            return decode_response(msg);
        }
    }
}

async fn ask_tcp(server: SocketAddr, query: &[u8], id: u16) -> Result<Response, String> {
    let mut s = TcpStream::connect(server).await.map_err(|e| format!("dial tcp {server}: {e}"))?;
    let len = u16::try_from(query.len()).map_err(|_| "query too long".to_string())?;
    let mut out = len.to_be_bytes().to_vec();
    out.extend_from_slice(query);
    s.write_all(&out).await.map_err(|e| format!("write tcp {server}: {e}"))?;
    let n = s.read_u16().await.map_err(|e| format!("read tcp {server}: {e}"))?;
    let mut buf = vec![0u8; usize::from(n)];
    s.read_exact(&mut buf).await.map_err(|e| format!("read tcp {server}: {e}"))?;
    if buf.get(..2) != Some(&id.to_be_bytes()[..]) {
        return Err(format!("read tcp {server}: id mismatch"));
    }
    decode_response(&buf)
}

/// A standard query with recursion desired for `name` (fully qualified).
pub fn encode_query(id: u16, name: &str, qtype: QueryType) -> Result<Vec<u8>, String> {
    let mut q = Vec::with_capacity(name.len() + 18);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    encode_name(&mut q, name)?;
    q.extend_from_slice(&qtype.code().to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    Ok(q)
}

/// Appends `name` as DNS labels.
pub fn encode_name(out: &mut Vec<u8>, name: &str) -> Result<(), String> {
    let trimmed = name.trim_end_matches('.');
    if trimmed.len() > 253 {
        return Err(format!("dns: domain name {name:?} too long"));
    }
    for label in trimmed.split('.').filter(|l| !l.is_empty()) {
        let len = u8::try_from(label.len()).ok().filter(|l| *l <= 63);
        let len = len.ok_or_else(|| format!("dns: label of {name:?} longer than 63 bytes"))?;
        out.push(len);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    Ok(())
}

/// Decodes a response message; malformed messages are errors, never panics.
pub fn decode_response(msg: &[u8]) -> Result<Response, String> {
    let bad = || "dns: malformed response".to_string();
    let header = msg.get(..12).ok_or_else(bad)?;
    let flags = be16(header, 2).ok_or_else(bad)?;
    if flags & 0x8000 == 0 {
        return Err("dns: not a response".to_string());
    }
    let rcode = (flags & 0x000f) as u8;
    let truncated = flags & 0x0200 != 0;
    let qdcount = be16(header, 4).ok_or_else(bad)?;
    let ancount = be16(header, 6).ok_or_else(bad)?;
    let mut pos = 12;
    for _ in 0..qdcount {
        pos = skip_name(msg, pos).ok_or_else(bad)? + 4;
    }
    let mut answers = Vec::new();
    for _ in 0..ancount {
        let (_, after) = read_name(msg, pos).ok_or_else(bad)?;
        let rtype = be16(msg, after).ok_or_else(bad)?;
        let rdlen = usize::from(be16(msg, after + 8).ok_or_else(bad)?);
        let start = after + 10;
        let rdata = msg.get(start..start + rdlen).ok_or_else(bad)?;
        let record = match rtype {
            1 => <[u8; 4]>::try_from(rdata).ok().map(|a| DnsRecord::Ip(IpAddr::from(a))),
            28 => <[u8; 16]>::try_from(rdata).ok().map(|a| DnsRecord::Ip(IpAddr::from(a))),
            TYPE_CNAME => Some(DnsRecord::Cname(read_name(msg, start).ok_or_else(bad)?.0)),
            15 => Some(DnsRecord::Mx(read_name(msg, start + 2).ok_or_else(bad)?.0)),
            33 => {
                let port = be16(rdata, 4).ok_or_else(bad)?;
                Some(DnsRecord::Srv { target: read_name(msg, start + 6).ok_or_else(bad)?.0, port })
            }
            _ => None,
        };
        answers.extend(record);
        pos = start + rdlen;
    }
    Ok(Response { rcode, truncated, answers })
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at + 2)?;
    Some(u16::from_be_bytes([*s.first()?, *s.get(1)?]))
}

/// The offset after the (possibly compressed) name at `pos`.
fn skip_name(msg: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let len = *msg.get(pos)?;
        match len {
            0 => return Some(pos + 1),
            l if l & 0xc0 == 0xc0 => return Some(pos + 2),
            l => pos += 1 + usize::from(l),
        }
    }
}

/// The fully qualified name at `pos` (compression followed, loops refused)
/// and the offset after it in place.
fn read_name(msg: &[u8], pos: usize) -> Option<(String, usize)> {
    let mut name = String::new();
    let mut cur = pos;
    let mut end = None;
    for _ in 0..128 {
        let len = *msg.get(cur)?;
        if len == 0 {
            if name.is_empty() {
                name.push('.');
            }
            return Some((name, end.unwrap_or(cur + 1)));
        }
        if len & 0xc0 == 0xc0 {
            let ptr = usize::from(be16(msg, cur)? & 0x3fff);
            end.get_or_insert(cur + 2);
            cur = ptr;
            continue;
        }
        let label = msg.get(cur + 1..cur + 1 + usize::from(len))?;
        name.push_str(&String::from_utf8_lossy(label));
        name.push('.');
        cur += 1 + usize::from(len);
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// A response to `query` with one SRV answer whose target is compressed
    /// (points back at the question's name).
    fn srv_response(query: &[u8], port: u16) -> Vec<u8> {
        let mut r = query.to_vec();
        r[2] = 0x81;
        r[3] = 0x80;
        r[7] = 1;
        r.extend_from_slice(&[0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 30]);
        let mut rdata = vec![0, 1, 0, 1];
        rdata.extend_from_slice(&port.to_be_bytes());
        rdata.extend_from_slice(&[4, b'n', b'o', b'd', b'e', 0xc0, 12]);
        r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        r.extend_from_slice(&rdata);
        r
    }

    #[test]
    fn query_and_srv_answer_round_trip() {
        let q = encode_query(7, "_x._tcp.example.com.", QueryType::Srv).unwrap();
        assert_eq!(&q[..4], &[0, 7, 1, 0]);
        let r = decode_response(&srv_response(&q, 9100)).unwrap();
        assert_eq!(r.rcode, 0);
        assert_eq!(r.answers, vec![DnsRecord::Srv { target: "node._x._tcp.example.com.".to_string(), port: 9100 }]);
    }

    #[test]
    fn malformed_responses_are_errors() {
        let q = encode_query(7, "a.b.", QueryType::A).unwrap();
        let good = srv_response(&q, 1);
        for n in 0..good.len() {
            let _ = decode_response(&good[..n]);
        }
        // A compression pointer to itself must not loop.
        let mut looped = good.clone();
        let at = looped.len() - 2;
        looped[at + 1] = at as u8;
        assert!(decode_response(&looped).is_err());
        assert!(decode_response(&q).is_err(), "a query is not a response");
    }

    #[test]
    fn resolv_conf_and_search_list() {
        let c = ResolverConfig::parse_resolv_conf(
            "# x\nnameserver 10.0.0.1\nnameserver ::1\nsearch a.com b.com\noptions ndots:2 timeout:1\n",
        );
        assert_eq!(c.servers, vec!["10.0.0.1:53".parse().unwrap(), "[::1]:53".parse().unwrap()]);
        assert_eq!((c.ndots, c.timeout), (2, Duration::from_secs(1)));
        assert_eq!(c.name_list("x.y"), ["x.y.a.com.", "x.y.b.com.", "x.y."]);
        assert_eq!(c.name_list("x.y.z"), ["x.y.z.", "x.y.z.a.com.", "x.y.z.b.com."]);
        assert_eq!(c.name_list("x.y."), ["x.y."]);
    }
}
