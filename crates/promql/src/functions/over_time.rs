//! The `*_over_time` family plus `resets` and `changes`.

use super::range::Window;
use super::stats::{kahan_inc, quantile as quantile_of};
use crate::error::Result;

pub(crate) fn avg(w: &Window<'_>) -> Result<Option<f64>> {
    let (mut mean, mut count, mut c) = (0.0f64, 0.0, 0.0);
    for p in w.points {
        count += 1.0;
        if mean.is_infinite() {
            if p.v.is_infinite() && (mean > 0.0) == (p.v > 0.0) {
                continue;
            }
            if !p.v.is_infinite() && !p.v.is_nan() {
                continue;
            }
        }
        (mean, c) = kahan_inc(p.v / count - mean / count, mean, c);
    }
    Ok(Some(if mean.is_infinite() { mean } else { mean + c }))
}

pub(crate) fn sum(w: &Window<'_>) -> Result<Option<f64>> {
    let (mut s, mut c) = (0.0f64, 0.0);
    for p in w.points {
        (s, c) = kahan_inc(p.v, s, c);
    }
    Ok(Some(if s.is_infinite() { s } else { s + c }))
}

pub(crate) fn min(w: &Window<'_>) -> Result<Option<f64>> {
    let mut m = w.points.first().map_or(f64::NAN, |p| p.v);
    for p in w.points {
        if p.v < m || m.is_nan() {
            m = p.v;
        }
    }
    Ok(Some(m))
}

pub(crate) fn max(w: &Window<'_>) -> Result<Option<f64>> {
    let mut m = w.points.first().map_or(f64::NAN, |p| p.v);
    for p in w.points {
        if p.v > m || m.is_nan() {
            m = p.v;
        }
    }
    Ok(Some(m))
}

pub(crate) fn count(w: &Window<'_>) -> Result<Option<f64>> {
    Ok(Some(w.points.len() as f64))
}

pub(crate) fn last(w: &Window<'_>) -> Result<Option<f64>> {
    Ok(w.points.last().map(|p| p.v))
}

pub(crate) fn present(_w: &Window<'_>) -> Result<Option<f64>> {
    Ok(Some(1.0))
}

pub(crate) fn quantile(w: &Window<'_>) -> Result<Option<f64>> {
    let q = w.params.first().copied().unwrap_or(f64::NAN);
    Ok(Some(quantile_of(q, w.points.iter().map(|p| p.v).collect())))
}

fn variance(w: &Window<'_>) -> f64 {
    let (mut count, mut mean, mut c_mean, mut aux, mut c_aux) = (0.0, 0.0f64, 0.0, 0.0f64, 0.0);
    for p in w.points {
        count += 1.0;
        let delta = p.v - (mean + c_mean);
        (mean, c_mean) = kahan_inc(delta / count, mean, c_mean);
        (aux, c_aux) = kahan_inc(delta * (p.v - (mean + c_mean)), aux, c_aux);
    }
    (aux + c_aux) / count
}

pub(crate) fn stdvar(w: &Window<'_>) -> Result<Option<f64>> {
    Ok(Some(variance(w)))
}

pub(crate) fn stddev(w: &Window<'_>) -> Result<Option<f64>> {
    Ok(Some(variance(w).sqrt()))
}

pub(crate) fn resets(w: &Window<'_>) -> Result<Option<f64>> {
    let n = w.points.windows(2).filter(|p| p[1].v < p[0].v).count();
    Ok(Some(n as f64))
}

pub(crate) fn changes(w: &Window<'_>) -> Result<Option<f64>> {
    let n = w.points.windows(2).filter(|p| p[1].v != p[0].v && !(p[1].v.is_nan() && p[0].v.is_nan())).count();
    Ok(Some(n as f64))
}
