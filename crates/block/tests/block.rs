//! Round-trip, matcher-semantics and corruption tests at the crate boundary.

use std::path::{Path, PathBuf};

use argus_block::{Block, BlockWriter, Error, RunRef, SeriesId, WriterOptions, list_blocks, remove_tmp_dirs};
use argus_model::{Labels, MatchOp, Matcher};

/// Deterministic label sets: some series lack `method` or `le`, so empty-match rules matter.
fn label_sets(n: usize) -> Vec<Labels> {
    let mut v: Vec<Labels> = (0..n)
        .map(|i| {
            let mut pairs = vec![
                ("__name__", format!("metric_{}", i % 7)),
                ("instance", format!("host-{:03}", i % 53)),
                ("job", ["api", "web", "db"][i % 3].to_string()),
                ("series", i.to_string()),
            ];
            if i % 4 != 0 {
                pairs.push(("method", ["GET", "POST", "PUT"][i % 3].to_string()));
            }
            if i % 5 == 0 {
                pairs.push(("le", format!("0.{}", i % 11)));
            }
            Labels::from_pairs(pairs)
        })
        .collect();
    v.sort();
    v
}

/// Runs for series `i`: 0..3 runs whose bytes depend on `i`.
fn runs_for(i: usize) -> Vec<(i64, i64, u32, Vec<u8>)> {
    (0..i % 4)
        .map(|r| {
            let t = r as i64 * 1000;
            let bytes: Vec<u8> = (0..(i * 7 + r * 13) % 300).map(|k| (k * 31 + i + r) as u8).collect();
            (t, t + 999, (i % 120) as u32 + 1, bytes)
        })
        .collect()
}

fn write_block(dir: &Path, sets: &[Labels], opts: WriterOptions) -> PathBuf {
    let mut w = BlockWriter::new(dir, 0, 3999, opts).unwrap();
    for (i, ls) in sets.iter().enumerate() {
        let runs = runs_for(i);
        let refs: Vec<RunRef<'_>> =
            runs.iter().map(|(a, b, n, bytes)| RunRef { min_time: *a, max_time: *b, num_samples: *n, bytes }).collect();
        w.add_series(ls, &refs).unwrap();
    }
    let meta = w.finish().unwrap();
    dir.join(meta.ulid.to_string())
}

fn m(op: MatchOp, name: &str, value: &str) -> Matcher {
    Matcher::new(op, name, value).unwrap()
}

fn brute(sets: &[Labels], ms: &[Matcher]) -> Vec<SeriesId> {
    sets.iter()
        .enumerate()
        .filter(|(_, ls)| ms.iter().all(|m| m.matches(ls.get(&m.name).unwrap_or(""))))
        .map(|(i, _)| SeriesId(i as u32))
        .collect()
}

