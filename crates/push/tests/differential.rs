//! Differential test against Debian's `prometheus-pushgateway` (1.5): the same
//! pushes go over loopback HTTP to the real gateway and directly to a
//! [`PushStore`]; status codes, error texts (exact where the gateway's are
//! deterministic) and `GET /api/v1/metrics` (without timestamps and push-time
//! values) must agree after every step. Skipped when the binary is missing.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use argus_push::{
    FamilyType, GroupingKey, Method, PROTOBUF_CONTENT_TYPE, Predefined, PushError, PushStore, STATUS_DELETED,
    STATUS_PUSHED, StoreOptions, encode_delimited_for_tests, http_status,
};
use serde_json::Value as Json;

const BINARY: &str = "/usr/bin/prometheus-pushgateway";

struct Gateway {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_gateway() -> Option<Gateway> {
    if !std::path::Path::new(BINARY).exists() {
        return None;
    }
    let dir = tempfile::tempdir().ok()?;
    let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(BINARY)
        .arg(format!("--web.listen-address={addr}"))
        // Debian's build defaults to /var/lib/prometheus/pushgateway.data;
        // keep the oracle's state private to this test.
        .arg(format!("--persistence.file={}", dir.path().join("pg.db").display()))
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut gw = Gateway { child, addr, _dir: dir };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        // The child must still run: another process on the port would answer too.
        if gw.child.try_wait().ok().flatten().is_some() {
            return None;
        }
        if http(&gw.addr, "GET", "/-/ready", &[], b"").is_some_and(|(s, _)| s == 200) {
            return Some(gw);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// A minimal HTTP/1.1 client: one request per connection, bounded by timeouts.
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Option<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    s.write_all(&bytes).ok()?;
    // Read until the announced length is complete or the peer closes; a reset
    // after a complete response (the server did not read our body) is fine.
    let mut resp = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if let Some(split) = resp.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&resp[..split]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            if len.is_some_and(|n| resp.len() >= split + 4 + n) {
                break;
            }
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => resp.extend_from_slice(&buf[..n]),
        }
    }
    let Some(split) = resp.windows(4).position(|w| w == b"\r\n\r\n") else {
        eprintln!("no HTTP response to {method} {path}: {:?}", String::from_utf8_lossy(&resp));
        return None;
    };
    let head = String::from_utf8_lossy(&resp[..split]).to_string();
    let mut rest = resp[split + 4..].to_vec();
    let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        let mut out = Vec::new();
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n")?;
            let len = usize::from_str_radix(String::from_utf8_lossy(&rest[..nl]).trim(), 16).ok()?;
            if len == 0 {
                break;
            }
            out.extend_from_slice(rest.get(nl + 2..nl + 2 + len)?);
            rest = rest.get(nl + 4 + len..)?.to_vec();
        }
        rest = out;
    }
    Some((status, rest))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(Ok(v)) = s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16))
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The gateway's own families (from its /metrics) as predefined families.
fn predefined(addr: &str) -> Vec<Predefined> {
    let (_, body) = http(addr, "GET", "/metrics", &[], b"").expect("gateway /metrics");
    let text = String::from_utf8_lossy(&body).to_string();
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("# TYPE ") else { continue };
        let mut it = rest.split(' ');
        let (Some(name), Some(kind)) = (it.next(), it.next()) else { continue };
        if name.starts_with("push_") {
            continue;
        }
        let kind = match kind {
            "counter" => FamilyType::Counter,
            "gauge" => FamilyType::Gauge,
            "summary" => FamilyType::Summary,
            "histogram" => FamilyType::Histogram,
            _ => FamilyType::Untyped,
        };
        let help =
            text.lines().find_map(|l| l.strip_prefix(&format!("# HELP {name} "))).unwrap_or_default().to_string();
        out.push(Predefined { name: name.to_string(), kind, help });
    }
    out
}

