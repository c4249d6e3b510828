//! `argus check alertmanager` and `argus alertmanager routes` print what
//! amtool prints for the seeds' configs (when Debian's amtool is installed).

mod util;

use std::process::Command;

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/seeds");

fn amtool(args: &[&str]) -> Option<(Option<i32>, String)> {
    let out = Command::new("amtool").args(args).output().ok()?;
    Some((out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned()))
}

#[test]
fn same_output_as_amtool() {
    let seeds = std::path::Path::new(SEEDS);
    if !seeds.exists() {
        eprintln!("../shared/fixtures/seeds not found: test not run");
        return;
    }
    let am = seeds.join("alertmanager.yml").display().to_string();
    let lumen = seeds.join("lumen_alertmanager.yml").display().to_string();
    let cases: Vec<(Vec<String>, Vec<String>)> = vec![
        (vec!["check".into(), "alertmanager".into(), am.clone()], vec!["check-config".into(), am.clone()]),
        (vec!["check".into(), "alertmanager".into(), lumen.clone()], vec!["check-config".into(), lumen.clone()]),
        (
            vec!["alertmanager".into(), "routes".into(), "show".into(), format!("--config.file={lumen}")],
            vec!["config".into(), "routes".into(), "show".into(), format!("--config.file={lumen}")],
        ),
        (
            vec![
                "alertmanager".into(),
                "routes".into(),
                "test".into(),
                format!("--config.file={lumen}"),
                "severity=page".into(),
            ],
            vec![
                "config".into(),
                "routes".into(),
                "test".into(),
                format!("--config.file={lumen}"),
                "severity=page".into(),
            ],
        ),
        (
            vec![
                "alertmanager".into(),
                "routes".into(),
                "test".into(),
                format!("--config.file={am}"),
                "alertname=x".into(),
            ],
            vec!["config".into(), "routes".into(), "test".into(), format!("--config.file={am}"), "alertname=x".into()],
        ),
    ];
    for (ours, theirs) in cases {
        let a: Vec<&str> = ours.iter().map(String::as_str).collect();
        let out = util::run(&a);
        let got = (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned());
        assert_eq!(got.0, Some(0), "{ours:?}: {}", String::from_utf8_lossy(&out.stderr));
        let t: Vec<&str> = theirs.iter().map(String::as_str).collect();
        match amtool(&t) {
            Some(want) => assert_eq!(got, want, "{ours:?}"),
            None => eprintln!("amtool not installed: compared exit codes only"),
        }
    }
}
