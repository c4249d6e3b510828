//! Small helpers several integrations share, each a port of the Go function
//! Alertmanager 0.25 uses: `notify.TruncateInRunes`/`TruncateInBytes` and
//! `url.Values.Encode` (sorted keys, `QueryEscape`d).

/// Alertmanager's truncation marker.
const MARKER: &str = "…";

/// Cuts `s` to at most `n` characters, the last one being `…` when cut
/// (`notify.TruncateInRunes`; with `n <= 3` no marker is added).
pub(crate) fn truncate_runes(s: String, n: usize) -> String {
    if s.chars().count() <= n {
        return s;
    }
    if n <= 3 {
        return s.chars().take(n).collect();
    }
    let mut out: String = s.chars().take(n - 1).collect();
    out.push_str(MARKER);
    out
}

/// Cuts `s` to at most `n` bytes without splitting a character, ending with
/// `…` (3 bytes) when cut (`notify.TruncateInBytes`).
pub(crate) fn truncate_bytes(s: String, n: usize) -> String {
    if s.len() <= n {
        return s;
    }
    if n <= 3 {
        return if n == 3 { MARKER.to_string() } else { ".".repeat(n) };
    }
    let mut end = n - 3;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = s.get(..end).unwrap_or_default().to_string();
    out.push_str(MARKER);
    out
}

/// Go's `url.QueryEscape`: unreserved bytes stay, space becomes `+`, the
/// rest is percent-encoded with upper-case hex.
pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `url.Values.Encode`: `k=v` pairs sorted by key (stable for equal keys), joined by `&`.
pub(crate) fn form_encode(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted.iter().map(|(k, v)| format!("{}={}", query_escape(k), query_escape(v))).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_as_go() {
        assert_eq!(truncate_runes("abcdef".into(), 4), "abc…");
        assert_eq!(truncate_runes("abcdef".into(), 3), "abc");
        assert_eq!(truncate_runes("abc".into(), 3), "abc");
        assert_eq!(truncate_bytes("abcdef".into(), 5), "ab…");
        assert_eq!(truncate_bytes("äbcdef".into(), 5), "ä…");
        assert_eq!(truncate_bytes("äbcdef".into(), 4), "…".replace('…', "") + "…");
        assert_eq!(truncate_bytes("abcdef".into(), 2), "..");
    }

    #[test]
    fn form_encoding_as_go() {
        let p = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(form_encode(&[p("b", "x y/ä"), p("a", "1&2=3~")]), "a=1%262%3D3~&b=x+y%2F%C3%A4");
    }
}
