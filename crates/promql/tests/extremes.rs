//! `max_over_time` / `min_over_time` over a range query slide with a
//! monotonic queue; with `@` they scan each window. Both must agree bit for
//! bit, NaNs, signed zeros, infinities and ties included.

use argus_model::storage::{Appendable, MemStorage};
use argus_model::{Labels, stale_nan};
use argus_promql::{Engine, Value};

fn storage() -> MemStorage {
    let st = MemStorage::new();
    let mut app = st.appender();
    // A small deterministic generator: values from a pool with many ties.
    let pool = [0.0, -0.0, 1.0, 1.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 2.5, 2.5, -3.0, 7.0];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for sid in 0..6 {
        let ls = Labels::from_pairs([("__name__", "g".to_string()), ("s", sid.to_string())]);
        let mut t = 0i64;
        for _ in 0..400 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Gaps of 15 s to 3 min, and the odd stale marker.
            t += 15_000 * (1 + (x % 12) as i64);
            let v = if x.is_multiple_of(97) { stale_nan() } else { pool[(x >> 8) as usize % pool.len()] };
            // Series 0 is all NaN; series 1 counts up, so every window's max is its last point.
            let v = match sid {
                0 => f64::NAN,
                1 => t as f64,
                _ => v,
            };
            app.append(0, &ls, t, v).unwrap();
        }
    }
    app.commit().unwrap();
    st
}

#[test]
fn sliding_extremes_match_window_scans() {
    let st = storage();
    let e = Engine::default();
    for f in ["max_over_time", "min_over_time"] {
        for range in ["1m", "5m", "17m"] {
            let q = format!("{f}(g[{range}])");
            let (start, end, step) = (0i64, 20_000_000i64, 37_000i64);
            let res = e.range_query(&st, &q, start, end, step).unwrap();
            let Value::Matrix(m) = res.value else { panic!("matrix expected") };
            let mut compared = 0;
            let mut t = start;
            while t <= end {
                let pinned = format!("{f}(g[{range}] @ {}.{:03})", t / 1000, t % 1000);
                let Value::Vector(v) = e.instant_query(&st, &pinned, t).unwrap().value else {
                    panic!("vector expected")
                };
                for s in &v {
                    let series = m
                        .iter()
                        .find(|r| r.labels == s.labels)
                        .unwrap_or_else(|| panic!("{q}: {:?} missing", s.labels));
                    let p = series.points.iter().find(|p| p.t == t).unwrap_or_else(|| panic!("{q} at {t}: no point"));
                    assert_eq!(p.v.to_bits(), s.v.to_bits(), "{q} at {t} for {:?}: {} vs {}", s.labels, p.v, s.v);
                    compared += 1;
                }
                // Nothing extra in the range result at this step.
                let n = m.iter().filter(|r| r.points.iter().any(|p| p.t == t)).count();
                assert_eq!(n, v.len(), "{q} at {t}");
                t += step;
            }
            assert!(compared > 1000, "{q}: only {compared} points compared");
        }
    }
}
