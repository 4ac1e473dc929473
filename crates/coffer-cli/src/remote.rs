//! Sends coffer-remote's requests with ureq: listing, streamed download,
//! and uploads (one PUT, or an S3 multipart upload with retried parts and
//! an abort when a part keeps failing).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::time::Duration;

use coffer_remote::multipart::{self, MultipartUpload, PartOutcome};
use coffer_remote::{HttpRequest, Listing, Remote, RemoteEntry, RemoteError};
use ureq::http;

/// Largest answer read into memory (listings, upload ids).
const SMALL_ANSWER: u64 = 16 << 20;
/// Most listing pages followed.
const MAX_PAGES: usize = 1000;

/// An answer with its body read.
pub struct Answer {
    /// `ETag` header, if any.
    pub etag: Option<String>,
    /// Body.
    pub body: Vec<u8>,
}

/// The HTTP client.
pub struct Http {
    agent: ureq::Agent,
}

impl Http {
    /// A client that reports HTTP errors as answers and gives up on a
    /// request after `timeout`.
    pub fn new(timeout: Duration) -> Http {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .allow_non_standard_methods(true)
            .timeout_global(Some(timeout))
            .build()
            .into();
        Http { agent }
    }

    fn call(
        &self,
        req: &HttpRequest,
        data: Option<&[u8]>,
    ) -> Result<http::Response<ureq::Body>, RemoteError> {
        let method = http::Method::from_bytes(req.method.as_str().as_bytes()).map_err(|_| {
            RemoteError::BadAnswer {
                action: req.action,
                reason: "bad method".into(),
            }
        })?;
        let mut builder = http::Request::builder()
            .method(method)
            .uri(req.url.as_str());
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body: &[u8] = match (data, &req.body) {
            (Some(d), _) => d,
            (None, Some(text)) => text.as_bytes(),
            (None, None) => &[],
        };
        let request = builder.body(body).map_err(|e| RemoteError::BadAnswer {
            action: req.action,
            reason: e.to_string(),
        })?;
        // ureq's errors do not include the URL unless asked; keep only the kind.
        self.agent
            .run(request)
            .map_err(|e| RemoteError::Unreachable {
                reason: unreachable_reason(&e),
            })
    }

    /// Sends `req` (with `data` as its body) and reads the whole answer;
    /// a failed status is a typed error.
    pub fn send(&self, req: &HttpRequest, data: Option<&[u8]>) -> Result<Answer, RemoteError> {
        let response = self.call(req, data)?;
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .into_body()
            .with_config()
            .limit(SMALL_ANSWER)
            .read_to_vec()
            .map_err(|e| RemoteError::Unreachable {
                reason: unreachable_reason(&e),
            })?;
        if !(200..300).contains(&status) {
            return Err(RemoteError::from_answer(req.action, status, &body));
        }
        Ok(Answer { etag, body })
    }

    /// Streams the answer to `req` into `out`; returns the bytes written.
    pub fn download(&self, req: &HttpRequest, out: &mut dyn Write) -> Result<u64, CopyError> {
        let response = self.call(req, None)?;
        let status = response.status().as_u16();
        let mut body = response.into_body();
        if !(200..300).contains(&status) {
            let text = body
                .with_config()
                .limit(SMALL_ANSWER)
                .read_to_vec()
                .unwrap_or_default();
            return Err(RemoteError::from_answer(req.action, status, &text).into());
        }
        let mut reader = body.with_config().limit(u64::MAX).reader();
        let mut buf = vec![0; 256 << 10];
        let mut total = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => return Ok(total),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(RemoteError::Unreachable {
                        reason: format!(
                            "the download broke off after {total} bytes ({})",
                            e.kind()
                        ),
                    }
                    .into())
                }
            };
            out.write_all(&buf[..n]).map_err(CopyError::Write)?;
            total += n as u64;
        }
    }
}

/// A download failed on the network side or on the disk side.
#[derive(Debug)]
pub enum CopyError {
    /// The destination failed.
    Remote(RemoteError),
    /// Writing the local file failed.
    Write(io::Error),
}

impl From<RemoteError> for CopyError {
    fn from(e: RemoteError) -> Self {
        CopyError::Remote(e)
    }
}

