//! A request to send: method, URL and headers (and a small text body);
//! the caller adds the data body of uploads.

use std::fmt;

/// HTTP methods destinations use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// HEAD
    Head,
    /// PUT
    Put,
    /// POST
    Post,
    /// DELETE
    Delete,
    /// PROPFIND (WebDAV listing)
    Propfind,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Propfind => "PROPFIND",
        }
    }
}

/// One request. Its URL may carry a signature and its headers a password,
/// so `Debug` shows neither; never log `url` or `headers` yourself.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The full URL (S3: presigned).
    pub url: String,
    /// Headers to send as they are.
    pub headers: Vec<(String, String)>,
    /// A small text body (S3's CompleteMultipartUpload, WebDAV's PROPFIND);
    /// `None` for requests without one or whose data the caller supplies.
    pub body: Option<String>,
    /// What this request does, for error messages ("list", "upload part", …).
    pub action: &'static str,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.url.split('?').next().unwrap_or_default();
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("action", &self.action)
            .field("method", &self.method)
            .field("url", &format_args!("{path}?…"))
            .field("headers", &names)
            .finish()
    }
}
