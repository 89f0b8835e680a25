//! `screen`: high-throughput screening of crystalline materials (command-line interface).
//!
//! A thin layer over `screen-engine`: argument parsing, progress bars, exit codes.
//! Exit codes: 0 success; 1 some input could not be read or processed (details on stderr,
//! everything else was still done); 2 usage error (bad arguments).

mod cli;
mod plugins;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(status) => status.into(),
        Err(e) => {
            eprintln!("error: {e}");
            cli::Status::Usage.into()
        }
    }
}