#[test]
fn roundtrip_and_matchers() {
    let tmp = tempfile::tempdir().unwrap();
    let sets = label_sets(3000);
    let dir = write_block(tmp.path(), &sets, WriterOptions { series_per_block: 50, ..Default::default() });
    let b = Block::open(&dir).unwrap();
    assert_eq!(b.num_series(), 3000);
    assert_eq!(b.meta().stats.num_series, 3000);
    assert_eq!(b.meta().compaction.sources, vec![b.meta().ulid]);

    // Every series and every run round-trips, by ID and by iteration.
    for (i, item) in b.series_iter().enumerate() {
        let (id, ls, runs) = item.unwrap();
        assert_eq!(id, SeriesId(i as u32));
        assert_eq!(ls, sets[i]);
        let want = runs_for(i);
        assert_eq!(runs.len(), want.len());
        for (r, (a, z, n, bytes)) in runs.iter().zip(&want) {
            assert_eq!((r.min_time, r.max_time, r.num_samples), (*a, *z, *n));
            assert_eq!(b.run_bytes(r).unwrap(), bytes.as_slice());
        }
        if i % 97 == 0 {
            assert_eq!(b.series(id).unwrap(), (ls, runs));
        }
    }
    assert!(b.series(SeriesId(3000)).is_err());

    use MatchOp::*;
    let cases: Vec<Vec<Matcher>> = vec![
        vec![],
        vec![m(Equal, "job", "api")],
        vec![m(Equal, "job", "nope")],
        vec![m(Equal, "nolabel", "x")],
        vec![m(NotEqual, "job", "api")],
        vec![m(Equal, "method", "")],
        vec![m(NotEqual, "method", "")],
        vec![m(Equal, "nolabel", "")],
        vec![m(NotEqual, "nolabel", "")],
        vec![m(Re, "instance", "host-0[0-2].*")],
        vec![m(Re, "method", "GET|")],
        vec![m(Re, "method", ".*")],
        vec![m(Re, "method", ".+")],
        vec![m(NotRe, "method", "GET|POST")],
        vec![m(NotRe, "method", "")],
        vec![m(NotRe, "le", ".*")],
        vec![m(Re, "le", "0\\.[1-3]"), m(Equal, "job", "web")],
        vec![m(Equal, "__name__", "metric_3"), m(NotEqual, "instance", "host-007"), m(Re, "method", "P.*")],
        vec![m(Equal, "__name__", "metric_3"), m(NotRe, "le", "0\\.1|"), m(Equal, "method", "")],
        vec![m(NotEqual, "job", "api"), m(NotRe, "instance", "host-00.")],
        vec![m(Equal, "job", "api"), m(Equal, "job", "web")],
    ];
    for ms in &cases {
        assert_eq!(b.select(ms).unwrap(), brute(&sets, ms), "{ms:?}");
    }

    // Label names and values, with and without matchers.
    assert_eq!(b.label_names(&[]).unwrap(), ["__name__", "instance", "job", "le", "method", "series"]);
    assert_eq!(
        b.label_names(&[m(Equal, "method", ""), m(Equal, "le", "")]).unwrap(),
        ["__name__", "instance", "job", "series"]
    );
    assert_eq!(b.label_values("job", &[]).unwrap(), ["api", "db", "web"]);
    assert!(b.label_values("nolabel", &[]).unwrap().is_empty());
    let sel = [m(Equal, "__name__", "metric_1"), m(Re, "instance", "host-00[0-4]")];
    let mut want: Vec<String> =
        brute(&sets, &sel).iter().filter_map(|id| sets[id.0 as usize].get("method").map(str::to_string)).collect();
    want.sort();
    want.dedup();
    assert_eq!(b.label_values("method", &sel).unwrap(), want);

    let rep = b.verify().unwrap();
    assert_eq!(rep.series, 3000);
    assert_eq!(rep.samples, b.meta().stats.num_samples);
    assert_eq!(b.size_bytes(), argus_block::dir_size(&dir).unwrap());
}

#[test]
fn block_is_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<Block>();
}

#[test]
fn unsorted_input_is_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = BlockWriter::new(tmp.path(), 0, 10, WriterOptions::default()).unwrap();
    w.add_series(&Labels::from_pairs([("a", "2")]), &[]).unwrap();
    let e = w.add_series(&Labels::from_pairs([("a", "1")]), &[]).unwrap_err();
    assert!(e.to_string().contains("label order"), "{e}");
    assert!(w.add_series(&Labels::from_pairs([("a", "2")]), &[]).is_err());
    let bad = RunRef { min_time: 5, max_time: 4, num_samples: 1, bytes: b"" };
    assert!(w.add_series(&Labels::from_pairs([("a", "3")]), &[bad]).is_err());
}

#[test]
fn empty_block() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_block(tmp.path(), &[], WriterOptions::default());
    let b = Block::open(&dir).unwrap();
    assert_eq!(b.num_series(), 0);
    assert!(b.select(&[]).unwrap().is_empty());
    assert!(b.label_names(&[]).unwrap().is_empty());
    b.verify().unwrap();
}

