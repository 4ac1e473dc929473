//! The fetch driver of destinations: sends the [`HttpRequest`]s that
//! `coffer_remote` makes with the worker's `fetch`, and drives list,
//! upload (one `PUT`, or an S3 multipart upload of the backup Blob's
//! slices with retried parts and an abort on final failure), download (as
//! a Blob, for the normal inspect/restore path) and the connection test.
//!
//! The driver is generic over a [`Transport`] so that the retry and abort
//! logic is tested with a fake server (tests/remote.rs). URLs (presigned:
//! they carry signatures) and headers (Basic authentication) are never
//! logged nor put in an error: errors are `coffer_remote`'s texts.

use coffer_protocol::{DestTested, ErrorCode};
use coffer_remote::multipart::{self, MultipartUpload, PartOutcome};
use coffer_remote::{cors, Destination, HttpRequest, Remote, RemoteEntry, RemoteError};
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, Headers, RequestInit, RequestMode, Response};

use crate::browser::js;
use crate::error::AppError;

/// Listing pages read at most (S3 pages hold 1,000 names).
const MAX_PAGES: usize = 1000;
/// The probe file the connection test writes and deletes.
pub const PROBE_NAME: &str = "coffer-backup-connection-test.zip";

/// An answer that succeeded (2xx).
#[derive(Debug, Default)]
pub struct Answer {
    /// Its `ETag` header, when the browser may read it.
    pub etag: Option<String>,
    /// Its body, when it was read as bytes.
    pub body: Vec<u8>,
    /// Its body, when it was asked for as a Blob.
    pub blob: Option<Blob>,
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetError {
    /// The destination answered with an error, or could not be reached.
    Remote(RemoteError),
    /// The server answers, but the browser blocks the answers to this
    /// page (its CORS rule does not allow this origin).
    Cors,
}

impl From<RemoteError> for NetError {
    fn from(e: RemoteError) -> Self {
        NetError::Remote(e)
    }
}

/// Sends one request: `data` is the body of uploads (else the request's
/// own text body is sent); `as_blob` reads the answer as a Blob.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// Sends `req` and waits for a 2xx answer.
    async fn send(
        &self,
        req: &HttpRequest,
        data: Option<&Blob>,
        as_blob: bool,
    ) -> Result<Answer, NetError>;

    /// Waits before a retry (`attempt` from 1).
    async fn pause(&self, attempt: u32) {
        js::sleep(250 * attempt as i32).await;
    }
}

/// The browser's `fetch`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Fetch;

fn fetch_promise(url: &str, init: &RequestInit) -> Result<js_sys::Promise, JsValue> {
    let f = Reflect::get(&js::global(), &"fetch".into())?;
    let f: js_sys::Function = f.dyn_into()?;
    let p = f.call2(&js::global(), &JsValue::from_str(url), init)?;
    p.dyn_into()
}

impl Transport for Fetch {
    async fn send(
        &self,
        req: &HttpRequest,
        data: Option<&Blob>,
        as_blob: bool,
    ) -> Result<Answer, NetError> {
        let unreachable = |reason: &str| {
            NetError::Remote(RemoteError::Unreachable {
                reason: reason.into(),
            })
        };
        let init = RequestInit::new();
        init.set_method(req.method.as_str());
        init.set_mode(RequestMode::Cors);
        let headers = Headers::new().map_err(|_| unreachable("no Headers"))?;
        for (n, v) in &req.headers {
            headers
                .append(n, v)
                .map_err(|_| unreachable("a header was refused"))?;
        }
        init.set_headers(&headers);
        if let Some(blob) = data {
            init.set_body(blob);
        } else if let Some(text) = &req.body {
            init.set_body(&JsValue::from_str(text));
        }
        let sent = match fetch_promise(&req.url, &init) {
            Ok(p) => JsFuture::from(p).await,
            Err(e) => Err(e),
        };
        let response: Response = match sent.and_then(|r| r.dyn_into::<Response>()) {
            Ok(r) => r,
            // A TypeError: the network failed, or CORS blocked the answer.
            // A `no-cors` request tells them apart: it gets an (opaque)
            // answer whenever the server answers at all.
            Err(_) => {
                return Err(if answers_at_all(&req.url).await {
                    NetError::Cors
                } else {
                    unreachable("the network request failed")
                })
            }
        };
        let status = response.status();
        let etag = response.headers().get("etag").ok().flatten();
        let ok = (200..300).contains(&status);
        if ok && as_blob {
            let blob = match response.blob() {
                Ok(p) => JsFuture::from(p).await,
                Err(e) => Err(e),
            }
            .map_err(|_| unreachable("the download broke off"))?;
            return Ok(Answer {
                etag,
                body: Vec::new(),
                blob: blob.dyn_into::<Blob>().ok(),
            });
        }
        let buffer = match response.array_buffer() {
            Ok(p) => JsFuture::from(p).await,
            Err(e) => Err(e),
        }
        .map_err(|_| unreachable("the answer broke off"))?;
        let body = Uint8Array::new(&buffer).to_vec();
        if !ok {
            return Err(RemoteError::from_answer(req.action, status, &body).into());
        }
        Ok(Answer {
            etag,
            body,
            blob: None,
        })
    }
}

