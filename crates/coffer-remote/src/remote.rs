//! A checked destination, making the requests for list, get, put, delete
//! and (S3) multipart uploads.

use std::time::Duration;

use base64::Engine as _;
use rusty_s3::actions::{
    AbortMultipartUpload, CompleteMultipartUpload, CreateMultipartUpload, DeleteObject, GetObject,
    ListObjectsV2, PutObject, UploadPart,
};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use url::Url;

use crate::destination::{coffer_name, http_url, normalize_prefix, required, Destination, Secret};
use crate::error::RemoteError;
use crate::listing::{self, Listing};
use crate::request::{HttpRequest, Method};

/// How long a presigned S3 URL stays valid: each request is signed just
/// before it is sent.
const SIGNED_FOR: Duration = Duration::from_secs(15 * 60);

/// An S3 bucket, ready to sign requests.
pub struct S3Remote {
    bucket: Bucket,
    credentials: Credentials,
    prefix: String,
}

/// A WebDAV collection, ready to make requests.
pub struct DavRemote {
    base: Url,
    authorization: Secret,
}

/// A destination whose settings were checked.
pub enum Remote {
    /// S3-compatible storage.
    S3(S3Remote),
    /// WebDAV.
    WebDav(DavRemote),
}

impl Remote {
    /// Checks the settings; every problem is a typed error naming the field.
    pub fn new(destination: &Destination) -> Result<Remote, RemoteError> {
        match destination {
            Destination::S3(d) => {
                let endpoint = http_url("endpoint", &d.endpoint)?;
                required("region", &d.region)?;
                required("bucket", &d.bucket)?;
                required("access key id", &d.access_key_id)?;
                required("secret", d.secret.expose())?;
                let prefix = normalize_prefix(&d.prefix)?;
                let bucket = Bucket::new(
                    endpoint,
                    UrlStyle::Path,
                    d.bucket.trim().to_owned(),
                    d.region.trim().to_owned(),
                )
                .map_err(|e| RemoteError::BadSetting {
                    field: "bucket",
                    reason: e.to_string(),
                })?;
                let credentials =
                    Credentials::new(d.access_key_id.trim(), d.secret.expose().to_owned());
                Ok(Remote::S3(S3Remote {
                    bucket,
                    credentials,
                    prefix,
                }))
            }
            Destination::WebDav(d) => {
                let mut base = http_url("url", &d.url)?;
                if !base.path().ends_with('/') {
                    base.set_path(&format!("{}/", base.path()));
                }
                required("user", &d.user)?;
                let pair = format!("{}:{}", d.user, d.password.expose());
                let encoded = zeroize::Zeroizing::new(
                    base64::engine::general_purpose::STANDARD.encode(pair.as_bytes()),
                );
                drop(zeroize::Zeroizing::new(pair));
                Ok(Remote::WebDav(DavRemote {
                    base,
                    authorization: Secret::new(format!("Basic {}", encoded.as_str())),
                }))
            }
        }
    }

    /// The S3 side, for multipart uploads; `None` for WebDAV.
    pub fn s3(&self) -> Option<&S3Remote> {
        match self {
            Remote::S3(s) => Some(s),
            Remote::WebDav(_) => None,
        }
    }

    /// Lists the destination (one page; `continuation` from the last page).
    pub fn list(&self, continuation: Option<&str>) -> HttpRequest {
        match self {
            Remote::S3(s) => {
                let mut action = ListObjectsV2::new(&s.bucket, Some(&s.credentials));
                if !s.prefix.is_empty() {
                    action.with_prefix(s.prefix.as_str());
                }
                action.with_delimiter("/");
                if let Some(token) = continuation {
                    action.with_continuation_token(token);
                }
                s3_request(Method::Get, "list", action.sign(SIGNED_FOR))
            }
            Remote::WebDav(d) => {
                let mut req = d.request(Method::Propfind, "list", d.base.clone());
                req.headers.push(("Depth".into(), "1".into()));
                req.headers.push((
                    "Content-Type".into(),
                    "application/xml; charset=utf-8".into(),
                ));
                req.body = Some(listing::PROPFIND_BODY.into());
                req
            }
        }
    }

    /// Reads a listing page: only Coffer's backups (`coffer-backup-….zip`)
    /// right under the prefix, newest name first.
    pub fn parse_list(&self, body: &[u8]) -> Result<Listing, RemoteError> {
        match self {
            Remote::S3(s) => listing::parse_s3(&s.prefix, body),
            Remote::WebDav(d) => listing::parse_webdav(d.base.path(), body),
        }
    }

    /// Downloads a backup.
    pub fn get(&self, name: &str) -> Result<HttpRequest, RemoteError> {
        let name = coffer_name(name)?;
        Ok(match self {
            Remote::S3(s) => {
                let key = s.key(name);
                let action = GetObject::new(&s.bucket, Some(&s.credentials), &key);
                s3_request(Method::Get, "download", action.sign(SIGNED_FOR))
            }
            Remote::WebDav(d) => d.request(Method::Get, "download", d.file(name)?),
        })
    }

    /// Uploads a backup in one request (the caller sends the bytes).
    pub fn put(&self, name: &str) -> Result<HttpRequest, RemoteError> {
        let name = coffer_name(name)?;
        Ok(match self {
            Remote::S3(s) => {
                let key = s.key(name);
                let action = PutObject::new(&s.bucket, Some(&s.credentials), &key);
                s3_request(Method::Put, "upload", action.sign(SIGNED_FOR))
            }
            Remote::WebDav(d) => d.request(Method::Put, "upload", d.file(name)?),
        })
    }

