//! An S3 multipart upload as a state machine: which part to send next,
//! retrying a failed part a few times, then giving up with the abort
//! request so that no half-written object (or stored parts) remain. The
//! caller does the I/O (native HTTP client or `fetch`).

use std::ops::Range;

use crate::error::RemoteError;
use crate::remote::S3Remote;
use crate::request::HttpRequest;

/// S3's smallest part (all but the last).
pub const MIN_PART: u64 = 5 << 20;
/// The part size used unless the file needs larger parts.
pub const DEFAULT_PART: u64 = 8 << 20;
/// S3's largest number of parts.
const MAX_PARTS: u64 = 10_000;
/// S3's largest part.
const MAX_PART: u64 = 5 << 30;
/// How often a part is tried before the upload is aborted.
pub const ATTEMPTS: u32 = 3;

/// What to do after a part failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartOutcome {
    /// Send the same part again.
    Retry,
    /// Send [`MultipartUpload::abort`], then report this error.
    Abort(RemoteError),
}

/// A multipart upload under way.
#[derive(Debug)]
pub struct MultipartUpload {
    name: String,
    upload_id: String,
    len: u64,
    part_size: u64,
    etags: Vec<Option<String>>,
    attempts: Vec<u32>,
}

/// The part size for `len` bytes: `wanted` (at least [`MIN_PART`]), larger
/// if the file would need more than 10,000 parts.
pub fn part_size(len: u64, wanted: u64) -> Result<u64, RemoteError> {
    let mut size = wanted.max(MIN_PART);
    if len.div_ceil(size) > MAX_PARTS {
        size = len.div_ceil(MAX_PARTS);
    }
    if size > MAX_PART {
        return Err(RemoteError::TooLarge { bytes: len });
    }
    Ok(size)
}

impl MultipartUpload {
    /// The upload of `len` bytes as `name`, begun with the answer to
    /// [`S3Remote::create_multipart`].
    pub fn begin(
        s3: &S3Remote,
        name: &str,
        len: u64,
        part_size: u64,
        created: &[u8],
    ) -> Result<MultipartUpload, RemoteError> {
        let upload_id = s3.parse_created(created)?;
        let parts = len.div_ceil(part_size).max(1) as usize;
        Ok(MultipartUpload {
            name: name.to_owned(),
            upload_id,
            len,
            part_size,
            etags: vec![None; parts],
            attempts: vec![0; parts],
        })
    }

    /// How many parts there are (numbered from 1).
    pub fn parts(&self) -> u16 {
        self.etags.len() as u16
    }

    /// The byte range of part `part`.
    pub fn range(&self, part: u16) -> Range<u64> {
        let start = u64::from(part.saturating_sub(1)) * self.part_size;
        start.min(self.len)..(start + self.part_size).min(self.len)
    }

    /// The first part not yet uploaded.
    pub fn next_part(&self) -> Option<u16> {
        self.etags
            .iter()
            .position(Option::is_none)
            .map(|i| i as u16 + 1)
    }

    /// The request for part `part`.
    pub fn part_request(&mut self, s3: &S3Remote, part: u16) -> Result<HttpRequest, RemoteError> {
        if let Some(a) = self.attempts.get_mut(usize::from(part).wrapping_sub(1)) {
            *a += 1;
        }
        s3.upload_part(&self.name, part, &self.upload_id)
    }

    /// Part `part` was stored; `etag` is the answer's `ETag` header (a
    /// browser only sees it when the bucket's CORS rule exposes it).
    pub fn part_done(&mut self, part: u16, etag: Option<&str>) -> Result<(), RemoteError> {
        let etag = etag
            .filter(|e| !e.is_empty())
            .ok_or(RemoteError::BadAnswer {
                action: "upload part",
                reason: "no ETag in the answer (a CORS rule must expose the ETag header)".into(),
            })?;
        if let Some(slot) = self.etags.get_mut(usize::from(part).wrapping_sub(1)) {
            *slot = Some(etag.to_owned());
        }
        Ok(())
    }

    /// Part `part` failed with `error`: retry it, or give up.
    pub fn part_failed(&self, part: u16, error: RemoteError) -> PartOutcome {
        let attempts = self
            .attempts
            .get(usize::from(part).wrapping_sub(1))
            .copied()
            .unwrap_or(ATTEMPTS);
        if error.is_transient() && attempts < ATTEMPTS {
            PartOutcome::Retry
        } else {
            PartOutcome::Abort(RemoteError::PartFailed {
                part,
                attempts,
                last: Box::new(error),
            })
        }
    }

    /// The request that completes the upload, once every part is stored.
    pub fn complete(&self, s3: &S3Remote) -> Result<HttpRequest, RemoteError> {
        let etags: Option<Vec<String>> = self.etags.iter().cloned().collect();
        let etags = etags.ok_or(RemoteError::BadAnswer {
            action: "finish upload",
            reason: "a part is missing".into(),
        })?;
        s3.complete_multipart(&self.name, &self.upload_id, &etags)
    }

    /// The request that aborts the upload.
    pub fn abort(&self, s3: &S3Remote) -> Result<HttpRequest, RemoteError> {
        s3.abort_multipart(&self.name, &self.upload_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_sizes() {
        assert_eq!(part_size(1, 1).unwrap(), MIN_PART);
        assert_eq!(part_size(100 << 20, DEFAULT_PART).unwrap(), DEFAULT_PART);
        let huge = 200u64 << 30;
        let s = part_size(huge, DEFAULT_PART).unwrap();
        assert!(huge.div_ceil(s) <= MAX_PARTS);
        assert!(part_size(u64::MAX / 2, DEFAULT_PART).is_err());
    }
}