/// Whether the server at `url` answers a `no-cors` HEAD request (whose
/// answer the page cannot read, but which succeeds when it arrives).
async fn answers_at_all(url: &str) -> bool {
    let init = RequestInit::new();
    init.set_method("HEAD");
    init.set_mode(RequestMode::NoCors);
    match fetch_promise(url, &init) {
        Ok(p) => JsFuture::from(p).await.is_ok(),
        Err(_) => false,
    }
}

/// Every Coffer backup on the destination, newest name first (the
/// connection test's probe file left out).
pub async fn list<T: Transport>(t: &T, remote: &Remote) -> Result<Vec<RemoteEntry>, NetError> {
    let mut entries = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let answer = t.send(&remote.list(next.as_deref()), None, false).await?;
        let page = remote.parse_list(&answer.body)?;
        entries.extend(page.entries.into_iter().filter(|e| e.name != PROBE_NAME));
        match page.next {
            Some(token) => next = Some(token),
            None => break,
        }
    }
    entries.sort_by(|a, b| b.name.cmp(&a.name));
    Ok(entries)
}

/// Uploads `blob` as `name`: one request when it fits in one part (or for
/// WebDAV), else an S3 multipart upload of parts of about `wanted` bytes,
/// each retried, and aborted when one keeps failing, so that nothing is
/// left on the destination. `on_part(done_bytes)` follows the parts.
/// Returns the number of requests the data went in.
pub async fn upload<T: Transport>(
    t: &T,
    remote: &Remote,
    name: &str,
    blob: &Blob,
    wanted: u64,
    mut on_part: impl FnMut(u64),
) -> Result<u32, NetError> {
    let len = blob.size() as u64;
    let size = multipart::part_size(len, wanted)?;
    let Some(s3) = remote.s3().filter(|_| len > size) else {
        t.send(&remote.put(name)?, Some(blob), false).await?;
        on_part(len);
        return Ok(1);
    };
    let created = t.send(&s3.create_multipart(name)?, None, false).await?;
    let mut up = MultipartUpload::begin(s3, name, len, size, &created.body)?;
    let sent = send_parts(t, s3, &mut up, blob, &mut on_part).await;
    match sent {
        Ok(()) => Ok(u32::from(up.parts())),
        Err(e) => {
            if let Ok(req) = up.abort(s3) {
                let _ = t.send(&req, None, false).await;
            }
            Err(e)
        }
    }
}

async fn send_parts<T: Transport>(
    t: &T,
    s3: &coffer_remote::remote::S3Remote,
    up: &mut MultipartUpload,
    blob: &Blob,
    on_part: &mut impl FnMut(u64),
) -> Result<(), NetError> {
    while let Some(part) = up.next_part() {
        let range = up.range(part);
        let slice = blob
            .slice_with_f64_and_f64(range.start as f64, range.end as f64)
            .map_err(|_| RemoteError::BadAnswer {
                action: "upload part",
                reason: "the backup could not be sliced".into(),
            })?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let req = up.part_request(s3, part)?;
            match t.send(&req, Some(&slice), false).await {
                Ok(answer) => {
                    up.part_done(part, answer.etag.as_deref())?;
                    on_part(range.end);
                    break;
                }
                Err(NetError::Cors) => return Err(NetError::Cors),
                Err(NetError::Remote(e)) => match up.part_failed(part, e) {
                    PartOutcome::Retry => t.pause(attempt).await,
                    PartOutcome::Abort(e) => return Err(e.into()),
                },
            }
        }
    }
    let answer = t.send(&up.complete(s3)?, None, false).await?;
    // S3 may answer 200 and still fail the completion in its body.
    if answer.body.windows(7).any(|w| w == b"<Error>") {
        return Err(RemoteError::from_answer("finish upload", 500, &answer.body).into());
    }
    Ok(())
}

/// Downloads backup `name` as a Blob.
pub async fn download<T: Transport>(t: &T, remote: &Remote, name: &str) -> Result<Blob, NetError> {
    let answer = t.send(&remote.get(name)?, None, true).await?;
    match answer.blob {
        Some(b) => Ok(b),
        None => Ok(
            crate::browser::blobio::blob_from_bytes(&answer.body, "application/zip").map_err(
                |_| RemoteError::BadAnswer {
                    action: "download",
                    reason: "the answer could not be kept".into(),
                },
            )?,
        ),
    }
}