/// Drops what legitimately differs: timestamps and the push-time values
/// (our clock is not the gateway's), keeping whether they are zero.
fn normalise(data: &Json) -> Vec<String> {
    let mut groups: Vec<String> = data
        .as_array()
        .expect("data array")
        .iter()
        .map(|g| {
            let mut g = g.clone();
            for (name, fam) in g.as_object_mut().expect("group object").iter_mut() {
                if name == "labels" || name == "last_push_successful" {
                    continue;
                }
                if let Some(f) = fam.as_object_mut() {
                    f.remove("time_stamp");
                    if name.starts_with("push_") && f.get("type").is_some_and(|t| t == "GAUGE") {
                        for m in f.get_mut("metrics").and_then(|m| m.as_array_mut()).into_iter().flatten() {
                            if m["value"] != "0" {
                                m["value"] = Json::from("<time>");
                            }
                        }
                    }
                }
            }
            serde_json::to_string(&sort(&g)).expect("json")
        })
        .collect();
    groups.sort();
    groups
}

fn sort(v: &Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Json::Object(keys.into_iter().map(|k| (k.clone(), sort(&m[k]))).collect())
        }
        Json::Array(a) => {
            let mut items: Vec<Json> = a.iter().map(sort).collect();
            items.sort_by_key(|x| x.to_string());
            Json::Array(items)
        }
        x => x.clone(),
    }
}

struct Step {
    method: &'static str,
    path: String,
    content_type: Option<&'static str>,
    gzip: bool,
    body: Vec<u8>,
}

fn step(method: &'static str, path: &str, body: &str) -> Step {
    Step { method, path: path.to_string(), content_type: None, gzip: false, body: body.as_bytes().to_vec() }
}

fn gzipped(b: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(b).expect("gzip");
    enc.finish().expect("gzip")
}

