//! `coffer key new` and `coffer key show`: master-key files.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};

use coffer_engine::keyfile::{self, Protection};
use coffer_engine::primitives::kdf::KdfParams;
use coffer_engine::MasterKey;
use serde::Serialize;
use time::OffsetDateTime;

use crate::cli::{KeyNewArgs, KeyShowArgs};
use crate::commands::Ctx;
use crate::error::CliError;
use crate::outln;
use crate::secrets;

/// Runs `coffer key new`: a fresh key, written to a new file; prints its id.
pub fn new(ctx: &Ctx, args: &KeyNewArgs, out: &mut dyn Write) -> Result<(), CliError> {
    // Check first, so no passphrase work is wasted; `create_new` below is
    // what actually guarantees nothing is overwritten.
    if fs::symlink_metadata(&args.out).is_ok() {
        return Err(CliError::AlreadyExists {
            path: args.out.clone(),
        });
    }
    let pass = args
        .passphrase_file
        .as_deref()
        .map(secrets::read_passphrase_file)
        .transpose()?;
    let key = MasterKey::generate().map_err(|error| CliError::Engine {
        what: "cannot generate a master key",
        error,
    })?;
    let text = zeroize::Zeroizing::new(
        keyfile::write_key_file(
            &key,
            OffsetDateTime::now_utc(),
            pass.as_ref().map(|p| (p.as_slice(), KdfParams::DEFAULT)),
        )
        .map_err(|error| CliError::Engine {
            what: "cannot write the key file",
            error,
        })?,
    );

    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&args.out).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => CliError::AlreadyExists {
            path: args.out.clone(),
        },
        _ => CliError::write(&args.out, e),
    })?;
    if let Err(e) = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
    {
        drop(file);
        let _ = fs::remove_file(&args.out);
        return Err(CliError::write(&args.out, e));
    }
    if pass.is_none() {
        ctx.note(format!(
            "{} holds the key unprotected; keep it safe, or use --passphrase-file",
            args.out.display()
        ));
    }
    outln!(out, "{}", key.id());
    Ok(())
}

/// `coffer key show --json` output (a struct, so the field order is fixed).
#[derive(Serialize)]
struct KeyShowJson<'a> {
    key_id: String,
    created: &'a str,
    protection: &'static str,
    kdf: Option<KdfJson>,
}

/// Argon2id parameters in `coffer key show --json`.
#[derive(Serialize)]
struct KdfJson {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

/// Runs `coffer key show`: what a key file says about itself.
pub fn show(args: &KeyShowArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let text = secrets::read_key_file_text(&args.file)?;
    let info = keyfile::inspect_key_file(&text).map_err(|error| CliError::KeyFile {
        path: args.file.clone(),
        error,
    })?;
    let protection = match info.protection {
        Protection::None => "none",
        Protection::Argon2id => "argon2id",
    };
    if args.json {
        let doc = KeyShowJson {
            key_id: info.key_id.to_hex(),
            created: &info.created,
            protection,
            kdf: info.kdf.map(|k| KdfJson {
                memory_kib: k.memory_kib,
                iterations: k.iterations,
                parallelism: k.parallelism,
            }),
        };
        let doc = serde_json::to_string_pretty(&doc)
            .map_err(|e| CliError::Stdout(io::Error::other(e)))?;
        outln!(out, "{doc}");
        return Ok(());
    }
    outln!(out, "key id:      {}", info.key_id);
    outln!(out, "created:     {}", info.created);
    match info.protection {
        Protection::None => outln!(out, "protection:  none (the key is stored unencrypted)"),
        Protection::Argon2id => outln!(out, "protection:  argon2id (passphrase)"),
    }
    if let Some(k) = info.kdf {
        outln!(
            out,
            "kdf:         argon2id, memory {} KiB, {} iterations, parallelism {}",
            k.memory_kib,
            k.iterations,
            k.parallelism
        );
    }
    Ok(())
}
