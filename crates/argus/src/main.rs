//! The `argus` binary: reads flags and config, builds each subsystem, starts
//! them, and stops them in reverse order on a signal. It holds no subsystem
//! logic; see ARCHITECTURE.md for where each part lives.

mod api;
mod cli;
mod config;
mod logging;
mod query_cmd;
mod selfmetrics;
mod serve;
mod tsdb_cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Serve(args) => serve::run(args),
        cli::Command::Tsdb(cmd) => tsdb_cmd::run(cmd),
        cli::Command::Check(_) => not_yet("check", 4),
        cli::Command::Test(_) => not_yet("test", 5),
        cli::Command::Query(cmd) => query_cmd::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Subcommands whose issue has not landed say so plainly instead of pretending.
fn not_yet(what: &str, issue: u32) -> anyhow::Result<ExitCode> {
    eprintln!("argus {what}: not implemented in this build yet (tracked in issue {issue})");
    Ok(ExitCode::from(2))
}
