//! The `feedbackd` binary: parse the command line, start logging, run the command.

use clap::Parser;
use feedbackd::cli::Cli;

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