#[test]
fn tmp_dir_is_not_a_block() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = BlockWriter::new(tmp.path(), 0, 10, WriterOptions::default()).unwrap();
    w.add_series(&Labels::from_pairs([("a", "1")]), &[]).unwrap();
    let tmp_dir = tmp.path().join(format!("{}.tmp", w.ulid()));
    assert!(tmp_dir.is_dir());
    assert!(matches!(Block::open(&tmp_dir), Err(Error::NotABlock { .. })));
    // Simulate a crash: the writer never finishes and its Drop never runs.
    std::mem::forget(w);
    assert!(list_blocks(tmp.path()).unwrap().is_empty());
    assert_eq!(remove_tmp_dirs(tmp.path()).unwrap(), vec![tmp_dir.clone()]);
    assert!(!tmp_dir.exists());

    // A finished block is listed; an abandoned writer cleans up after itself.
    let dir = write_block(tmp.path(), &label_sets(3), WriterOptions::default());
    let w = BlockWriter::new(tmp.path(), 0, 10, WriterOptions::default()).unwrap();
    drop(w);
    assert_eq!(list_blocks(tmp.path()).unwrap(), vec![dir]);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

/// Opens (and, if that works, fully reads) a block; must never panic.
fn open_and_read(dir: &Path) -> Result<(), Error> {
    let b = Block::open(dir)?;
    b.verify()?;
    for ms in [vec![], vec![m(MatchOp::Re, "job", "a.*")], vec![m(MatchOp::NotEqual, "method", "GET")]] {
        for id in b.select(&ms)? {
            let (_, runs) = b.series(id)?;
            for r in &runs {
                b.run_bytes(r)?;
            }
        }
    }
    b.label_names(&[m(MatchOp::Equal, "job", "api")])?;
    b.label_values("method", &[m(MatchOp::Equal, "job", "api")])?;
    Ok(())
}

fn corrupt_file_at_many_offsets(file: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let sets = label_sets(400);
    let dir = write_block(tmp.path(), &sets, WriterOptions { series_per_block: 16, ..Default::default() });
    let path = dir.join(file);
    let orig = std::fs::read(&path).unwrap();
    open_and_read(&dir).unwrap();
    let step = (orig.len() / 700).max(1);
    let mut detected = 0;
    let mut tried = 0;
    for off in (0..orig.len()).step_by(step) {
        let mut bad = orig.clone();
        bad[off] ^= 0x5a;
        std::fs::write(&path, &bad).unwrap();
        tried += 1;
        if let Err(e) = open_and_read(&dir) {
            detected += 1;
            let s = e.to_string();
            assert!(s.contains(file), "error does not name the file: {s}");
        }
    }
    // Every byte of both files is covered by a checksum.
    assert_eq!(detected, tried, "{file}: some flips went unnoticed");
    for len in [0, 3, 8, orig.len() / 2, orig.len() - 1] {
        std::fs::write(&path, &orig[..len]).unwrap();
        let e = open_and_read(&dir).unwrap_err().to_string();
        assert!(e.contains(file), "{e}");
    }
    let mut longer = orig.clone();
    longer.extend_from_slice(b"junk");
    std::fs::write(&path, &longer).unwrap();
    assert!(open_and_read(&dir).is_err());
}

#[test]
fn corrupt_index_is_an_error() {
    corrupt_file_at_many_offsets("index");
}

#[test]
fn corrupt_chunks_is_an_error() {
    corrupt_file_at_many_offsets("chunks");
}

#[test]
fn bad_meta_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_block(tmp.path(), &label_sets(10), WriterOptions::default());
    std::fs::write(dir.join("meta.json"), b"{not json").unwrap();
    assert!(matches!(Block::open(&dir), Err(Error::Meta { .. })));
    std::fs::remove_file(dir.join("meta.json")).unwrap();
    assert!(Block::open(&dir).is_err());
}

