//! `deriv`, `predict_linear` (least squares) and `holt_winters`.

use super::range::Window;
use super::stats::kahan_inc;
use crate::error::{Error, Result};
use crate::eval::Point;

/// Least-squares slope and intercept with x in seconds from `intercept_time`.
fn linear_regression(pts: &[Point], intercept_time: i64) -> (f64, f64) {
    let (mut n, mut sx, mut cx, mut sy, mut cy, mut sxy, mut cxy, mut sx2, mut cx2) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let init_y = pts.first().map_or(f64::NAN, |p| p.v);
    let mut const_y = true;
    for (i, p) in pts.iter().enumerate() {
        if const_y && i > 0 && p.v != init_y {
            const_y = false;
        }
        n += 1.0;
        let x = (p.t - intercept_time) as f64 / 1e3;
        (sx, cx) = kahan_inc(x, sx, cx);
        (sy, cy) = kahan_inc(p.v, sy, cy);
        (sxy, cxy) = kahan_inc(x * p.v, sxy, cxy);
        (sx2, cx2) = kahan_inc(x * x, sx2, cx2);
    }
    if const_y {
        if init_y.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init_y);
    }
    let (sx, sy, sxy, sx2) = (sx + cx, sy + cy, sxy + cxy, sx2 + cx2);
    let cov = sxy - sx * sy / n;
    let var = sx2 - sx * sx / n;
    let slope = cov / var;
    (slope, sy / n - slope * sx / n)
}

pub(crate) fn deriv(w: &Window<'_>) -> Result<Option<f64>> {
    if w.points.len() < 2 {
        return Ok(None);
    }
    let t0 = w.points.first().map_or(0, |p| p.t);
    Ok(Some(linear_regression(w.points, t0).0))
}

pub(crate) fn predict_linear(w: &Window<'_>) -> Result<Option<f64>> {
    if w.points.len() < 2 {
        return Ok(None);
    }
    let d = w.params.first().copied().unwrap_or(f64::NAN);
    let (slope, intercept) = linear_regression(w.points, w.ts);
    Ok(Some(slope * d + intercept))
}

/// Go's `%f` of a float.
fn go_f6(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format!("{v:.6}")
    }
}

pub(crate) fn holt_winters(w: &Window<'_>) -> Result<Option<f64>> {
    let sf = w.params.first().copied().unwrap_or(f64::NAN);
    let tf = w.params.get(1).copied().unwrap_or(f64::NAN);
    if !(sf > 0.0 && sf < 1.0) {
        return Err(Error::exec(format!("invalid smoothing factor. Expected: 0 < sf < 1, got: {}", go_f6(sf))));
    }
    if !(tf > 0.0 && tf < 1.0) {
        return Err(Error::exec(format!("invalid trend factor. Expected: 0 < tf < 1, got: {}", go_f6(tf))));
    }
    let p = w.points;
    if p.len() < 2 {
        return Ok(None);
    }
    let (mut s0, mut s1) = (0.0, p[0].v);
    let mut b = p[1].v - p[0].v;
    for (i, pt) in p.iter().enumerate().skip(1) {
        let x = sf * pt.v;
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        let y = (1.0 - sf) * (s1 + b);
        (s0, s1) = (s1, x + y);
    }
    Ok(Some(s1))
}
