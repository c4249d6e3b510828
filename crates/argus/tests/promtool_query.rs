//! Debian's `promtool query ...` against a running argus: the client must
//! get the same kind of answers it gets from Prometheus.

mod util;

use std::process::Command;

fn promtool() -> Option<String> {
    let out = Command::new("sh").arg("-c").arg("command -v promtool").output().ok()?;
    let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !p.is_empty()).then_some(p)
}

/// Backfills a known series, serves it, and queries it with promtool.
#[test]
fn promtool_query_against_argus() {
    let Some(promtool) = promtool() else {
        eprintln!("promtool not installed: promtool query test not run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.om");
    let mut text = String::from("# TYPE http_requests counter\n");
    for i in 0..=20 {
        let t = 1_672_617_600 + i * 15;
        text.push_str(&format!("http_requests_total{{job=\"api\",code=\"200\"}} {} {t}\n", i * 3));
        text.push_str(&format!("http_requests_total{{job=\"api\",code=\"500\"}} {} {t}\n", i));
    }
    text.push_str("# EOF\n");
    std::fs::write(&input, text).unwrap();
    let data = dir.path().join("data");
    let r = util::run(&[
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        "--quiet",
        &input.display().to_string(),
        &data.display().to_string(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let s = util::Server::start(dir.path(), &["--storage.tsdb.retention.time=100y"]);
    let url = format!("http://127.0.0.1:{}", s.port);
    let run = |args: &[&str]| {
        let out = Command::new(&promtool).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    let (code, out, err) =
        run(&["query", "instant", "--time=1672617900", &url, "sum by (code) (rate(http_requests_total[5m]))"]);
    assert_eq!(code, Some(0), "{err}");
    // rate over exactly 20 intervals of 15 s: 3/15 and 1/15 per second.
    assert!(out.contains("{code=\"200\"} => 0.2 @[1672617900]"), "{out}");
    assert!(out.contains("{code=\"500\"} => 0.06666666666666667 @[1672617900]"), "{out}");

    let (code, out, err) = run(&[
        "query",
        "range",
        "--start=1672617600",
        "--end=1672617660",
        "--step=30s",
        &url,
        "http_requests_total{code=\"500\"}",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("0 @[1672617600]") && out.contains("2 @[1672617630]") && out.contains("4 @[1672617660]"),
        "{out}"
    );

    let (code, out, err) =
        run(&["query", "series", "--match=http_requests_total", "--start=1672617600", "--end=1672617900", &url]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");

    let (code, out, err) = run(&["query", "labels", "--start=1672617600", "--end=1672617900", &url, "code"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.split_whitespace().collect::<Vec<_>>(), vec!["200", "500"], "{out}");

    // `argus query` prints what promtool prints for the same queries.
    for args in [
        vec!["query", "instant", "--time=1672617900", url.as_str(), "sum by (code) (rate(http_requests_total[5m]))"],
        vec!["query", "instant", "--time=1672617900", url.as_str(), "http_requests_total"],
        vec![
            "query",
            "range",
            "--start=1672617600",
            "--end=1672617660",
            "--step=30s",
            url.as_str(),
            "http_requests_total",
        ],
        vec!["query", "labels", "--start=1672617600", "--end=1672617900", url.as_str(), "code"],
    ] {
        let (pcode, pout, _) = run(&args);
        let ours = util::run(&args);
        assert_eq!(ours.status.code(), pcode, "{args:?}: {}", String::from_utf8_lossy(&ours.stderr));
        assert_eq!(String::from_utf8_lossy(&ours.stdout), pout, "{args:?}");
    }

    // A bad query is an error promtool reports with the server's message.
    let (code, _, err) = run(&["query", "instant", &url, "sum(("]);
    assert_ne!(code, Some(0));
    assert!(err.contains("bad_data") || err.contains("parse error"), "{err}");
}