#[test]
fn compaction_history_is_recorded() {
    use argus_block::{BlockDesc, Compaction, Ulid};
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (Ulid::new(), Ulid::new());
    let parents =
        vec![BlockDesc { ulid: a, min_time: 0, max_time: 9 }, BlockDesc { ulid: b, min_time: 10, max_time: 19 }];
    let opts = WriterOptions {
        compaction: Compaction { level: 2, sources: vec![a, b], parents: parents.clone() },
        ..Default::default()
    };
    let dir = write_block(tmp.path(), &label_sets(20), opts);
    let blk = Block::open(&dir).unwrap();
    let meta = blk.meta();
    assert_eq!(meta.compaction.level, 2);
    assert_eq!(meta.compaction.sources, vec![a, b]);
    assert_eq!(meta.compaction.parents, parents);
    assert_eq!(dir.file_name().unwrap().to_str().unwrap(), meta.ulid.to_string());
    assert_eq!((meta.min_time, meta.max_time), (0, 3999));
    let json = std::fs::read_to_string(dir.join("meta.json")).unwrap();
    for key in
        ["\"minTime\"", "\"maxTime\"", "\"numSamples\"", "\"numSeries\"", "\"numRuns\"", "\"level\"", "\"sources\""]
    {
        assert!(json.contains(key), "{key} missing from {json}");
    }
}

#[test]
fn error_names_file_and_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_block(tmp.path(), &label_sets(50), WriterOptions::default());
    let path = dir.join("index");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[20] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let e = Block::open(&dir).unwrap_err().to_string();
    assert!(e.starts_with("cannot read block ") && e.contains("/index: ") && e.contains("at offset 8"), "{e}");
}

#[test]
fn label_names_for_large_and_small_selections() {
    let tmp = tempfile::tempdir().unwrap();
    let sets = label_sets(3000);
    let dir = write_block(tmp.path(), &sets, WriterOptions::default());
    let b = Block::open(&dir).unwrap();
    use MatchOp::*;
    for ms in [
        vec![m(Equal, "job", "api")],
        vec![m(Equal, "le", "")],
        vec![m(Re, "le", ".+")],
        vec![m(Equal, "series", "17")],
        vec![m(Equal, "series", "20"), m(Equal, "method", "")],
        vec![m(Equal, "job", "nope")],
    ] {
        let mut want: Vec<String> =
            brute(&sets, &ms).iter().flat_map(|id| sets[id.0 as usize].iter().map(|l| l.name.to_string())).collect();
        want.sort();
        want.dedup();
        assert_eq!(b.label_names(&ms).unwrap(), want, "{ms:?}");
    }
}

