//! `coffer verify`: reads and checks every byte of a backup.

use std::io::Write;

use indicatif::HumanBytes;

use crate::backup::{self, Source};
use crate::cli::VerifyArgs;
use crate::commands::{authentication_text, count, Ctx};
use crate::error::CliError;
use crate::outln;
use crate::progress::Bar;

/// Runs `coffer verify`.
pub fn run(ctx: &Ctx, args: &VerifyArgs, out: &mut dyn Write) -> Result<(), CliError> {
    run_as(ctx, args, &args.backup.display().to_string(), out)
}

/// Runs `coffer verify`, naming the backup `label` in the output (a
/// downloaded backup is named as on its destination, not by its temporary file).
pub fn run_as(
    ctx: &Ctx,
    args: &VerifyArgs,
    label: &str,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let source = Source::new(&args.backup, &args.unlock, backup::limits(&args.limits))?;
    if source.locked.is_none() && source.passphrase.is_some() {
        ctx.note("the backup is not locked; --passphrase-file is not needed");
    }
    let mut reader = source.open()?;
    let bar = Bar::new(ctx.quiet, "verifying");
    let report = reader
        .verify(source.key.as_ref(), &mut |p| {
            bar.update(p);
            Ok(())
        })
        .map_err(|e| CliError::backup(&args.backup, e))?;
    bar.finish();

    outln!(out, "{label}: OK");
    outln!(
        out,
        "  {}, {}, {}, {} checked",
        count(report.databases, "database"),
        count(report.stores, "store"),
        count(report.records, "record"),
        HumanBytes(report.bytes)
    );
    if reader.locked().is_some() {
        outln!(
            out,
            "  locked: unlocked and decrypted; header and payload authenticated"
        );
    }
    let parts = &report.parts;
    if let Some(n) = parts.local_storage_items {
        outln!(out, "  localStorage: {} checked", count(n, "item"));
    }
    if let Some(n) = parts.opfs_files {
        outln!(
            out,
            "  file system: {} in {} checked",
            count(n, "file"),
            count(parts.opfs_directories, "folder")
        );
    }
    if let Some(n) = parts.cache_entries {
        outln!(
            out,
            "  caches: {} in {} checked",
            count(n, "response"),
            count(parts.caches, "cache")
        );
        if parts.skipped_responses > 0 {
            outln!(
                out,
                "  caches: not in the backup (opaque, unreadable), listed only: {}",
                count(parts.skipped_responses, "response")
            );
        }
    }
    outln!(out, "  {}", authentication_text(&report.authentication));
    let sealed = reader.manifest().has_encrypted_stores();
    match (report.key_id, source.key.is_some()) {
        (Some(id), false) if sealed => {
            outln!(
                out,
                "  sealed records: {} not opened (no key given)",
                report.sealed_records
            );
            ctx.note(format!(
                "encrypted stores were checked without their key; pass --key with the key file of key id {id} to verify the MAC and open every sealed record"
            ));
        }
        (Some(_), true) if sealed => {
            outln!(
                out,
                "  sealed records: all {} opened",
                report.sealed_records
            );
        }
        (None, true) => {
            outln!(out, "  the backup names no key: the key was not needed");
        }
        _ => {}
    }
    Ok(())
}
