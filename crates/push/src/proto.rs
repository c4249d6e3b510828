//! A hand-rolled decoder for length-delimited `io.prometheus.client.MetricFamily`
//! messages (`metrics.proto`), the Pushgateway's protobuf push format. Unknown
//! fields (exemplars, native histograms, created timestamps) are skipped.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

use crate::family::{F64, Family, FamilyType, Histogram, Metric, Summary, Value};

/// The media type and parameters that select protobuf (API.md §2); every
/// other `Content-Type`, a missing or malformed one included, means text.
pub(crate) fn is_protobuf_content_type(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return false };
    let mut parts = ct.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    if media != "application/vnd.google.protobuf" {
        return false;
    }
    let (mut proto, mut encoding) = (false, false);
    for p in parts {
        let Some((k, v)) = p.split_once('=') else { continue };
        let v = v.trim();
        let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
        match k.trim().to_ascii_lowercase().as_str() {
            "proto" => proto = v == "io.prometheus.client.MetricFamily",
            "encoding" => encoding = v == "delimited",
            _ => {}
        }
    }
    proto && encoding
}

/// Decodes delimited families; a later family with the same name replaces an
/// earlier one, as in the Pushgateway.
pub(crate) fn parse_delimited(mut body: &[u8]) -> Result<Vec<Family>, String> {
    let mut out: Vec<Family> = Vec::new();
    while !body.is_empty() {
        let len = read_varint(&mut body)?;
        let len = usize::try_from(len).map_err(|_| "message length overflows".to_string())?;
        let msg = body.get(..len).ok_or_else(|| "unexpected EOF".to_string())?;
        body = body.get(len..).unwrap_or_default();
        let fam = family(msg)?;
        if let Some(pos) = out.iter().position(|f| f.name == fam.name) {
            out.remove(pos);
        }
        out.push(fam);
    }
    Ok(out)
}

enum Field<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32,
}