fn steps() -> Vec<Step> {
    let pb = |fams: &[argus_push::SimpleFamily]| encode_delimited_for_tests(fams);
    let mut v = vec![
        step("PUT", "job/a", "a 1\nb 2\n"),
        step("POST", "job/a", "b 3\nc 4\n"),
        step("PUT", "job/a/instance/i1", "# TYPE a counter\na 1\n"),
        step("PUT", "job/b", "# HELP a other help\na{x=\"1\"} 5\n"),
        step("PUT", "job/j/a", "a 1\n"),
        step("PUT", "job/j/a/b/", "a 1\n"),
        step("PUT", "job/j/a@base64/!!", "a 1\n"),
        step("PUT", "job/j/a@base64/YWJjZ", "a 1\n"),
        step("PUT", "job/j/1a/x", "a 1\n"),
        step("PUT", "job/j/__x/x", "a 1\n"),
        step("PUT", "job@base64/=", "a 1\n"),
        step("PUT", "job@base64/YmFja3Vw/path@base64/L3Zhci90bXA=/e@base64/=", "bk 1\n"),
        step("PUT", "job/ts", "m 1 1000\n"),
        step("PUT", "job/ts", "m 1\n"),
        step("PUT", "job/ts", "m 2 1000\n"),
        step(
            "PUT",
            "job/c",
            "# TYPE s summary\ns{quantile=\"0.5\"} 1e6\ns{quantile=\"0.9\"} 0.00001\ns_sum 1234567\ns_count 3\n\
             s{l=\"x\",quantile=\"0.99\"} 123456\n\
             # HELP h A histogram.\n# TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 3\n\
             h_sum 0.2721322309989773\nh_count 3\nh2_bucket{le=\"5\"} 1\n# TYPE h2 histogram\n",
        ),
        step("PUT", "job/c2", "# TYPE h3 histogram\nh3_bucket{le=\"5\"} 1\nh3_count 4\nh3_sum -0\n"),
        step("PUT", "job/d", "s_count 1\n"),
        step("PUT", "job/d", "# TYPE h summary\nh_sum 1\n"),
        step("PUT", "job/d", "h_bucket 1\n"),
        step("PUT", "job/e", ""),
        step("POST", "job/e", ""),
        step("DELETE", "job/a", ""),
        step("DELETE", "job/nonexistent", ""),
        step("DELETE", "job/j/a", ""),
        step("PUT", "job/a", "a{x=\"1\"} 1\na{x=\"1\"} 2\n"),
        step("PUT", "job/f", "a{ 1\n"),
        step("PUT", "job/f", "# TYPE x gauge\n# TYPE x gauge\nx 1\n"),
        step("PUT", "job/f", "x 1\n# TYPE x gauge\n"),
        step("PUT", "job/f", "# HELP x a\n# HELP x b\nx 1\n"),
        step("PUT", "job/f", "x{y=\"1\",y=\"2\"} 1\n"),
        step("PUT", "job/q", "go_goroutines 1\n"),
        step("PUT", "job/q", "# TYPE go_goroutines gauge\n# HELP go_goroutines mine\ngo_goroutines 2\n"),
        step("PUT", "job/r/instance@base64/bXkvaG9zdA", "up{instance=\"x\",job=\"y\"} 1\nup{instance=\"z\"} 2\n"),
        step("PUT", "job/r/instance/my%2Fhost", "a 1\n"),
        step("PUT", "job/sp/instance/a%20b", "sp 1\n"),
        step("PUT", "job/r", "a{__x=\"1\"} 1\n"),
        step("POST", "job/r", "push_failure_time_seconds 9\n"),
        step(
            "POST",
            "job/r2",
            "# TYPE push_failure_time_seconds gauge\npush_failure_time_seconds 9\npush_time_seconds 1\n",
        ),
        step("PUT", "job/a", "# TYPE a gauge\na 1\n"),
        step("DELETE", "job/b", ""),
        step("PUT", "job/a", "# TYPE a gauge\na 1\n"),
        step("PUT", "job/esc", "# HELP e line1\\nline2 \\\\ back\ne{v=\"q\\\"x\\\\y\\nz\"} 1\n"),
        step("PUT", "job/vals", "v1 1e6\nv2 -0\nv3 NaN\nv4 +Inf\nv5 123456\nv6 0.1\nv7 -1234567\nv8 1e-5\nv9 0.0001\n"),
        step("PUT", "job/inst/instance/", "a 7\n"),
        step("PUT", "job/dupinst/instance/", "ii 1\n"),
        step("PUT", "job/dupinst", "ii 1\n"),
        step("PUT", "job/ws", "  # comment\n\nw 1\n"),
    ];
    let mut gz = step("PUT", "job/g", "");
    gz.gzip = true;
    gz.body = gzipped(b"gz 1\n");
    v.push(gz);
    let mut bad_gz = step("PUT", "job/g", "a 1\nb 2\nc 3\n");
    bad_gz.gzip = true;
    v.push(bad_gz);
    let mut short_gz = step("PUT", "job/g", "a 1\n");
    short_gz.gzip = true;
    v.push(short_gz);
    // Last, because after one PUT with an undecodable base64 job, 1.5.1 never
    // answers another PUT on the `job@base64` route (POST and DELETE still work).
    v.push(step("POST", "job@base64/YWJj!", "a 1\n"));
    v.push(step("PUT", "job@base64/!/a", "a 1\n"));
    v.push(step("PUT", "job@base64/YWJj!", "a 1\n"));
    v.push(step("PUT", "job@base64/YWJj", "a 1\n"));
    let mut p = step("PUT", "job/p", "");
    p.content_type = Some(PROTOBUF_CONTENT_TYPE);
    p.body = pb(&[
        ("pg".into(), Some("pb gauge".into()), FamilyType::Gauge, vec![(vec![("k".into(), "v".into())], 1e6, None)]),
        (
            "pc".into(),
            None,
            FamilyType::Counter,
            vec![(vec![], 3.0, None), (vec![("k".into(), "2".into())], 4.0, None)],
        ),
    ]);
    v.push(p);
    let mut pts = step("PUT", "job/p", "");
    pts.content_type = Some(PROTOBUF_CONTENT_TYPE);
    pts.body = pb(&[("pg".into(), None, FamilyType::Gauge, vec![(vec![], 1.0, Some(1000))])]);
    v.push(pts);
    let mut pbad = step("PUT", "job/p", "");
    pbad.content_type = Some(PROTOBUF_CONTENT_TYPE);
    pbad.body = vec![0x05, 0x0a, 0x02];
    v.push(pbad);
    let mut plabel = step("POST", "job/p", "");
    plabel.content_type = Some(PROTOBUF_CONTENT_TYPE);
    plabel.body = pb(&[("pl".into(), None, FamilyType::Gauge, vec![(vec![("a-b".into(), "1".into())], 1.0, None)])]);
    v.push(plabel);
    let mut ptext = step("POST", "job/p", "pt 1\n");
    ptext.content_type = Some("text/plain; version=0.0.4");
    v.push(ptext);
    v
}

