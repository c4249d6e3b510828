//! Grouping keys: the label set a push URL names, parsed exactly as the
//! Pushgateway 1.5 parses `/metrics/job/<JOB>{/<NAME>/<VALUE>}`.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use std::collections::BTreeMap;
use std::fmt;

use crate::error::KeyError;

const BASE64_SUFFIX: &str = "@base64";

/// A grouping key: `job` plus the other labels of a push URL, which together
/// identify one metric group.
///
/// Two keys with the same labels are equal whatever order the URL gave them in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupingKey {
    labels: BTreeMap<String, String>,
}

impl GroupingKey {
    /// Parses the percent-decoded URL path after `/metrics/`, e.g.
    /// `job/backup/instance@base64/bXkvaG9zdA` or `job@base64/YmFja3Vw/`.
    ///
    /// Checks run in the Pushgateway's order: the job's base64, then the label
    /// pairs (count, names, base64 values), then the empty job. A path that is
    /// not of the form `job/...` or `job@base64/...` is [`KeyError::NotFound`].
    pub fn parse(path: &str) -> Result<GroupingKey, KeyError> {
        let (job_b64, rest) = if let Some(r) = path.strip_prefix("job@base64/") {
            (true, r)
        } else if let Some(r) = path.strip_prefix("job/") {
            (false, r)
        } else {
            return Err(KeyError::NotFound);
        };
        let (job_raw, labels_raw) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let job = if job_b64 {
            decode_base64(job_raw).map_err(|(partial, reason)| KeyError::JobBase64 { raw: partial, reason })?
        } else {
            job_raw.to_string()
        };
        let mut labels = split_labels(labels_raw)?;
        if job.is_empty() {
            return Err(KeyError::JobRequired);
        }
        labels.insert("job".to_string(), job);
        Ok(GroupingKey { labels })
    }

    /// A key from a job and further labels; the job wins over a `job` label.
    /// The names are not validated (use [`GroupingKey::parse`] for URLs).
    pub fn new<N: Into<String>, V: Into<String>>(job: &str, labels: impl IntoIterator<Item = (N, V)>) -> GroupingKey {
        let mut map: BTreeMap<String, String> = labels.into_iter().map(|(n, v)| (n.into(), v.into())).collect();
        map.insert("job".to_string(), job.to_string());
        GroupingKey { labels: map }
    }

    /// The key's labels, sorted by name, including `job`.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    /// The job.
    pub fn job(&self) -> &str {
        self.labels.get("job").map(String::as_str).unwrap_or("")
    }

    /// The Pushgateway's internal identity of the group: names sorted,
    /// `name 0xFF value 0xFF name ...` without a trailing separator. Used to
    /// order groups.
    pub fn id(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, (n, v)) in self.labels.iter().enumerate() {
            if i > 0 {
                out.push(0xff);
            }
            out.extend_from_slice(n.as_bytes());
            out.push(0xff);
            out.extend_from_slice(v.as_bytes());
        }
        out
    }
}

impl fmt::Display for GroupingKey {
    /// `{instance="a", job="x"}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (n, v)) in self.labels.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n}={}", crate::error::go_quote(v))?;
        }
        f.write_str("}")
    }
}

/// The Pushgateway's `splitLabels`: `rest` is empty or `/` (no labels) or
/// `/name/value/name/value...`.
fn split_labels(rest: &str) -> Result<BTreeMap<String, String>, KeyError> {
    let mut out = BTreeMap::new();
    if rest.len() <= 1 {
        return Ok(out);
    }
    let components: Vec<&str> = rest.split('/').collect();
    if components.len().is_multiple_of(2) {
        return Err(KeyError::OddComponents { rest: rest.to_string() });
    }
    for pair in components.get(1..).unwrap_or_default().chunks(2) {
        let [name, value] = pair else { continue };
        let trimmed = name.strip_suffix(BASE64_SUFFIX).unwrap_or(name);
        if !argus_model::is_valid_label_name(trimmed) || trimmed.starts_with("__") {
            return Err(KeyError::ImproperLabelName { name: trimmed.to_string() });
        }
        let value = if trimmed.len() == name.len() {
            value.to_string()
        } else {
            decode_base64(value).map_err(|(_, reason)| KeyError::LabelBase64 {
                name: trimmed.to_string(),
                raw: value.to_string(),
                reason,
            })?
        };
        out.insert(trimmed.to_string(), value);
    }
    Ok(out)
}

