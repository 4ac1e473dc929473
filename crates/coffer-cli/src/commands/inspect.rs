//! `coffer inspect`: what a backup holds, from its manifest.

use std::io::Write;

use coffer_engine::format::manifest::StoreManifest;
use coffer_engine::locked::LockedInfo;
use coffer_engine::Authentication;
use indicatif::HumanBytes;
use serde_json::json;

use crate::backup::{self, Reader, Source};
use crate::cli::InspectArgs;
use crate::commands::{authentication_code, authentication_text, count, Ctx};
use crate::error::CliError;
use crate::outln;

/// Uncompressed bytes of a store's entries.
fn store_size(st: &StoreManifest) -> u64 {
    st.parts.iter().chain(&st.blobs).map(|e| e.size).sum()
}

/// How a locked backup can be unlocked, as text.
fn methods(info: &LockedInfo) -> String {
    let mut m = Vec::new();
    if info.passphrase {
        m.push("passphrase (--passphrase-file)".to_owned());
    }
    if let Some(id) = info.key_id {
        m.push(format!("master key {id} (--key)"));
    }
    if m.is_empty() {
        "none".to_owned()
    } else {
        m.join(", ")
    }
}

/// How a locked backup can be unlocked, as JSON.
fn methods_json(info: &LockedInfo) -> serde_json::Value {
    json!({"passphrase": info.passphrase, "key_id": info.key_id.map(|k| k.to_hex())})
}

/// Runs `coffer inspect`.
pub fn run(_ctx: &Ctx, args: &InspectArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let source = Source::new(&args.backup, &args.unlock, backup::limits(&args.limits))?;
    if let (Some(info), false) = (&source.locked, source.has_credentials()) {
        return locked_only(args, info, out);
    }
    let reader = source.open()?;
    // With a key: check it is the backup's and that the MAC verifies.
    let auth = reader
        .authenticate(source.key.as_ref())
        .map_err(|e| CliError::backup(&args.backup, e))?;
    if args.json {
        print_json(args, &reader, &auth, out)
    } else {
        print_text(args, &reader, &auth, out)
    }
}

/// Output for a locked backup nobody unlocked.
fn locked_only(args: &InspectArgs, info: &LockedInfo, out: &mut dyn Write) -> Result<(), CliError> {
    if args.json {
        let j = json!({"file": args.backup.display().to_string(), "locked": true, "unlock": methods_json(info)});
        outln!(out, "{j:#}");
    } else {
        outln!(out, "backup:          {}", args.backup.display());
        outln!(out, "locked:          yes (contents hidden until unlocked)");
        outln!(out, "unlock with:     {}", methods(info));
    }
    Ok(())
}

/// Human-readable output.
fn print_text(
    args: &InspectArgs,
    reader: &Reader,
    auth: &Authentication,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let m = reader.manifest();
    let j = m.json();
    let dbs = m.databases();
    let stores: usize = dbs.iter().map(|d| d.stores.len()).sum();
    let records: u64 = dbs.iter().flat_map(|d| &d.stores).map(|s| s.records).sum();
    let size: u64 = dbs.iter().flat_map(|d| &d.stores).map(store_size).sum();
    let encrypted = dbs
        .iter()
        .flat_map(|d| &d.stores)
        .filter(|s| s.schema.encrypted)
        .count();
    outln!(out, "backup:          {}", args.backup.display());
    outln!(out, "format version:  {}", j.format_version);
    outln!(out, "coffer version:  {}", j.coffer_version);
    outln!(out, "created:         {}", j.created);
    match reader.locked() {
        Some(info) => outln!(out, "locked:          yes (unlock with: {})", methods(info)),
        None => outln!(out, "locked:          no"),
    }
    match j.key_id {
        Some(id) => outln!(out, "key id:          {id}"),
        None => outln!(out, "key id:          none"),
    }
    outln!(out, "{}", authentication_text(auth));
    outln!(
        out,
        "contents:        {}, {} ({encrypted} encrypted), {}, {}",
        count(dbs.len() as u64, "database"),
        count(stores as u64, "store"),
        count(records, "record"),
        HumanBytes(size)
    );
    print_parts(m, out)?;
    for (d, db) in dbs.iter().enumerate() {
        outln!(out);
        outln!(out, "database {d}: {:?} (version {})", db.name, db.version);
        if db.stores.is_empty() {
            outln!(out, "  (no stores)");
        }
        for (s, st) in db.stores.iter().enumerate() {
            let mut flags = Vec::new();
            if st.schema.encrypted {
                flags.push("encrypted".to_owned());
            }
            if st.schema.auto_increment {
                flags.push("auto-increment".to_owned());
            }
            if !st.schema.indexes.is_empty() {
                flags.push(format!("{} indexes", st.schema.indexes.len()));
            }
            let flags = if flags.is_empty() {
                String::new()
            } else {
                format!(" [{}]", flags.join(", "))
            };
            outln!(
                out,
                "  store {s}: {:?}{flags}: {}, {} in {} and {}",
                st.schema.name,
                count(st.records, "record"),
                HumanBytes(store_size(st)),
                count(st.parts.len() as u64, "part"),
                count(st.blobs.len() as u64, "blob")
            );
        }
    }
    Ok(())
}