#[test]
fn series_of_handles_any_id_order_and_shared_use() {
    let tmp = tempfile::tempdir().unwrap();
    let sets = label_sets(1000);
    let dir = write_block(tmp.path(), &sets, WriterOptions { series_per_block: 32, ..Default::default() });
    let b = std::sync::Arc::new(Block::open(&dir).unwrap());
    let ids: Vec<SeriesId> = [999u32, 3, 3, 40, 31, 32, 0, 500].into_iter().map(SeriesId).collect();
    let got: Vec<Labels> = b.series_of(&ids).map(|s| s.unwrap().1).collect();
    let want: Vec<Labels> = ids.iter().map(|id| sets[id.0 as usize].clone()).collect();
    assert_eq!(got, want);
    assert!(b.series_of(&[SeriesId(1000)]).next().unwrap().is_err());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let b = b.clone();
            let sets = sets.clone();
            std::thread::spawn(move || {
                for (i, s) in b.series_iter().enumerate().skip(t * 100).take(300) {
                    assert_eq!(s.unwrap().1, sets[i]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // Reopening many times gives the same block.
    for _ in 0..20 {
        let again = Block::open(&dir).unwrap();
        assert_eq!(again.meta(), b.meta());
        assert_eq!(again.select(&[]).unwrap().len(), 1000);
    }
}

#[test]
fn extreme_timestamps_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = BlockWriter::new(tmp.path(), -5, 5, WriterOptions::default()).unwrap();
    let runs = [
        RunRef { min_time: i64::MIN, max_time: i64::MAX, num_samples: u32::MAX, bytes: b"a" },
        RunRef { min_time: -10, max_time: -10, num_samples: 0, bytes: b"" },
        RunRef { min_time: i64::MAX, max_time: i64::MAX, num_samples: 1, bytes: b"bc" },
    ];
    w.add_series(&Labels::from_pairs([("a", "1")]), &runs).unwrap();
    let dir = tmp.path().join(w.finish().unwrap().ulid.to_string());
    let b = Block::open(&dir).unwrap();
    let (_, got) = b.series(SeriesId(0)).unwrap();
    for (g, r) in got.iter().zip(&runs) {
        assert_eq!((g.min_time, g.max_time, g.num_samples), (r.min_time, r.max_time, r.num_samples));
        assert_eq!(b.run_bytes(g).unwrap(), r.bytes);
    }
    assert!(got[0].overlaps(0, 0) && !got[1].overlaps(-9, 100));
    b.verify().unwrap();
}

/// The compactor's use: merge two blocks' series in label order, copying run bytes.
#[test]
fn merge_two_blocks_through_the_public_api() {
    use argus_block::Compaction;
    let tmp = tempfile::tempdir().unwrap();
    let all = label_sets(600);
    let a_sets: Vec<Labels> = all.iter().step_by(2).cloned().collect();
    let b_sets: Vec<Labels> = all.iter().skip(1).step_by(3).cloned().collect();
    let a = Block::open(&write_block(tmp.path(), &a_sets, WriterOptions::default())).unwrap();
    let b = Block::open(&write_block(tmp.path(), &b_sets, WriterOptions::default())).unwrap();

    let out_dir = tempfile::tempdir().unwrap();
    let compaction = Compaction {
        level: 2,
        sources: vec![a.meta().ulid, b.meta().ulid],
        parents: vec![a.meta().desc(), b.meta().desc()],
    };
    let mut w = BlockWriter::new(out_dir.path(), 0, 3999, WriterOptions { compaction, ..Default::default() }).unwrap();
    let mut ia = a.series_iter().map(Result::unwrap).peekable();
    let mut ib = b.series_iter().map(Result::unwrap).peekable();
    loop {
        let (ls, runs) = match (ia.peek(), ib.peek()) {
            (None, None) => break,
            (Some(x), Some(y)) if x.1 == y.1 => {
                let (_, ls, mut r) = ia.next().unwrap();
                let src_a = r.len();
                r.extend(ib.next().unwrap().2);
                let bytes: Vec<&[u8]> = r
                    .iter()
                    .enumerate()
                    .map(|(i, m)| if i < src_a { a.run_bytes(m).unwrap() } else { b.run_bytes(m).unwrap() })
                    .collect();
                (
                    ls,
                    r.iter()
                        .zip(bytes)
                        .map(|(m, bytes)| (m.min_time, m.max_time, m.num_samples, bytes.to_vec()))
                        .collect::<Vec<_>>(),
                )
            }
            (Some(x), y) if y.is_none_or(|y| x.1 < y.1) => {
                let (_, ls, r) = ia.next().unwrap();
                (
                    ls,
                    r.iter()
                        .map(|m| (m.min_time, m.max_time, m.num_samples, a.run_bytes(m).unwrap().to_vec()))
                        .collect(),
                )
            }
            _ => {
                let (_, ls, r) = ib.next().unwrap();
                (
                    ls,
                    r.iter()
                        .map(|m| (m.min_time, m.max_time, m.num_samples, b.run_bytes(m).unwrap().to_vec()))
                        .collect(),
                )
            }
        };
        let refs: Vec<RunRef<'_>> =
            runs.iter().map(|(x, y, n, bytes)| RunRef { min_time: *x, max_time: *y, num_samples: *n, bytes }).collect();
        w.add_series(&ls, &refs).unwrap();
    }
    let meta = w.finish().unwrap();
    let merged = Block::open(&out_dir.path().join(meta.ulid.to_string())).unwrap();
    let mut want: Vec<Labels> = a_sets.iter().chain(&b_sets).cloned().collect();
    want.sort();
    want.dedup();
    assert_eq!(merged.num_series() as usize, want.len());
    assert_eq!(merged.meta().stats.num_samples, a.meta().stats.num_samples + b.meta().stats.num_samples);
    assert_eq!(merged.meta().compaction.parents.len(), 2);
    merged.verify().unwrap();
}
