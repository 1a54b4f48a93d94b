//! The `mailgate` binary: parses the command line, sets up logging, and hands
//! over to the library. Errors are printed once, on one line, and mapped to
//! exit codes that an MTA and systemd understand.

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    cli::init_logging(&args);
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mailgate: {e:#}");
            if e.downcast_ref::<mailgate::config::ConfigError>().is_some() {
                ExitCode::from(cli::EXIT_CONFIG)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
