//! A stand-in for `argus check rules` / `argus test rules` while the binary
//! wiring is pending: `cargo run -p argus-rules --example rules_cli -- test FILE...`.

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("usage: rules_cli check|test [--coverage] FILE...");
        std::process::exit(2);
    };
    let coverage = rest.iter().any(|a| a == "--coverage");
    let files: Vec<PathBuf> = rest.iter().filter(|a| !a.starts_with("--")).map(PathBuf::from).collect();
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let code = match cmd.as_str() {
        "check" => argus_rules::check_rules_cli(
            &files,
            argus_rules::Lint { duplicate_rules: true, fatal: false },
            &mut out,
            &mut err,
        ),
        _ => {
            let opts = argus_rules::TestOptions { coverage, ..Default::default() };
            argus_rules::test_rules_cli(&files, &opts, &mut out, &mut err)
        }
    };
    std::process::exit(code);
}
