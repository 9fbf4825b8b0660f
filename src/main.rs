//! The `feedbackd` binary: parse the command line, start logging, run the command.

use clap::Parser;
use feedbackd::cli::Cli;

/// mimalloc instead of glibc's malloc: requests allocate many small, short-lived values on
/// several threads, where glibc spent a quarter of an export's CPU in `malloc_consolidate`
/// and friends. Built without transparent huge pages (`no_thp`), which doubled the idle
/// resident memory (BENCHMARKS.md, "Allocator").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    feedbackd::telemetry::init(cli.global.log_format);
    match feedbackd::commands::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the whole cause chain on one line, which is what an operator needs.
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
