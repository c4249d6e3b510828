//! `rate`, `increase`, `delta` (extrapolated) and `irate`, `idelta` (last two samples).

use super::range::Window;
use crate::error::Result;

pub(crate) fn rate(w: &Window<'_>) -> Result<Option<f64>> {
    Ok(extrapolated(w, true, true))
}

pub(crate) fn increase(w: &Window<'_>) -> Result<Option<f64>> {
    Ok(extrapolated(w, true, false))
}

pub(crate) fn delta(w: &Window<'_>) -> Result<Option<f64>> {
    Ok(extrapolated(w, false, false))
}

pub(crate) fn irate(w: &Window<'_>) -> Result<Option<f64>> {
    Ok(instant(w, true))
}

pub(crate) fn idelta(w: &Window<'_>) -> Result<Option<f64>> {
    Ok(instant(w, false))
}

/// Prometheus' `extrapolatedRate`: the change over the window, extrapolated to
/// the window edges unless the gap to an edge is much larger than the average
/// sample spacing, and (for counters) never below zero.
fn extrapolated(w: &Window<'_>, counter: bool, per_second: bool) -> Option<f64> {
    let pts = w.points;
    if pts.len() < 2 {
        return None;
    }
    let (first, last) = (pts.first()?, pts.last()?);
    let mut result = last.v - first.v;
    // Without a reset the loop below adds nothing (no `result += prev`).
    if counter && !w.no_resets {
        let mut prev = 0.0;
        for p in pts {
            if p.v < prev {
                result += prev;
            }
            prev = p.v;
        }
    }
    let mut to_start = (first.t - w.range_start) as f64 / 1000.0;
    let to_end = (w.range_end - last.t) as f64 / 1000.0;
    let sampled = (last.t - first.t) as f64 / 1000.0;
    let avg = sampled / (pts.len() - 1) as f64;
    if counter && result > 0.0 && first.v >= 0.0 {
        let to_zero = sampled * (first.v / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = avg * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold { to_start } else { avg / 2.0 };
    interval += if to_end < threshold { to_end } else { avg / 2.0 };
    let mut factor = interval / sampled;
    if per_second {
        factor /= (w.range_end - w.range_start) as f64 / 1000.0;
    }
    Some(result * factor)
}

fn instant(w: &Window<'_>, is_rate: bool) -> Option<f64> {
    let n = w.points.len();
    if n < 2 {
        return None;
    }
    let (prev, last) = (w.points.get(n - 2)?, w.points.get(n - 1)?);
    let mut v = if is_rate && last.v < prev.v { last.v } else { last.v - prev.v };
    let dt = last.t - prev.t;
    if dt == 0 {
        return None;
    }
    if is_rate {
        v /= dt as f64 / 1000.0;
    }
    Some(v)
}