    /// Deletes a backup Coffer wrote.
    pub fn delete(&self, name: &str) -> Result<HttpRequest, RemoteError> {
        let name = coffer_name(name)?;
        Ok(match self {
            Remote::S3(s) => {
                let key = s.key(name);
                let action = DeleteObject::new(&s.bucket, Some(&s.credentials), &key);
                s3_request(Method::Delete, "delete", action.sign(SIGNED_FOR))
            }
            Remote::WebDav(d) => d.request(Method::Delete, "delete", d.file(name)?),
        })
    }
}

impl S3Remote {
    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Starts a multipart upload; the answer holds the upload id.
    pub fn create_multipart(&self, name: &str) -> Result<HttpRequest, RemoteError> {
        let key = self.key(coffer_name(name)?);
        let action = CreateMultipartUpload::new(&self.bucket, Some(&self.credentials), &key);
        Ok(s3_request(
            Method::Post,
            "start upload",
            action.sign(SIGNED_FOR),
        ))
    }

    /// Reads the upload id from the answer to [`Self::create_multipart`].
    pub fn parse_created(&self, body: &[u8]) -> Result<String, RemoteError> {
        listing::parse_upload_id(body)
    }

    /// Uploads part `part` (from 1).
    pub fn upload_part(
        &self,
        name: &str,
        part: u16,
        upload_id: &str,
    ) -> Result<HttpRequest, RemoteError> {
        let key = self.key(coffer_name(name)?);
        let action = UploadPart::new(&self.bucket, Some(&self.credentials), &key, part, upload_id);
        Ok(s3_request(
            Method::Put,
            "upload part",
            action.sign(SIGNED_FOR),
        ))
    }

    /// Completes the upload from the parts' ETags, in part order.
    pub fn complete_multipart(
        &self,
        name: &str,
        upload_id: &str,
        etags: &[String],
    ) -> Result<HttpRequest, RemoteError> {
        let key = self.key(coffer_name(name)?);
        let action = CompleteMultipartUpload::new(
            &self.bucket,
            Some(&self.credentials),
            &key,
            upload_id,
            etags.iter().map(String::as_str),
        );
        let url = action.sign(SIGNED_FOR);
        let mut req = s3_request(Method::Post, "finish upload", url);
        req.body = Some(action.body());
        Ok(req)
    }

    /// Aborts the upload: the server drops the parts it has.
    pub fn abort_multipart(&self, name: &str, upload_id: &str) -> Result<HttpRequest, RemoteError> {
        let key = self.key(coffer_name(name)?);
        let action =
            AbortMultipartUpload::new(&self.bucket, Some(&self.credentials), &key, upload_id);
        Ok(s3_request(
            Method::Delete,
            "abort upload",
            action.sign(SIGNED_FOR),
        ))
    }
}

impl DavRemote {
    fn file(&self, name: &str) -> Result<Url, RemoteError> {
        self.base.join(name).map_err(|e| RemoteError::BadSetting {
            field: "url",
            reason: e.to_string(),
        })
    }

    fn request(&self, method: Method, action: &'static str, url: Url) -> HttpRequest {
        HttpRequest {
            method,
            url: url.into(),
            headers: vec![(
                "Authorization".into(),
                self.authorization.expose().to_owned(),
            )],
            body: None,
            action,
        }
    }
}

fn s3_request(method: Method, action: &'static str, url: Url) -> HttpRequest {
    HttpRequest {
        method,
        url: url.into(),
        headers: Vec::new(),
        body: None,
        action,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destination::{S3Destination, WebDavDestination};

    fn s3() -> Remote {
        Remote::new(&Destination::S3(S3Destination {
            endpoint: "http://127.0.0.1:9000".into(),
            region: "us-east-1".into(),
            bucket: "coffer".into(),
            prefix: "/laptop/".into(),
            access_key_id: "AKID".into(),
            secret: Secret::new("very-secret"),
        }))
        .expect("valid")
    }

    #[test]
    fn s3_requests_are_presigned_path_style_and_never_hold_the_secret() {
        let r = s3();
        let get = r.get("coffer-backup-1.zip").expect("name");
        assert!(get
            .url
            .starts_with("http://127.0.0.1:9000/coffer/laptop/coffer-backup-1.zip?"));
        assert!(get.url.contains("X-Amz-Signature="));
        assert!(!get.url.contains("very-secret"));
        assert!(!format!("{get:?}").contains("X-Amz-Signature"));
        let list = r.list(None);
        assert!(list.url.contains("prefix=laptop%2F"));
        assert_eq!(r.get("../etc/passwd").unwrap_err().code(), "bad-argument");
    }

    #[test]
    fn webdav_requests_carry_basic_auth() {
        let r = Remote::new(&Destination::WebDav(WebDavDestination {
            url: "http://127.0.0.1:8651/backups".into(),
            user: "coffer".into(),
            password: Secret::new("pw"),
        }))
        .expect("valid");
        let put = r.put("coffer-backup-1.zip").expect("name");
        assert_eq!(put.url, "http://127.0.0.1:8651/backups/coffer-backup-1.zip");
        assert_eq!(put.headers[0].1, "Basic Y29mZmVyOnB3");
        assert!(!format!("{put:?}").contains("Y29m"));
        assert_eq!(r.list(None).method, Method::Propfind);
    }

    #[test]
    fn missing_settings_name_the_field() {
        let e = Remote::new(&Destination::S3(S3Destination {
            endpoint: "http://127.0.0.1:9000".into(),
            region: "r".into(),
            bucket: " ".into(),
            prefix: String::new(),
            access_key_id: "a".into(),
            secret: Secret::new("s"),
        }));
        assert_eq!(e.err(), Some(RemoteError::Missing { field: "bucket" }));
    }
}
