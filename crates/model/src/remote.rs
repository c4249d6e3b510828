//! Prometheus' remote write 1.0 and remote read wire formats (`prompb`):
//! protobuf messages, snappy block framing, and conversions to [`Labels`]
//! and [`Matcher`]s.
//!
//! The messages are declared with `prost` derives (field numbers from
//! `prompb/types.proto` and `prompb/remote.proto`), so no `protoc` is
//! needed. Native histograms and exemplars are decoded but not stored
//! (Prometheus 2.42 receivers accept them; argus counts and drops them).

use prost::Message;

use crate::{Labels, MatchOp, Matcher};

/// `prometheus.WriteRequest`.
#[derive(Clone, PartialEq, Message)]
pub struct WriteRequest {
    /// Series with their samples.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
    /// Metric metadata (HELP/TYPE/UNIT).
    #[prost(message, repeated, tag = "3")]
    pub metadata: Vec<MetricMetadata>,
}

/// `prometheus.TimeSeries`.
#[derive(Clone, PartialEq, Message)]
pub struct TimeSeries {
    /// Labels, sorted by name.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// Samples in time order.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
    /// Exemplars (not stored).
    #[prost(message, repeated, tag = "3")]
    pub exemplars: Vec<Exemplar>,
    /// Native histograms (not stored); only their count matters here.
    #[prost(bytes = "vec", repeated, tag = "4")]
    pub histograms: Vec<Vec<u8>>,
}

/// `prometheus.Label`.
#[derive(Clone, PartialEq, Message)]
pub struct Label {
    /// Label name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Label value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `prometheus.Sample`.
#[derive(Clone, PartialEq, Message)]
pub struct Sample {
    /// The value.
    #[prost(double, tag = "1")]
    pub value: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

/// `prometheus.Exemplar`.
#[derive(Clone, PartialEq, Message)]
pub struct Exemplar {
    /// Exemplar labels.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// The value.
    #[prost(double, tag = "2")]
    pub value: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "3")]
    pub timestamp: i64,
}

/// `prometheus.MetricMetadata`.
#[derive(Clone, PartialEq, Message)]
pub struct MetricMetadata {
    /// 0 unknown, 1 counter, 2 gauge, 3 histogram, 4 gaugehistogram, 5 summary, 6 info, 7 stateset.
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    /// The metric family name.
    #[prost(string, tag = "2")]
    pub metric_family_name: String,
    /// HELP text.
    #[prost(string, tag = "4")]
    pub help: String,
    /// UNIT.
    #[prost(string, tag = "5")]
    pub unit: String,
}

/// `prometheus.ReadRequest`.
#[derive(Clone, PartialEq, Message)]
pub struct ReadRequest {
    /// The queries.
    #[prost(message, repeated, tag = "1")]
    pub queries: Vec<Query>,
    /// 0 = SAMPLES, 1 = STREAMED_XOR_CHUNKS.
    #[prost(int32, repeated, tag = "2")]
    pub accepted_response_types: Vec<i32>,
}

/// `prometheus.Query`.
#[derive(Clone, PartialEq, Message)]
pub struct Query {
    /// Start, ms.
    #[prost(int64, tag = "1")]
    pub start_timestamp_ms: i64,
    /// End, ms.
    #[prost(int64, tag = "2")]
    pub end_timestamp_ms: i64,
    /// Matchers.
    #[prost(message, repeated, tag = "3")]
    pub matchers: Vec<LabelMatcher>,
    /// Hints (ignored beyond start/end).
    #[prost(message, optional, tag = "4")]
    pub hints: Option<ReadHints>,
}

/// `prometheus.ReadHints`.
#[derive(Clone, PartialEq, Message)]
pub struct ReadHints {
    /// Step, ms.
    #[prost(int64, tag = "1")]
    pub step_ms: i64,
    /// Function name.
    #[prost(string, tag = "2")]
    pub func: String,
    /// Start, ms.
    #[prost(int64, tag = "3")]
    pub start_ms: i64,
    /// End, ms.
    #[prost(int64, tag = "4")]
    pub end_ms: i64,
}

/// `prometheus.LabelMatcher`.
#[derive(Clone, PartialEq, Message)]
pub struct LabelMatcher {
    /// 0 EQ, 1 NEQ, 2 RE, 3 NRE.
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    /// Label name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Value or regex.
    #[prost(string, tag = "3")]
    pub value: String,
}

/// `prometheus.ReadResponse`.
#[derive(Clone, PartialEq, Message)]
pub struct ReadResponse {
    /// One result per query, in order.
    #[prost(message, repeated, tag = "1")]
    pub results: Vec<QueryResult>,
}