/// Decodes URL-safe base64 as the Pushgateway does: trailing `=` removed,
/// then Go's `base64.RawURLEncoding` (which skips `\r` and `\n`). On error
/// returns what decoded before the failing quantum (lossily as UTF-8) and
/// Go's message.
pub(crate) fn decode_base64(s: &str) -> Result<String, (String, String)> {
    let input = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut quantum = [0u8; 4];
    let mut j = 0usize;
    let mut start_of_quantum = 0usize;
    for (i, &c) in input.iter().enumerate() {
        if c == b'\n' || c == b'\r' {
            continue;
        }
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return Err(corrupt(&out, i)),
        };
        if j == 0 {
            start_of_quantum = i;
        }
        if let Some(slot) = quantum.get_mut(j) {
            *slot = v;
        }
        j += 1;
        if j == 4 {
            let [a, b, c2, d] = quantum;
            out.extend_from_slice(&[(a << 2) | (b >> 4), (b << 4) | (c2 >> 2), (c2 << 6) | d]);
            j = 0;
        }
    }
    let [a, b, c2, _] = quantum;
    match j {
        0 => {}
        // A single character cannot encode a byte; Go reports its position.
        1 => return Err(corrupt(&out, start_of_quantum)),
        2 => out.push((a << 2) | (b >> 4)),
        _ => out.extend_from_slice(&[(a << 2) | (b >> 4), (b << 4) | (c2 >> 2)]),
    }
    String::from_utf8(out)
        .map_err(|e| (String::from_utf8_lossy(e.as_bytes()).into_owned(), "invalid UTF-8".to_string()))
}

fn corrupt(decoded: &[u8], at: usize) -> (String, String) {
    (String::from_utf8_lossy(decoded).into_owned(), format!("illegal base64 data at input byte {at}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, expected: Result<&[(&str, &str)], &str>) {
        let got = GroupingKey::parse(path);
        match (got, expected) {
            (Ok(k), Ok(want)) => {
                let want: BTreeMap<String, String> = want.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
                assert_eq!(k.labels(), &want, "{path}");
            }
            (Err(e), Err(want)) => assert_eq!(e.to_string(), want, "{path}"),
            (got, want) => panic!("{path}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn grouping_keys_from_api_md() {
        check("job/j", Ok(&[("job", "j")]));
        check("job/j/", Ok(&[("job", "j")]));
        check("job/j/instance/i", Ok(&[("instance", "i"), ("job", "j")]));
        check("job/j/b/2/a/1", Ok(&[("a", "1"), ("b", "2"), ("job", "j")]));
        check("job/j/job/other", Ok(&[("job", "j")]));
        check("job@base64/YmFja3Vw", Ok(&[("job", "backup")]));
        check("job@base64/YmFja3Vw/", Ok(&[("job", "backup")]));
        check("job/j/path@base64/L3Zhci90bXA=", Ok(&[("job", "j"), ("path", "/var/tmp")]));
        check("job/j/path@base64/L3Zhci90bXA", Ok(&[("job", "j"), ("path", "/var/tmp")]));
        check("job/j/empty@base64/=", Ok(&[("empty", ""), ("job", "j")]));
        check("job/j/u@base64/_-8", Err(r#"invalid base64 encoding for label u="_-8": invalid UTF-8"#));
        check("job/j/a", Err(r#"odd number of components in label string "/a""#));
        check("job/j/a/b/", Err(r#"odd number of components in label string "/a/b/""#));
        check("job/j/a/b/c", Err(r#"odd number of components in label string "/a/b/c""#));
        check("job/j/1a/b", Err(r#"improper label name "1a""#));
        check("job/j/__a/b", Err(r#"improper label name "__a""#));
        check("job/j/__a@base64/b", Err(r#"improper label name "__a""#));
        check("job/j/a-b/c", Err(r#"improper label name "a-b""#));
        check(
            "job/j/a@base64/!!",
            Err(r#"invalid base64 encoding for label a="!!": illegal base64 data at input byte 0"#),
        );
        check(
            "job/j/a@base64/YWJjZ",
            Err(r#"invalid base64 encoding for label a="YWJjZ": illegal base64 data at input byte 4"#),
        );
        check(
            "job/j/a@base64/YW+j",
            Err(r#"invalid base64 encoding for label a="YW+j": illegal base64 data at input byte 2"#),
        );
        check(
            "job@base64/YWJj!",
            Err(r#"invalid base64 encoding in job name "abc": illegal base64 data at input byte 4"#),
        );
        check("job@base64/=", Err("job name is required"));
        check("job@base64/", Err("job name is required"));
        // Order: job base64 before label errors, label errors before the empty job.
        check("job@base64/!/a", Err(r#"invalid base64 encoding in job name "": illegal base64 data at input byte 0"#));
        check("job@base64//a", Err(r#"odd number of components in label string "/a""#));
        check("jobs/j", Err("404 page not found"));
    }

    #[test]
    fn key_identity_ignores_order() {
        let a = GroupingKey::parse("job/j/a/1/b/2").unwrap();
        let b = GroupingKey::parse("job/j/b/2/a/1").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.id(), b"a\xff1\xffb\xff2\xffjob\xffj".to_vec());
        assert_eq!(a.to_string(), r#"{a="1", b="2", job="j"}"#);
    }
}
