//! The command line, declared with clap's derive API.
//!
//! Every command and flag carries a short `about` for `-h` and, where it
//! helps, a longer text for `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The exit-status text, as a literal so it can be `concat!`ed.
macro_rules! exit_codes_text {
    () => {
        "Exit status:
  0  success (for verify: the backup is sound)
  1  the backup is invalid: damaged, altered, truncated, not a Coffer backup,
     of an unsupported version, or beyond the configured limits
  2  usage or I/O error: bad arguments, unreadable or unwritable files, a
     missing or wrong key or passphrase, an invalid key file"
    };
}

/// What the exit status means; shown at the end of every `--help`.
pub const EXIT_CODES: &str = exit_codes_text!();

/// `--help` epilogue of the commands that take passphrase files.
const SECRET_FILES_AND_EXIT_CODES: &str = concat!(
    "Passphrase files: the passphrase is the first line of the file, without its
line ending (LF or CRLF); anything after the first line is ignored, and
other whitespace is kept. Passphrases are wiped from memory after use.

",
    exit_codes_text!()
);

/// `coffer`: inspect, verify and extract Coffer browser backups.
#[derive(Debug, Parser)]
#[command(
    name = "coffer",
    version,
    about = "Inspect, verify and extract Coffer browser backups",
    long_about = "Inspect, verify and extract Coffer browser backups, and manage \
                  master-key files.\n\n\
                  Backups are read with all of Coffer's validation: nothing is \
                  trusted before it has been checked, and every size and count \
                  the file claims is held to limits (see --max-size, --max-ratio).",
    after_long_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    /// Show no progress bar and no notes on standard error (errors are still shown).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what a backup holds: databases, stores, record counts, sizes, key id
    #[command(
        long_about = "Show what a backup holds: databases, stores, record counts, sizes, \
                      encrypted stores, key id, format and Coffer version, creation time.\n\n\
                      Only the manifest and the archive structure are checked; use \
                      `coffer verify` to check every byte. A locked backup opened without \
                      --passphrase-file or --key is reported as locked, with the ways it \
                      can be unlocked.",
        after_long_help = SECRET_FILES_AND_EXIT_CODES
    )]
    Inspect(InspectArgs),

    /// Check every byte of a backup (with --key: the MAC and every sealed record too)
    #[command(
        long_about = "Check every byte of a backup: the archive structure, the manifest, \
                      every entry's size and hash, record framing, and every key and value.\n\n\
                      With --key, also check that the key is the backup's, verify the manifest \
                      authentication code and open every sealed record of the encrypted stores. \
                      Without it, those checks are skipped and the output says so.\n\n\
                      Exits 0 when the backup is sound and non-zero otherwise.",
        after_long_help = SECRET_FILES_AND_EXIT_CODES
    )]
    Verify(VerifyArgs),

    /// Write every store out as JSON Lines, with binary bodies as files
    #[command(
        long_about = "Write every store out as JSON Lines, one record per line, in Coffer's \
                      tagged-JSON form: {\"key\": KEY, \"value\": VALUE}. Binary bodies \
                      (ArrayBuffers, typed arrays, Blobs, Files) are written as files and the \
                      JSON names them by a path relative to the .jsonl file.\n\n\
                      Layout of --out DIR:\n  \
                      manifest.json                         the backup's manifest, as is\n  \
                      index.json                            which file holds which store\n  \
                      NNN-<database>/NNN-<store>.jsonl      the records\n  \
                      NNN-<database>/files/NNNNNN.bin       binary bodies\n  \
                      local-storage.json                    localStorage items, in order\n  \
                      opfs/<path>                           the origin private file system\n  \
                      caches/NNN-<cache>/index.json         requests and responses\n  \
                      caches/NNN-<cache>/NNNNNN.bin         response bodies\n\n\
                      Names are made safe for any file system: separators, control \
                      characters and other unsafe characters become '_', and names are \
                      shortened; index.json maps them back to the real names.\n\n\
                      Encrypted stores are decrypted with --key. Without it their records are \
                      kept sealed: {\"key\": KEY, \"sealed\": BASE64-ENVELOPE}.\n\n\
                      Every entry is verified as it is read; extraction stops at the first \
                      problem.",
        after_long_help = SECRET_FILES_AND_EXIT_CODES
    )]
    Extract(ExtractArgs),

    /// Create and examine master-key files
    #[command(subcommand)]
    Key(KeyCommand),

    /// List, fetch, verify and upload backups on S3-compatible storage or WebDAV
    #[command(subcommand)]
    Remote(RemoteCommand),
}