/// `prometheus.QueryResult`.
#[derive(Clone, PartialEq, Message)]
pub struct QueryResult {
    /// Matching series with samples in the range.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
}

/// Why a remote write/read payload was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// The snappy block is corrupt or larger than allowed.
    #[error("cannot decompress snappy body: {0}")]
    Snappy(String),
    /// The protobuf does not decode.
    #[error("cannot decode protobuf: {0}")]
    Proto(#[from] prost::DecodeError),
    /// A matcher could not be built (bad regex, unknown type).
    #[error("invalid matcher: {0}")]
    Matcher(String),
}

/// Decompresses a snappy block (not framed), refusing outputs over `max_len`.
pub fn snappy_decode(body: &[u8], max_len: usize) -> Result<Vec<u8>, RemoteError> {
    let len = snap::raw::decompress_len(body).map_err(|e| RemoteError::Snappy(e.to_string()))?;
    if len > max_len {
        return Err(RemoteError::Snappy(format!("decompressed size {len} exceeds the limit of {max_len} bytes")));
    }
    snap::raw::Decoder::new().decompress_vec(body).map_err(|e| RemoteError::Snappy(e.to_string()))
}

/// Compresses into a snappy block.
pub fn snappy_encode(data: &[u8]) -> Vec<u8> {
    // Compression into a correctly sized buffer cannot fail.
    snap::raw::Encoder::new().compress_vec(data).unwrap_or_default()
}

/// Decodes a snappy-compressed `WriteRequest`.
pub fn decode_write_request(body: &[u8], max_len: usize) -> Result<WriteRequest, RemoteError> {
    Ok(WriteRequest::decode(snappy_decode(body, max_len)?.as_slice())?)
}

/// Encodes and compresses a `WriteRequest`.
pub fn encode_write_request(req: &WriteRequest) -> Vec<u8> {
    snappy_encode(&req.encode_to_vec())
}

/// Decodes a snappy-compressed `ReadRequest`.
pub fn decode_read_request(body: &[u8], max_len: usize) -> Result<ReadRequest, RemoteError> {
    Ok(ReadRequest::decode(snappy_decode(body, max_len)?.as_slice())?)
}

/// Encodes and compresses a `ReadResponse` (SAMPLES response type).
pub fn encode_read_response(resp: &ReadResponse) -> Vec<u8> {
    snappy_encode(&resp.encode_to_vec())
}

/// Wire labels as a sorted [`Labels`] (empty values dropped, as Prometheus does).
pub fn labels_from_wire(ls: &[Label]) -> Labels {
    Labels::from_pairs(ls.iter().map(|l| (l.name.as_str(), l.value.as_str())))
}

/// [`Labels`] as wire labels.
pub fn labels_to_wire(ls: &Labels) -> Vec<Label> {
    ls.iter().map(|l| Label { name: l.name.to_string(), value: l.value.to_string() }).collect()
}

/// Wire matchers as storage matchers.
pub fn matchers_from_wire(ms: &[LabelMatcher]) -> Result<Vec<Matcher>, RemoteError> {
    ms.iter()
        .map(|m| {
            let op = match m.r#type {
                0 => MatchOp::Equal,
                1 => MatchOp::NotEqual,
                2 => MatchOp::Re,
                3 => MatchOp::NotRe,
                t => return Err(RemoteError::Matcher(format!("unknown matcher type {t}"))),
            };
            Matcher::new(op, m.name.clone(), m.value.clone()).map_err(|e| RemoteError::Matcher(e.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_request_round_trips() {
        let req = WriteRequest {
            timeseries: vec![TimeSeries {
                labels: vec![Label { name: "__name__".into(), value: "up".into() }],
                samples: vec![Sample { value: 1.0, timestamp: 1000 }],
                ..Default::default()
            }],
            metadata: vec![],
        };
        let body = encode_write_request(&req);
        assert_eq!(decode_write_request(&body, 1 << 20).unwrap(), req);
        assert!(matches!(decode_write_request(&body, 4), Err(RemoteError::Snappy(_))));
        assert!(decode_write_request(b"garbage", 1 << 20).is_err());
    }

    #[test]
    fn matchers_convert() {
        let ms = matchers_from_wire(&[LabelMatcher { r#type: 2, name: "job".into(), value: "no.*".into() }]).unwrap();
        assert!(ms[0].matches("node"));
        assert!(matchers_from_wire(&[LabelMatcher { r#type: 9, name: "a".into(), value: "b".into() }]).is_err());
    }
}