/// The parts beyond IndexedDB (FORMAT.md §3.5), one line each, with the
/// cached responses that are not in the backup.
fn print_parts(
    m: &coffer_engine::format::manifest::Manifest,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if let Some(ls) = m.local_storage() {
        outln!(
            out,
            "localStorage:    {}, {}",
            count(ls.items, "item"),
            HumanBytes(ls.size)
        );
    }
    if let Some(o) = m.opfs() {
        outln!(
            out,
            "file system:     {} in {}, {}",
            count(o.files.len() as u64, "file"),
            count(o.directories.len() as u64, "folder"),
            HumanBytes(o.files.iter().map(|f| f.size).sum::<u64>())
        );
    }
    if m.json().caches.is_some() {
        outln!(
            out,
            "caches:          {}",
            count(m.caches().len() as u64, "cache")
        );
    }
    for c in m.caches() {
        outln!(
            out,
            "  cache {:?}: {}, {}",
            c.name,
            count(c.entries.len() as u64, "response"),
            HumanBytes(c.entries.iter().map(|e| e.size).sum::<u64>())
        );
        for s in &c.skipped {
            outln!(
                out,
                "    not backed up ({}): {} {}",
                s.reason.as_str(),
                s.method,
                s.url
            );
        }
    }
    Ok(())
}

/// JSON output.
fn print_json(
    args: &InspectArgs,
    reader: &Reader,
    auth: &Authentication,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let m = reader.manifest();
    let j = m.json();
    let databases: Vec<serde_json::Value> = m
        .databases()
        .iter()
        .map(|db| {
            let stores: Vec<serde_json::Value> = db
                .stores
                .iter()
                .map(|st| {
                    json!({
                        "name": st.schema.name,
                        "encrypted": st.schema.encrypted,
                        "records": st.records,
                        "size": store_size(st),
                        "parts": st.parts.len(),
                        "blobs": st.blobs.len(),
                        "schema": st.schema,
                    })
                })
                .collect();
            json!({"name": db.name, "version": db.version, "stores": stores})
        })
        .collect();
    let all = || m.databases().iter().flat_map(|d| &d.stores);
    let doc = json!({
        "file": args.backup.display().to_string(),
        "locked": reader.locked().is_some(),
        "unlock": reader.locked().map(methods_json),
        "format_version": j.format_version,
        "coffer_version": j.coffer_version,
        "created": j.created,
        "key_id": j.key_id.map(|k| k.to_hex()),
        "mac_verified": auth.is_verified(),
        "authentication": authentication_code(auth),
        "databases_count": m.databases().len(),
        "stores_count": all().count(),
        "encrypted_stores": all().filter(|s| s.schema.encrypted).count(),
        "records": all().map(|s| s.records).sum::<u64>(),
        "size": all().map(store_size).sum::<u64>(),
        "databases": databases,
        "local_storage": j.local_storage,
        "opfs": j.opfs,
        "caches": j.caches,
    });
    outln!(out, "{doc:#}");
    Ok(())
}