/// The connection test: list, then write and delete a small probe file.
pub async fn test<T: Transport>(t: &T, remote: &Remote) -> Result<DestTested, NetError> {
    let backups = list(t, remote).await?.len() as u64;
    let probe = crate::browser::blobio::blob_from_bytes(b"coffer connection test", "text/plain")
        .map_err(|_| RemoteError::BadAnswer {
            action: "upload",
            reason: "no Blob".into(),
        })?;
    t.send(&remote.put(PROBE_NAME)?, Some(&probe), false)
        .await?;
    t.send(&remote.delete(PROBE_NAME)?, None, false).await?;
    Ok(DestTested {
        backups,
        writable: true,
    })
}

/// The origin of this worker (the page's), for the CORS rule.
pub fn origin() -> String {
    let location = Reflect::get(&js::global(), &"location".into()).unwrap_or(JsValue::UNDEFINED);
    Reflect::get(&location, &"origin".into())
        .ok()
        .and_then(|o| o.as_string())
        .unwrap_or_default()
}

/// The typed failure for `e` on `destination`. A CORS failure carries the
/// rule to set (for this page's origin) as its subject.
pub fn app_error(e: NetError, destination: &Destination) -> AppError {
    let e = match e {
        NetError::Cors => {
            let rule = match destination {
                Destination::S3(_) => cors::s3_rule(&origin()),
                Destination::WebDav(_) => cors::webdav_headers(&origin()),
            };
            return AppError::new(
                ErrorCode::RemoteCors,
                "the browser blocked the destination's answers (CORS)",
            )
            .about(rule);
        }
        NetError::Remote(e) => e,
    };
    remote_error(&e)
}

/// The typed failure for a [`RemoteError`] (its text holds no secret).
pub fn remote_error(e: &RemoteError) -> AppError {
    let (code, about): (ErrorCode, Option<String>) = match e {
        RemoteError::Missing { field } | RemoteError::BadSetting { field, .. } => {
            (ErrorCode::BadDestination, Some((*field).into()))
        }
        RemoteError::NotCofferName { .. } => (ErrorCode::BadArgument, None),
        RemoteError::WrongCredentials { .. } => (ErrorCode::RemoteDenied, None),
        RemoteError::Forbidden { action, .. } => {
            (ErrorCode::RemoteForbidden, Some((*action).into()))
        }
        RemoteError::NotFound { action, .. } => (ErrorCode::RemoteNotFound, Some((*action).into())),
        RemoteError::Server { action, .. } | RemoteError::BadAnswer { action, .. } => {
            (ErrorCode::RemoteFailed, Some((*action).into()))
        }
        RemoteError::Unreachable { .. } => (ErrorCode::RemoteUnreachable, None),
        RemoteError::PartFailed { last, .. } => match last.as_ref() {
            RemoteError::WrongCredentials { .. } => (ErrorCode::RemoteDenied, None),
            _ => (ErrorCode::RemoteFailed, Some("upload part".into())),
        },
        RemoteError::TooLarge { .. } => (ErrorCode::LimitExceeded, None),
    };
    let err = AppError::new(code, e.to_string());
    match about {
        Some(a) => err.about(a),
        None => err,
    }
}

/// Uploads `blob` as `name` to destination `id` (`d`), reporting the
/// bytes sent as writing progress.
pub async fn upload_to(
    id: &str,
    d: &Destination,
    name: &str,
    blob: &Blob,
    rep: &crate::Reporter,
) -> Result<coffer_protocol::Uploaded, AppError> {
    let remote = Remote::new(d).map_err(|e| remote_error(&e))?;
    let total = blob.size() as u64;
    let parts = upload(
        &Fetch,
        &remote,
        name,
        blob,
        multipart::DEFAULT_PART,
        |done| {
            rep.progress(
                coffer_protocol::Phase::Writing,
                coffer_protocol::ProgressInfo {
                    done_bytes: done,
                    total_bytes: total,
                    ..Default::default()
                },
                true,
            )
        },
    )
    .await
    .map_err(|e| app_error(e, d))?;
    Ok(coffer_protocol::Uploaded {
        target: crate::destinations::info(id, d).label(name),
        bytes: total,
        parts,
    })
}

/// The remote for `d`, or the typed failure of its settings.
pub fn checked(d: &Destination) -> Result<Remote, AppError> {
    Remote::new(d).map_err(|e| remote_error(&e))
}

thread_local! {
    /// Files fetched from destinations in this worker: name → history
    /// label, so that restoring one records where it came from.
    static FETCHED: std::cell::RefCell<Vec<(String, String)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Remembers that `name` was fetched from `label`.
pub fn remember_fetched(name: &str, label: &str) {
    FETCHED.with(|f| {
        let mut f = f.borrow_mut();
        f.retain(|(n, _)| n != name);
        f.push((name.to_owned(), label.to_owned()));
        if f.len() > 32 {
            f.remove(0);
        }
    });
}

/// Where file `name` was fetched from, if it was.
pub fn fetched_from(name: &str) -> Option<String> {
    FETCHED.with(|f| {
        f.borrow()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, l)| l.clone())
    })
}