fn read_varint(b: &mut &[u8]) -> Result<u64, String> {
    let mut v: u64 = 0;
    for shift in (0..70).step_by(7) {
        let (&byte, rest) = b.split_first().ok_or_else(|| "unexpected EOF".to_string())?;
        *b = rest;
        if shift == 63 && byte > 1 {
            return Err("varint overflows a 64-bit integer".into());
        }
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("varint overflows a 64-bit integer".into())
}

/// Iterates over `(field number, value)` of one message.
fn fields(mut b: &[u8]) -> impl Iterator<Item = Result<(u64, Field<'_>), String>> {
    std::iter::from_fn(move || {
        if b.is_empty() {
            return None;
        }
        let r = (|| {
            let tag = read_varint(&mut b)?;
            let f = match tag & 7 {
                0 => Field::Varint(read_varint(&mut b)?),
                1 => {
                    let (x, rest) = b.split_first_chunk::<8>().ok_or("unexpected EOF")?;
                    b = rest;
                    Field::Fixed64(u64::from_le_bytes(*x))
                }
                2 => {
                    let len = usize::try_from(read_varint(&mut b)?).map_err(|_| "length overflows")?;
                    let x = b.get(..len).ok_or("unexpected EOF")?;
                    b = b.get(len..).unwrap_or_default();
                    Field::Bytes(x)
                }
                5 => {
                    let (_, rest) = b.split_first_chunk::<4>().ok_or("unexpected EOF")?;
                    b = rest;
                    Field::Fixed32
                }
                w => return Err(format!("unsupported wire type {w}")),
            };
            Ok((tag >> 3, f))
        })();
        if r.is_err() {
            b = &[];
        }
        Some(r)
    })
}

fn string(b: &[u8]) -> Result<String, String> {
    String::from_utf8(b.to_vec()).map_err(|_| "invalid UTF-8 in string field".to_string())
}

fn double(f: &Field<'_>) -> f64 {
    match f {
        Field::Fixed64(x) => f64::from_bits(*x),
        _ => 0.0,
    }
}

fn family(b: &[u8]) -> Result<Family, String> {
    let mut name = String::new();
    let mut help = None;
    let mut kind = FamilyType::Counter;
    let mut metrics_raw = Vec::new();
    for f in fields(b) {
        match f? {
            (1, Field::Bytes(x)) => name = string(x)?,
            (2, Field::Bytes(x)) => help = Some(string(x)?),
            (3, Field::Varint(t)) => {
                kind = match t {
                    0 => FamilyType::Counter,
                    1 => FamilyType::Gauge,
                    2 => FamilyType::Summary,
                    3 => FamilyType::Untyped,
                    4 => FamilyType::Histogram,
                    t => return Err(format!("unsupported metric type {t} for family {name:?}")),
                }
            }
            (4, Field::Bytes(x)) => metrics_raw.push(x),
            _ => {}
        }
    }
    let metrics = metrics_raw.into_iter().map(|m| metric(m, kind)).collect::<Result<_, _>>()?;
    Ok(Family { name, help, kind, metrics })
}

fn metric(b: &[u8], kind: FamilyType) -> Result<Metric, String> {
    let mut labels = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let mut timestamp_ms = None;
    for f in fields(b) {
        match f? {
            (1, Field::Bytes(x)) => {
                let (mut n, mut v) = (String::new(), String::new());
                for lf in fields(x) {
                    match lf? {
                        (1, Field::Bytes(s)) => n = string(s)?,
                        (2, Field::Bytes(s)) => v = string(s)?,
                        _ => {}
                    }
                }
                labels.push((n, v));
            }
            (2, Field::Bytes(x)) => values.push(Value::Gauge(F64(simple(x)?))),
            (3, Field::Bytes(x)) => values.push(Value::Counter(F64(simple(x)?))),
            (4, Field::Bytes(x)) => values.push(Value::Summary(summary(x)?)),
            (5, Field::Bytes(x)) => values.push(Value::Untyped(F64(simple(x)?))),
            (6, Field::Varint(t)) => timestamp_ms = Some(t as i64),
            (7, Field::Bytes(x)) => values.push(Value::Histogram(histogram(x)?)),
            _ => {}
        }
    }
    // The value matching the family's type counts; otherwise whichever came
    // (the consistency check then reports the mismatch).
    let value = match values.iter().position(|v| v.kind() == Some(kind)) {
        Some(i) => values.swap_remove(i),
        None => values.into_iter().next().unwrap_or(Value::Missing),
    };
    Ok(Metric { labels, value, timestamp_ms })
}

fn simple(b: &[u8]) -> Result<f64, String> {
    let mut v = 0.0;
    for f in fields(b) {
        if let (1, f) = f? {
            v = double(&f);
        }
    }
    Ok(v)
}

fn summary(b: &[u8]) -> Result<Summary, String> {
    let mut s = Summary::default();
    for f in fields(b) {
        match f? {
            (1, Field::Varint(c)) => s.count = c,
            (2, f) => s.sum = F64(double(&f)),
            (3, Field::Bytes(x)) => {
                let (mut q, mut v) = (0.0, 0.0);
                for qf in fields(x) {
                    match qf? {
                        (1, f) => q = double(&f),
                        (2, f) => v = double(&f),
                        _ => {}
                    }
                }
                s.quantiles.push((F64(q), F64(v)));
            }
            _ => {}
        }
    }
    Ok(s)
}

fn histogram(b: &[u8]) -> Result<Histogram, String> {
    let mut h = Histogram::default();
    for f in fields(b) {
        match f? {
            (1, Field::Varint(c)) => h.count = c,
            (2, f) => h.sum = F64(double(&f)),
            (3, Field::Bytes(x)) => {
                let (mut c, mut ub) = (0u64, 0.0);
                for bf in fields(x) {
                    match bf? {
                        (1, Field::Varint(v)) => c = v,
                        (2, f) => ub = double(&f),
                        _ => {}
                    }
                }
                h.buckets.push((F64(ub), c));
            }
            _ => {}
        }
    }
    Ok(h)
}

/// A simple family for [`encode_delimited_for_tests`]: name, help, type and
/// `(labels, value, timestamp in ms)` per metric; a summary or histogram
/// metric gets count and sum from the value and no quantiles or buckets.
pub type SimpleFamily = (String, Option<String>, FamilyType, Vec<(Vec<(String, String)>, f64, Option<i64>)>);

/// Encodes [`SimpleFamily`]s as delimited protobuf (what the store's
/// protobuf decoder reads), for tests and simple push clients.
pub fn encode_delimited_for_tests(fams: &[SimpleFamily]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, help, kind, metrics) in fams {
        let mut m = Vec::new();
        put_bytes(&mut m, 1, name.as_bytes());
        if let Some(h) = help {
            put_bytes(&mut m, 2, h.as_bytes());
        }
        let t = match kind {
            FamilyType::Counter => 0,
            FamilyType::Gauge => 1,
            FamilyType::Summary => 2,
            FamilyType::Untyped => 3,
            FamilyType::Histogram => 4,
        };
        put_varint(&mut m, 3 << 3);
        put_varint(&mut m, t);
        for (labels, v, ts) in metrics {
            let mut mm = Vec::new();
            for (n, lv) in labels {
                let mut lp = Vec::new();
                put_bytes(&mut lp, 1, n.as_bytes());
                put_bytes(&mut lp, 2, lv.as_bytes());
                put_bytes(&mut mm, 1, &lp);
            }
            let mut val = Vec::new();
            let field = match kind {
                FamilyType::Gauge => 2,
                FamilyType::Counter => 3,
                FamilyType::Summary => 4,
                FamilyType::Untyped => 5,
                FamilyType::Histogram => 7,
            };
            if matches!(kind, FamilyType::Summary | FamilyType::Histogram) {
                // count = value, sum = value, no quantiles or buckets.
                put_varint(&mut val, 1 << 3);
                put_varint(&mut val, *v as u64);
                put_varint(&mut val, (2 << 3) | 1);
            } else {
                put_varint(&mut val, (1 << 3) | 1);
            }
            val.extend_from_slice(&v.to_bits().to_le_bytes());
            put_bytes(&mut mm, field, &val);
            if let Some(ts) = ts {
                put_varint(&mut mm, 6 << 3);
                put_varint(&mut mm, *ts as u64);
            }
            put_bytes(&mut m, 4, &mm);
        }
        put_varint(&mut out, m.len() as u64);
        out.extend_from_slice(&m);
    }
    out
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, field: u64, b: &[u8]) {
    put_varint(out, (field << 3) | 2);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_rule() {
        let pb = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
        assert!(is_protobuf_content_type(Some(pb)));
        assert!(is_protobuf_content_type(Some(
            "Application/vnd.google.protobuf;encoding=\"delimited\";Proto=io.prometheus.client.MetricFamily"
        )));
        assert!(!is_protobuf_content_type(Some(
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily"
        )));
        assert!(!is_protobuf_content_type(Some("text/plain; version=0.0.4")));
        assert!(!is_protobuf_content_type(None));
    }

    #[test]
    fn round_trip_and_errors() {
        let body = encode_delimited_for_tests(&[(
            "g".into(),
            Some("help".into()),
            FamilyType::Gauge,
            vec![(vec![("a".into(), "b".into())], 1.5, None)],
        )]);
        let fams = parse_delimited(&body).unwrap();
        assert_eq!(fams.len(), 1);
        assert_eq!(fams[0].name, "g");
        assert_eq!(fams[0].help.as_deref(), Some("help"));
        assert_eq!(fams[0].metrics[0].value, Value::Gauge(F64(1.5)));
        assert_eq!(fams[0].metrics[0].labels, vec![("a".to_string(), "b".to_string())]);
        assert!(parse_delimited(&body[..body.len() - 1]).is_err());
        assert!(parse_delimited(&[0xff; 11]).is_err());
        assert!(parse_delimited(&[]).unwrap().is_empty());
    }
}
