//! The stored form of pushed metrics, shaped like the `io.prometheus.client`
//! protobuf messages the Pushgateway keeps: a family holds metrics, a metric
//! holds its label pairs (empty values kept, sorted after sanitising) and one
//! value of the family's kind.

use serde::{Deserialize, Serialize};

/// A metric family's type as the Pushgateway's protobuf and JSON API name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum FamilyType {
    /// `COUNTER`.
    Counter,
    /// `GAUGE`.
    Gauge,
    /// `SUMMARY`.
    Summary,
    /// `UNTYPED`.
    Untyped,
    /// `HISTOGRAM`.
    Histogram,
}

impl FamilyType {
    /// The protobuf enum name (`COUNTER`, ...), as `/api/v1/metrics` shows it.
    pub fn as_proto_str(self) -> &'static str {
        match self {
            FamilyType::Counter => "COUNTER",
            FamilyType::Gauge => "GAUGE",
            FamilyType::Summary => "SUMMARY",
            FamilyType::Untyped => "UNTYPED",
            FamilyType::Histogram => "HISTOGRAM",
        }
    }

    /// The model's type, for encoding and for storage metadata.
    pub fn to_model(self) -> argus_model::exposition::MetricType {
        use argus_model::exposition::MetricType;
        match self {
            FamilyType::Counter => MetricType::Counter,
            FamilyType::Gauge => MetricType::Gauge,
            FamilyType::Summary => MetricType::Summary,
            FamilyType::Untyped => MetricType::Unknown,
            FamilyType::Histogram => MetricType::Histogram,
        }
    }
}

/// An `f64` that persists as Go's `%g` string, so NaN and infinities survive JSON.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct F64(pub f64);

impl Serialize for F64 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&argus_model::exposition::format_go_float(self.0))
    }
}

impl<'de> Deserialize<'de> for F64 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_go_float(&s).map(F64).ok_or_else(|| serde::de::Error::custom(format!("invalid float {s:?}")))
    }
}

pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

/// One pushed metric family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Family {
    pub name: String,
    /// `None` when the push had no HELP (then no `# HELP` line is exposed).
    pub help: Option<String>,
    #[serde(rename = "type")]
    pub kind: FamilyType,
    pub metrics: Vec<Metric>,
}

/// One metric of a family: label pairs and a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Metric {
    /// Label pairs; sorted by name once sanitised. Empty values are kept.
    pub labels: Vec<(String, String)>,
    pub value: Value,
    /// A pushed timestamp; such pushes are rejected, so stored metrics have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_ms: Option<i64>,
}

/// A metric's value; protobuf may send none or one not matching the family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Value {
    Counter(F64),
    Gauge(F64),
    Untyped(F64),
    Summary(Summary),
    Histogram(Histogram),
    Missing,
}

impl Value {
    pub fn kind(&self) -> Option<FamilyType> {
        Some(match self {
            Value::Counter(_) => FamilyType::Counter,
            Value::Gauge(_) => FamilyType::Gauge,
            Value::Untyped(_) => FamilyType::Untyped,
            Value::Summary(_) => FamilyType::Summary,
            Value::Histogram(_) => FamilyType::Histogram,
            Value::Missing => return None,
        })
    }

    /// The simple value (Go's `getValue`: gauge, counter, untyped, else 0).
    pub fn simple(&self) -> f64 {
        match self {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v.0,
            _ => 0.0,
        }
    }

    pub fn empty_of(kind: FamilyType) -> Value {
        match kind {
            FamilyType::Counter => Value::Counter(F64(0.0)),
            FamilyType::Gauge => Value::Gauge(F64(0.0)),
            FamilyType::Untyped => Value::Untyped(F64(0.0)),
            FamilyType::Summary => Value::Summary(Summary::default()),
            FamilyType::Histogram => Value::Histogram(Histogram::default()),
        }
    }
}

/// A summary: count, sum and `(quantile, value)` pairs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub(crate) struct Summary {
    pub count: u64,
    pub sum: F64,
    pub quantiles: Vec<(F64, F64)>,
}

/// A histogram: count, sum and `(upper bound, cumulative count)` buckets.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub(crate) struct Histogram {
    pub count: u64,
    pub sum: F64,
    pub buckets: Vec<(F64, u64)>,
}

impl Default for F64 {
    fn default() -> Self {
        F64(0.0)
    }
}

/// Go's `uint64(f)` for the count of a text-format `_count` line, saturating.
pub(crate) fn count_from_f64(v: f64) -> u64 {
    v as u64
}
