//! One module per subcommand, and what they share.

use std::io::{self, Write};

use crate::cli::{Cli, Command, KeyCommand};
use crate::error::CliError;

pub mod extract;
pub mod inspect;
pub mod key;
pub mod verify;

/// What every command gets besides its own arguments.
pub struct Ctx {
    /// `--quiet`: no progress and no notes on standard error.
    pub quiet: bool,
}

impl Ctx {
    /// Prints `note: ...` on standard error, unless `--quiet`.
    pub fn note(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            // Nothing useful can be done if standard error is gone.
            let _ = writeln!(io::stderr(), "note: {msg}");
        }
    }
}

/// Runs the command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let ctx = Ctx { quiet: cli.quiet };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        Command::Inspect(args) => inspect::run(&ctx, &args, &mut out),
        Command::Verify(args) => verify::run(&ctx, &args, &mut out),
        Command::Extract(args) => extract::run(&ctx, &args, &mut out),
        Command::Key(KeyCommand::New(args)) => key::new(&ctx, &args, &mut out),
        Command::Key(KeyCommand::Show(args)) => key::show(&args, &mut out),
    }?;
    out.flush().map_err(CliError::Stdout)
}

/// Shorthand for writing a line to the command's output.
#[macro_export]
macro_rules! outln {
    ($out:expr) => {
        writeln!($out).map_err($crate::error::CliError::Stdout)?
    };
    ($out:expr, $($arg:tt)*) => {
        writeln!($out, $($arg)*).map_err($crate::error::CliError::Stdout)?
    };
}

/// `n` and `noun`, with an `s` unless `n` is 1: "1 record", "2 records".
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
