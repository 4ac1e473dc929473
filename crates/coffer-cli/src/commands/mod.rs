//! One module per subcommand, and what they share.

use std::io::{self, Write};

use coffer_engine::{Authentication, Unauthenticated};

use crate::cli::{Cli, Command, KeyCommand, RemoteCommand};
use crate::error::CliError;

pub mod extract;
pub mod inspect;
pub mod key;
pub mod remote;
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
        Command::Remote(RemoteCommand::List(args)) => remote::list(&args, &mut out),
        Command::Remote(RemoteCommand::Get(args)) => remote::get(&ctx, &args, &mut out),
        Command::Remote(RemoteCommand::Verify(args)) => remote::verify(&ctx, &args, &mut out),
        Command::Remote(RemoteCommand::Put(args)) => remote::put(&args, &mut out),
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

/// Says whether a backup is authenticated (FORMAT.md §3.4), and what it
/// means when it is not.
pub fn authentication_text(a: &Authentication) -> String {
    match a {
        Authentication::Verified { key_id } => {
            format!("authenticated: manifest MAC verified with key id {key_id}")
        }
        Authentication::Unauthenticated {
            reason: Unauthenticated::KeyNotGiven { key_id },
        } => format!(
            "UNAUTHENTICATED: the manifest MAC was not checked (no key given; pass --key with the key file of key id {key_id}); until it is, anyone could have altered this backup"
        ),
        // No MAC, or anything this build does not know: never "verified".
        _ => "UNAUTHENTICATED: the backup carries no manifest MAC (it was made without a master key); anyone could have altered it, its hashes only catch accidental damage".to_owned(),
    }
}

/// The authentication state as JSON: `"verified"`, `"no-mac"` or
/// `"key-not-given"`.
pub fn authentication_code(a: &Authentication) -> &'static str {
    match a {
        Authentication::Verified { .. } => "verified",
        Authentication::Unauthenticated {
            reason: Unauthenticated::KeyNotGiven { .. },
        } => "key-not-given",
        _ => "no-mac",
    }
}