/// Applies a step to our store, answering with status and body.
fn ours(store: &PushStore, s: &Step) -> (u16, String) {
    let path = percent_decode(&s.path);
    let key = match GroupingKey::parse(&path) {
        Ok(k) => k,
        Err(e) => {
            let e = PushError::from(e);
            return (http_status(&e), format!("{e}\n"));
        }
    };
    let method = match s.method {
        "PUT" => Method::Put,
        "POST" => Method::Post,
        _ => {
            store.delete(&key);
            return (STATUS_DELETED, String::new());
        }
    };
    let enc = if s.gzip { Some("gzip") } else { None };
    match store.push_encoded(method, &key, &s.body, s.content_type, enc, SystemTime::now()) {
        Ok(()) => (STATUS_PUSHED, String::new()),
        Err(e) => (http_status(&e), format!("{e}\n")),
    }
}

#[test]
fn differential_against_pushgateway() {
    let Some(gw) = start_gateway() else {
        println!("differential test NOT RUN: {BINARY} is missing or did not start");
        return;
    };
    let store = PushStore::new(StoreOptions { predefined: predefined(&gw.addr), ..Default::default() });
    let mut mismatches = Vec::new();
    let mut unanswered = 0;
    let steps = steps();
    for (i, s) in steps.iter().enumerate() {
        let mut headers = vec![];
        if let Some(ct) = s.content_type {
            headers.push(("Content-Type", ct));
        }
        if s.gzip {
            headers.push(("Content-Encoding", "gzip"));
        }
        let label = format!("step {i} {} {} {:?}", s.method, s.path, String::from_utf8_lossy(&s.body));
        let Some((code, body)) = http(&gw.addr, s.method, &format!("/metrics/{}", s.path), &headers, &s.body) else {
            // See the last steps: 1.5.1 hangs on the `job@base64` PUT route
            // after an undecodable job; the comparison then skips the step.
            println!("{label}: gateway gave no answer within the timeout; not applied to ours");
            unanswered += 1;
            continue;
        };
        let theirs = String::from_utf8_lossy(&body).to_string();
        let (our_code, our_body) = ours(&store, s);
        if code != our_code {
            mismatches.push(format!("{label}: status {code} vs ours {our_code} ({theirs:?} vs {our_body:?})"));
        } else if code == 400 {
            let inconsistent = "pushed metrics are invalid or inconsistent with existing metrics: ";
            let exact = !theirs.starts_with("text format parsing error") && !theirs.starts_with("unexpected end of");
            let same = if theirs.starts_with(inconsistent) && !theirs.contains("timestamps") {
                our_body.starts_with(inconsistent)
            } else if exact {
                theirs == our_body
            } else {
                !our_body.starts_with(inconsistent)
            };
            if !same {
                mismatches.push(format!("{label}: body {theirs:?} vs ours {our_body:?}"));
            }
        }
        let (_, json) = http(&gw.addr, "GET", "/api/v1/metrics", &[], b"").expect("api/v1/metrics");
        let json: Json = serde_json::from_slice(&json).expect("gateway JSON");
        let (a, b) = (normalise(&json["data"]), normalise(&store.api_v1_metrics_json()));
        if a != b {
            let only_theirs: Vec<&String> = a.iter().filter(|x| !b.contains(x)).collect();
            let only_ours: Vec<&String> = b.iter().filter(|x| !a.contains(x)).collect();
            mismatches
                .push(format!("{label}: /api/v1/metrics differ\n  gateway: {only_theirs:?}\n  ours:    {only_ours:?}"));
            break;
        }
    }
    println!("{} steps, {unanswered} unanswered by the gateway, {} mismatches", steps.len(), mismatches.len());
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