/// `--help` epilogue of the remote commands.
const REMOTE_HELP: &str = concat!(
    "Destinations: --s3 ENDPOINT with --bucket, --access-key-id and the secret, or
--webdav URL with --user and the password. The secret or password is the
first line of --secret-file FILE, or else the COFFER_REMOTE_SECRET
environment variable; it never appears in output or errors. Only files
Coffer writes (coffer-backup-….zip) are listed, fetched or verified.

",
    exit_codes_text!()
);

/// The remote subcommands.
#[derive(Debug, Subcommand)]
pub enum RemoteCommand {
    /// List the backups on a destination: name, size, date
    #[command(after_long_help = REMOTE_HELP)]
    List(RemoteListArgs),

    /// Download a backup, verify all of it, then write it to --out
    #[command(
        long_about = "Download a backup and verify every byte of it (as `coffer verify` does) \
                      before anything is written to --out: a damaged, altered or truncated \
                      download leaves no file behind. An existing --out is never overwritten.",
        after_long_help = REMOTE_HELP
    )]
    Get(RemoteGetArgs),

    /// Download a backup and verify every byte of it, writing nothing
    #[command(after_long_help = REMOTE_HELP)]
    Verify(RemoteVerifyArgs),

    /// Upload a backup file (multipart on S3 for large files)
    #[command(
        long_about = "Upload a backup file. On S3, files larger than one part (8 MiB) go up \
                      as a multipart upload: a failed part is sent again up to 3 times; when \
                      it keeps failing the upload is aborted, so no half-written object and no \
                      stored parts remain.",
        after_long_help = REMOTE_HELP
    )]
    Put(RemotePutArgs),
}

/// Where the backups are.
#[derive(Debug, Args, Clone)]
pub struct DestinationArgs {
    /// S3-compatible endpoint, e.g. https://s3.eu-central-1.amazonaws.com
    #[arg(
        long,
        value_name = "URL",
        required_unless_present = "webdav",
        conflicts_with = "webdav"
    )]
    pub s3: Option<String>,

    /// S3 region
    #[arg(long, default_value = "us-east-1")]
    pub region: String,

    /// S3 bucket
    #[arg(long, required_unless_present = "webdav")]
    pub bucket: Option<String>,

    /// Folder in the bucket, e.g. backups/laptop
    #[arg(long, default_value = "")]
    pub prefix: String,

    /// S3 access key id
    #[arg(long, value_name = "ID", required_unless_present = "webdav")]
    pub access_key_id: Option<String>,

    /// WebDAV collection URL, e.g. https://cloud.example/remote.php/dav/files/me/backups/
    #[arg(long, value_name = "URL")]
    pub webdav: Option<String>,

    /// WebDAV user
    #[arg(long, required_unless_present = "s3")]
    pub user: Option<String>,

    /// File whose first line is the S3 secret key or the WebDAV password
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
}

/// `coffer remote list`.
#[derive(Debug, Args)]
pub struct RemoteListArgs {
    /// The destination.
    #[command(flatten)]
    pub destination: DestinationArgs,

    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

/// `coffer remote get`.
#[derive(Debug, Args)]
pub struct RemoteGetArgs {
    /// The backup's name on the destination
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Where to write it (must not exist)
    #[arg(short, long, value_name = "FILE")]
    pub out: PathBuf,

    /// The destination.
    #[command(flatten)]
    pub destination: DestinationArgs,

    /// How to unlock the backup.
    #[command(flatten)]
    pub unlock: UnlockArgs,

    /// Limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// `coffer remote verify`.
#[derive(Debug, Args)]
pub struct RemoteVerifyArgs {
    /// The backup's name on the destination
    #[arg(value_name = "NAME")]
    pub name: String,

    /// The destination.
    #[command(flatten)]
    pub destination: DestinationArgs,

    /// How to unlock the backup.
    #[command(flatten)]
    pub unlock: UnlockArgs,

    /// Limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// `coffer remote put`.
#[derive(Debug, Args)]
pub struct RemotePutArgs {
    /// The backup file
    #[arg(value_name = "BACKUP")]
    pub file: PathBuf,

    /// Name on the destination [default: the file's name]
    #[arg(long)]
    pub name: Option<String>,

