//! The `argus` binary: reads flags and config, builds each subsystem, starts
//! them, and stops them in reverse order on a signal. It holds no subsystem
//! logic; see ARCHITECTURE.md for where each part lives.

mod alerting;
mod api;
mod check_cmd;
mod cli;
mod config;
mod logging;
mod push_cmd;
mod query_cmd;
mod selfmetrics;
mod serve;
mod tsdb_cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Serve(args) => serve::run(*args),
        cli::Command::Tsdb(cmd) => tsdb_cmd::run(cmd),
        cli::Command::Check(cli::CheckCommand::Alertmanager { files }) => {
            let refs: Vec<&str> = files.iter().map(String::as_str).collect();
            Ok(emit(argus_alertmanager::amtool::check_config_output(&refs)))
        }
        cli::Command::Check(cli::CheckCommand::Config { syntax_only, expand_env, lint, files }) => {
            check_cmd::config(&files, syntax_only, expand_env, &lint)
        }
        cli::Command::Check(cli::CheckCommand::Rules { lint, files }) => check_cmd::rules(&files, &lint),
        cli::Command::Alertmanager(cli::AlertmanagerCommand::Drill { config_file, receiver }) => {
            check_cmd::drill(&config_file, receiver.as_deref())
        }
        cli::Command::Alertmanager(cli::AlertmanagerCommand::Routes(cmd)) => Ok(emit(match cmd {
            cli::RoutesCommand::Show { config_file } => argus_alertmanager::amtool::routes_show_file(&config_file),
            cli::RoutesCommand::Test { config_file, verify, tree, labels } => {
                let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
                argus_alertmanager::amtool::routes_test_file(&config_file, &refs, verify.as_deref(), tree)
            }
        })),
        cli::Command::Test(cli::TestCommand::Rules { run, coverage, files }) => {
            check_cmd::test_rules(&files, run.as_deref(), coverage)
        }
        cli::Command::Query(cmd) => query_cmd::run(cmd),
        cli::Command::Push(args) => push_cmd::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints a tool's output and turns its exit code into ours.
fn emit(out: argus_alertmanager::amtool::Output) -> ExitCode {
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    ExitCode::from(u8::try_from(out.code).unwrap_or(1))
}
