//! Range functions over selections large enough to be slid on several
//! threads (batches of 512 series) must give exactly what the same function
//! gives one series at a time, in the same order, and fail on limits the same way.

use argus_model::storage::MemStorage;
use argus_model::{Labels, Sample};
use argus_promql::{Engine, EngineOpts, Value};

const SERIES: usize = 1200;

fn storage() -> MemStorage {
    let st = MemStorage::new();
    for i in 0..SERIES {
        let ls = Labels::from_pairs([("__name__", "c".to_string()), ("i", format!("{i:04}"))]);
        // Counters with a reset in some series and gaps in others.
        let samples: Vec<Sample> = (0..240i64)
            .filter(|k| i % 7 != 3 || !(100..130).contains(k))
            .map(|k| {
                let v = if i % 5 == 1 && k >= 150 { (k - 150) * 2 } else { k * (i as i64 % 13 + 1) };
                Sample::new(k * 15_000 + (i as i64 % 11), v as f64)
            })
            .collect();
        st.add(ls, &samples);
    }
    st
}

fn matrix(v: Value) -> Vec<(Labels, Vec<(i64, u64)>)> {
    let Value::Matrix(m) = v else { panic!("want matrix") };
    m.into_iter().map(|s| (s.labels, s.points.iter().map(|p| (p.t, p.v.to_bits())).collect())).collect()
}

#[test]
fn parallel_slide_equals_one_series_at_a_time() {
    let st = storage();
    let e = Engine::default();
    for f in ["rate(c[5m])", "max_over_time(c[10m])", "resets(c[15m])", "quantile_over_time(0.9, c[5m])"] {
        let all = matrix(e.range_query(&st, f, 0, 3_600_000, 60_000).unwrap().value);
        assert!(all.len() >= SERIES - 1, "{f}: {} series", all.len());
        for i in (0..SERIES).step_by(97) {
            let one = f.replace("c[", &format!("c{{i=\"{i:04}\"}}["));
            let want = matrix(e.range_query(&st, &one, 0, 3_600_000, 60_000).unwrap().value);
            let got: Vec<_> = all.iter().filter(|(l, _)| l.get("i") == Some(&format!("{i:04}"))).cloned().collect();
            assert_eq!(got, want, "{f}, series {i}");
        }
        let mut sorted = all.clone();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        assert!(all.iter().map(|s| &s.0).eq(sorted.iter().map(|s| &s.0)), "{f}: label order");
    }
}

#[test]
fn parallel_slide_fails_on_the_sample_limit() {
    let st = storage();
    // 61 outputs per series: the limit is crossed in the middle of the first batch.
    let e = Engine::new(EngineOpts { max_samples: 61 * 300, ..EngineOpts::default() });
    let err = e.range_query(&st, "rate(c[5m])", 0, 3_600_000, 60_000).unwrap_err();
    assert_eq!(err.to_string(), "query processing would load too many samples into memory in query execution");
    let e = Engine::new(EngineOpts { max_samples: 61 * SERIES + 1000, ..EngineOpts::default() });
    assert!(e.range_query(&st, "rate(c[5m])", 0, 3_600_000, 60_000).is_ok());
}
