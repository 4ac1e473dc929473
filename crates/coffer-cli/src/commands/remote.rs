//! `coffer remote list|get|verify|put`: backups on S3-compatible storage
//! or WebDAV, sent through `crate::remote`.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use coffer_remote::{Destination, Remote, RemoteError, S3Destination, Secret, WebDavDestination};
use indicatif::HumanBytes;

use crate::cli::{
    DestinationArgs, RemoteGetArgs, RemoteListArgs, RemotePutArgs, RemoteVerifyArgs, VerifyArgs,
};
use crate::commands::{verify, Ctx};
use crate::error::CliError;
use crate::outln;
use crate::remote::{self, CopyError, Http, UploadError};
use crate::secrets::read_passphrase_file;

/// The environment variable read when --secret-file is not given.
const SECRET_ENV: &str = "COFFER_REMOTE_SECRET";

/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(600);

fn secret(args: &DestinationArgs) -> Result<Secret, CliError> {
    if let Some(path) = &args.secret_file {
        let bytes = read_passphrase_file(path)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| RemoteError::BadSetting {
            field: "secret file",
            reason: "the first line is not UTF-8 text".into(),
        })?;
        return Ok(Secret::new(text));
    }
    Ok(Secret::new(std::env::var(SECRET_ENV).unwrap_or_default()))
}

/// The checked destination the flags describe.
fn destination(args: &DestinationArgs) -> Result<Remote, CliError> {
    let secret = secret(args)?;
    let d = match (&args.s3, &args.webdav) {
        (Some(endpoint), _) => Destination::S3(S3Destination {
            endpoint: endpoint.clone(),
            region: args.region.clone(),
            bucket: args.bucket.clone().unwrap_or_default(),
            prefix: args.prefix.clone(),
            access_key_id: args.access_key_id.clone().unwrap_or_default(),
            secret,
        }),
        (None, url) => Destination::WebDav(WebDavDestination {
            url: url.clone().unwrap_or_default(),
            user: args.user.clone().unwrap_or_default(),
            password: secret,
        }),
    };
    Ok(Remote::new(&d)?)
}

/// Runs `coffer remote list`.
pub fn list(args: &RemoteListArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let remote = destination(&args.destination)?;
    let entries = remote::list(&remote, &Http::new(TIMEOUT))?;
    if args.json {
        let items: Vec<_> = entries
            .iter()
            .map(|e| serde_json::json!({"name": e.name, "size": e.size, "modified": e.modified}))
            .collect();
        outln!(out, "{}", serde_json::Value::Array(items));
        return Ok(());
    }
    if entries.is_empty() {
        outln!(out, "no Coffer backups there");
    }
    for e in &entries {
        outln!(
            out,
            "{}  {:>10}  {}",
            e.name,
            HumanBytes(e.size).to_string(),
            e.modified
        );
    }
    Ok(())
}

/// Downloads `name` into `file`.
fn fetch(remote: &Remote, name: &str, file: &mut File, path: &Path) -> Result<u64, CliError> {
    let req = remote.get(name)?;
    let n = Http::new(TIMEOUT)
        .download(&req, file)
        .map_err(|e| match e {
            CopyError::Remote(e) => CliError::Remote(e),
            CopyError::Write(e) => CliError::write(path, e),
        })?;
    file.flush().map_err(|e| CliError::write(path, e))?;
    Ok(n)
}

/// Runs `coffer remote get`: download beside --out, verify, then rename.
pub fn get(ctx: &Ctx, args: &RemoteGetArgs, out: &mut dyn Write) -> Result<(), CliError> {
    if args.out.exists() {
        return Err(CliError::AlreadyExists {
            path: args.out.clone(),
        });
    }
    let remote = destination(&args.destination)?;
    let dir = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".coffer-download-")
        .tempfile_in(&dir)
        .map_err(|e| CliError::write(&args.out, e))?;
    let tmp_path = tmp.path().to_owned();
    fetch(&remote, &args.name, tmp.as_file_mut(), &tmp_path)?;
    let verify_args = VerifyArgs {
        backup: tmp_path,
        unlock: args.unlock.clone(),
        limits: args.limits.clone(),
    };
    // Nothing reaches --out unless every byte verified; the temporary file
    // is removed on any failure.
    verify::run_as(ctx, &verify_args, &args.name, out)?;
    tmp.persist_noclobber(&args.out)
        .map_err(|e| CliError::write(&args.out, e.error))?;
    outln!(out, "written to {}", args.out.display());
    Ok(())
}

/// Runs `coffer remote verify`.
pub fn verify(ctx: &Ctx, args: &RemoteVerifyArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let remote = destination(&args.destination)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".coffer-download-")
        .tempfile()
        .map_err(|e| CliError::write(Path::new("temporary file"), e))?;
    let tmp_path = tmp.path().to_owned();
    fetch(&remote, &args.name, tmp.as_file_mut(), &tmp_path)?;
    let verify_args = VerifyArgs {
        backup: tmp_path,
        unlock: args.unlock.clone(),
        limits: args.limits.clone(),
    };
    verify::run_as(ctx, &verify_args, &args.name, out)
}

/// Runs `coffer remote put`.
pub fn put(args: &RemotePutArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let remote = destination(&args.destination)?;
    let name = match &args.name {
        Some(n) => n.clone(),
        None => args
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let mut file = File::open(&args.file).map_err(|e| CliError::read("backup", &args.file, e))?;
    let len = file
        .metadata()
        .map_err(|e| CliError::read("backup", &args.file, e))?
        .len();
    remote::upload(
        &remote,
        &Http::new(TIMEOUT),
        &name,
        &mut file,
        len,
        args.part_size,
    )
    .map_err(|e| match e {
        UploadError::Remote(e) => CliError::Remote(e),
        UploadError::Read(e) => CliError::read("backup", &args.file, e),
    })?;
    outln!(out, "uploaded {name} ({})", HumanBytes(len));
    Ok(())
}
