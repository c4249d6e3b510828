//! Query result values: scalar, string, instant vector and range matrix.
//!
//! These are the public shapes a query returns, mirroring Prometheus'
//! `promql.Value`. Timestamps are milliseconds since the Unix epoch.

use argus_model::Labels;

/// A scalar result at time `t`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scalar {
    /// Evaluation time (ms).
    pub t: i64,
    /// The value.
    pub v: f64,
}

/// One element of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorSample {
    /// The series' label set.
    pub labels: Labels,
    /// Evaluation time (ms).
    pub t: i64,
    /// The value.
    pub v: f64,
}

/// A float point of a range series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Time (ms).
    pub t: i64,
    /// The value.
    pub v: f64,
}

/// One series of a matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSeries {
    /// The series' label set.
    pub labels: Labels,
    /// Points in ascending time order.
    pub points: Vec<Point>,
}

/// The value of a query.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// A number.
    Scalar(Scalar),
    /// A string (from a string literal query) at time `t`.
    String {
        /// Evaluation time (ms).
        t: i64,
        /// The string.
        v: String,
    },
    /// An instant vector; order is evaluation order (see `sort`).
    Vector(Vec<VectorSample>),
    /// A range matrix; range queries return it sorted by label set.
    Matrix(Vec<RangeSeries>),
}

impl Value {
    /// The Prometheus name of the value type (`scalar`, `string`, `vector`, `matrix`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Scalar(_) => "scalar",
            Value::String { .. } => "string",
            Value::Vector(_) => "vector",
            Value::Matrix(_) => "matrix",
        }
    }
}

/// A query's value plus the warnings (annotations) collected while evaluating it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    /// The result.
    pub value: Value,
    /// Non-fatal problems, e.g. from storage; empty in the common case.
    pub warnings: Vec<String>,
}