fn unreachable_reason(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => format!("connection failed ({})", io.kind()),
        ureq::Error::Timeout(_) => "timed out".into(),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::BodyExceedsLimit(n) => format!("answer larger than {n} bytes"),
        ureq::Error::Tls(msg) => format!("TLS: {msg}"),
        other => format!("HTTP error ({})", error_kind(other)),
    }
}

fn error_kind(e: &ureq::Error) -> &'static str {
    match e {
        ureq::Error::BadUri(_) => "bad address",
        ureq::Error::Protocol(_) => "protocol",
        ureq::Error::RedirectFailed => "redirect",
        _ => "other",
    }
}

/// Every Coffer backup on the destination, newest name first.
pub fn list(remote: &Remote, http: &Http) -> Result<Vec<RemoteEntry>, RemoteError> {
    let mut entries = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let answer = http.send(&remote.list(next.as_deref()), None)?;
        let Listing {
            entries: page,
            next: more,
        } = remote.parse_list(&answer.body)?;
        entries.extend(page);
        match more {
            Some(token) => next = Some(token),
            None => break,
        }
    }
    entries.sort_by(|a, b| b.name.cmp(&a.name));
    Ok(entries)
}

/// Uploads `len` bytes of `file` as `name`: one PUT up to `part_size`
/// (and always on WebDAV), else an S3 multipart upload. A part that fails
/// is sent again (up to [`multipart::ATTEMPTS`] times); when it keeps
/// failing, or anything else fails, the upload is aborted, so no object
/// and no stored parts are left.
pub fn upload(
    remote: &Remote,
    http: &Http,
    name: &str,
    file: &mut File,
    len: u64,
    part_size: u64,
) -> Result<(), UploadError> {
    let part_size = multipart::part_size(len, part_size)?;
    let Some(s3) = remote.s3().filter(|_| len > part_size) else {
        let data = read_range(file, 0..len)?;
        http.send(&remote.put(name)?, Some(&data))?;
        return Ok(());
    };
    let created = http.send(&s3.create_multipart(name)?, None)?;
    let mut upload = MultipartUpload::begin(s3, name, len, part_size, &created.body)?;
    let result = send_parts(s3, http, &mut upload, file);
    if let Err(e) = result {
        // Best effort: the server drops the parts; report the first failure.
        if let Ok(req) = upload.abort(s3) {
            let _ = http.send(&req, None);
        }
        return Err(e);
    }
    Ok(())
}

fn send_parts(
    s3: &coffer_remote::remote::S3Remote,
    http: &Http,
    upload: &mut MultipartUpload,
    file: &mut File,
) -> Result<(), UploadError> {
    while let Some(part) = upload.next_part() {
        let data = read_range(file, upload.range(part))?;
        loop {
            let req = upload.part_request(s3, part)?;
            match http.send(&req, Some(&data)) {
                Ok(answer) => {
                    upload.part_done(part, answer.etag.as_deref())?;
                    break;
                }
                Err(e) => match upload.part_failed(part, e) {
                    PartOutcome::Retry => std::thread::sleep(Duration::from_millis(200)),
                    PartOutcome::Abort(e) => return Err(e.into()),
                },
            }
        }
    }
    http.send(&upload.complete(s3)?, None)?;
    Ok(())
}

fn read_range(file: &mut File, range: std::ops::Range<u64>) -> Result<Vec<u8>, UploadError> {
    let len = usize::try_from(range.end - range.start)
        .map_err(|_| UploadError::Read(io::ErrorKind::OutOfMemory.into()))?;
    let mut data = vec![0; len];
    file.seek(SeekFrom::Start(range.start))
        .map_err(UploadError::Read)?;
    file.read_exact(&mut data).map_err(UploadError::Read)?;
    Ok(data)
}

/// An upload failed on the destination or reading the local file.
#[derive(Debug)]
pub enum UploadError {
    /// The destination failed.
    Remote(RemoteError),
    /// Reading the local file failed.
    Read(io::Error),
}

impl From<RemoteError> for UploadError {
    fn from(e: RemoteError) -> Self {
        UploadError::Remote(e)
    }
}
