//! The `feedbackd` binary: parse the command line, start logging, run the command.

use clap::Parser;
use feedbackd::cli::Cli;

/// mimalloc instead of glibc's malloc: requests allocate many small, short-lived values on
/// several threads, where glibc spent a quarter of an export's CPU in `malloc_consolidate`
/// and friends. Built without transparent huge pages (`no_thp`), which doubled the idle
/// resident memory (BENCHMARKS.md, "Allocator").
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (mimalloc.h; the Rust bindings name no constant).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // Pages freed by a burst are given back to the system at once, not after mimalloc's
    // default second: a thread that goes idle right after a burst never gets to purge, so
    // under 512 connections the difference stayed resident for good (BENCHMARKS.md, "Memory
    // per answer in flight": throughput within the runs' spread; the latency cost is still to
    // be measured at a constant rate). MIMALLOC_PURGE_DELAY still wins.
    if cfg!(not(feature = "system-allocator")) && std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets an option, before any thread but this one exists.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
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
