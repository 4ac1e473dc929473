//! `coffer`: inspect, verify and extract Coffer browser backups from the
//! command line, and manage master-key files.
//!
//! Everything about the backup format and its cryptography lives in
//! `coffer-engine`; this crate parses arguments, reads and writes files and
//! turns outcomes into messages and exit statuses:
//!
//! - 0: success (for `verify`: the backup is sound);
//! - 1: the backup is invalid (damaged, altered, not a backup, ...);
//! - 2: usage or I/O error, including missing or wrong keys and passphrases.
//!
//! A closed standard output (`coffer inspect x | head -1`) is not an error.

#![deny(clippy::unwrap_used)]

mod backup;
mod cli;
mod commands;
mod error;
mod progress;
mod remote;
mod secrets;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::error::EXIT_OK;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits with status 2 (0 for --help).
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) if e.is_broken_pipe() => ExitCode::from(EXIT_OK),
        Err(e) => {
            let stderr = io::stderr();
            let mut err = stderr.lock();
            let _ = error::report(&e, &mut err);
            let _ = err.flush();
            ExitCode::from(e.exit_code())
        }
    }
}