    /// The destination.
    #[command(flatten)]
    pub destination: DestinationArgs,

    /// Size of multipart parts (at least 5M)
    #[arg(long, value_name = "BYTES", value_parser = parse_size, default_value = "8M", hide = true)]
    pub part_size: u64,
}

/// The key-file subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a new random master key and write it to a key file
    #[command(
        long_about = "Create a new random master key and write it to a new key file. \
                      Only the key id is printed.\n\n\
                      With --passphrase-file the key is wrapped under a key derived from the \
                      passphrase with Argon2id (64 MiB, 3 passes); without it the file holds \
                      the key in the clear, so keep it somewhere safe. An existing file is \
                      never overwritten.",
        after_long_help = SECRET_FILES_AND_EXIT_CODES
    )]
    New(KeyNewArgs),

    /// Show what a key file says about itself (never the key)
    #[command(
        long_about = "Show what a key file says about itself: key id, creation time, \
                      protection and KDF parameters. The key itself is never shown, and no \
                      passphrase is needed.",
        after_long_help = EXIT_CODES
    )]
    Show(KeyShowArgs),
}

/// How to unlock a backup and its encrypted stores.
#[derive(Debug, Args, Default, Clone)]
pub struct UnlockArgs {
    /// Master-key file: unlocks backups locked with the key, checks the MAC, opens sealed records
    #[arg(short, long, value_name = "KEYFILE")]
    pub key: Option<PathBuf>,

    /// File whose first line is the passphrase of a locked backup
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,

    /// File whose first line is the passphrase of a passphrase-protected --key file
    #[arg(long, value_name = "FILE", requires = "key")]
    pub key_passphrase_file: Option<PathBuf>,
}

/// Caps on what a backup may make coffer read or allocate.
#[derive(Debug, Args, Default, Clone)]
pub struct LimitArgs {
    /// Largest total uncompressed size accepted (and per entry), e.g. 500M, 20G [default: 64G total, 16G per entry]
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub max_size: Option<u64>,

    /// Highest compression ratio accepted for entries over 1 MiB [default: 500]
    #[arg(long, value_name = "RATIO", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_ratio: Option<u64>,
}

/// `coffer inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The backup file
    #[arg(value_name = "BACKUP")]
    pub backup: PathBuf,

    /// How to unlock the backup.
    #[command(flatten)]
    pub unlock: UnlockArgs,

    /// Limits.
    #[command(flatten)]
    pub limits: LimitArgs,

    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

/// `coffer verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The backup file
    #[arg(value_name = "BACKUP")]
    pub backup: PathBuf,

    /// How to unlock the backup.
    #[command(flatten)]
    pub unlock: UnlockArgs,

    /// Limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// `coffer extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The backup file
    #[arg(value_name = "BACKUP")]
    pub backup: PathBuf,

    /// Directory to write into (created if missing; must be empty unless --force)
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,

    /// Write into a non-empty directory, replacing files of the same names
    #[arg(long)]
    pub force: bool,

    /// How to unlock the backup.
    #[command(flatten)]
    pub unlock: UnlockArgs,

    /// Limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// `coffer key new`.
#[derive(Debug, Args)]
pub struct KeyNewArgs {
    /// Where to write the key file (must not exist)
    #[arg(short, long, value_name = "FILE")]
    pub out: PathBuf,

    /// Protect the key with the passphrase on the first line of FILE
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

/// `coffer key show`.
#[derive(Debug, Args)]
pub struct KeyShowArgs {
    /// The key file
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

/// Parses a byte size: a whole number with an optional unit, K/M/G/T
/// (powers of 1024; `KiB`, `KB`, `k` and so on are read the same way).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    if digits.is_empty() {
        return Err(format!("{s:?} is not a size (try 500M or 20G)"));
    }
    let n: u64 = digits.parse().map_err(|_| format!("{s:?} is too large"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        other => return Err(format!("unknown unit {other:?} (use K, M, G or T)")),
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("{s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("2K"), Ok(2048));
        assert_eq!(parse_size("500M"), Ok(500 << 20));
        assert_eq!(parse_size("20GiB"), Ok(20 << 30));
        assert_eq!(parse_size("1 t"), Ok(1 << 40));
        assert!(parse_size("").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("5X").is_err());
        assert!(parse_size("99999999999999999999").is_err());
        assert!(parse_size("99999999999T").is_err());
    }
}
