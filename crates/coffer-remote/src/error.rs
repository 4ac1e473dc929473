//! What can go wrong with a destination, read from HTTP answers.

/// A destination failed, or its settings are unusable. The text never
/// holds a secret, a signature or a signed URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// A setting is missing.
    #[error("{field} is required")]
    Missing {
        /// Which setting.
        field: &'static str,
    },
    /// A URL setting is not an http(s) URL, or a name is unusable.
    #[error("{field} is not usable: {reason}")]
    BadSetting {
        /// Which setting.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The file name is not one Coffer writes (`coffer-backup-….zip`).
    #[error("{name:?} is not a Coffer backup name (coffer-backup-….zip, letters, digits, '.', '-', '_')")]
    NotCofferName {
        /// The name given.
        name: String,
    },
    /// The server refused the credentials.
    #[error("the destination refused the credentials (HTTP {status}{}): check the access key id and secret, or the user and password", code_suffix(code))]
    WrongCredentials {
        /// HTTP status.
        status: u16,
        /// The server's error code, if it gave one.
        code: String,
    },
    /// The credentials are valid but may not do this.
    #[error("the credentials may not {action} on this destination (HTTP 403{}): check the key's permissions", code_suffix(code))]
    Forbidden {
        /// What was tried.
        action: &'static str,
        /// The server's error code, if it gave one.
        code: String,
    },
    /// The bucket, collection or file does not exist.
    #[error(
        "{action}: not found on the destination (HTTP 404{})",
        code_suffix(code)
    )]
    NotFound {
        /// What was tried.
        action: &'static str,
        /// The server's error code, if it gave one.
        code: String,
    },
    /// Any other failed answer.
    #[error(
        "{action}: the destination answered HTTP {status}{}",
        code_suffix(code)
    )]
    Server {
        /// What was tried.
        action: &'static str,
        /// HTTP status.
        status: u16,
        /// The server's error code, if it gave one.
        code: String,
    },
    /// An answer could not be read.
    #[error("{action}: the destination's answer could not be read ({reason})")]
    BadAnswer {
        /// What was tried.
        action: &'static str,
        /// Why.
        reason: String,
    },
    /// The server could not be reached (network, DNS, refused connection,
    /// or, in a browser, a CORS rule that does not allow this page).
    #[error("cannot reach the destination: {reason}")]
    Unreachable {
        /// What the HTTP client said (never a URL).
        reason: String,
    },
    /// A part of a multipart upload kept failing; the upload was aborted.
    #[error("part {part} of the upload failed {attempts} times ({last}); the upload was aborted, nothing was left on the destination")]
    PartFailed {
        /// The part number (from 1).
        part: u16,
        /// How often it was tried.
        attempts: u32,
        /// The last failure.
        last: Box<RemoteError>,
    },
    /// The file is too large for a multipart upload (10,000 parts of 5 GiB).
    #[error("{bytes} bytes are too many for one upload")]
    TooLarge {
        /// The size.
        bytes: u64,
    },
}

fn code_suffix(code: &str) -> String {
    if code.is_empty() {
        String::new()
    } else {
        format!(", {code}")
    }
}

impl RemoteError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RemoteError::Missing { .. } | RemoteError::BadSetting { .. } => "bad-destination",
            RemoteError::NotCofferName { .. } => "bad-argument",
            RemoteError::WrongCredentials { .. } => "remote-wrong-credentials",
            RemoteError::Forbidden { .. } => "remote-forbidden",
            RemoteError::NotFound { .. } => "remote-not-found",
            RemoteError::Server { .. } | RemoteError::BadAnswer { .. } => "remote-failed",
            RemoteError::Unreachable { .. } => "remote-unreachable",
            RemoteError::PartFailed { .. } => "remote-upload-failed",
            RemoteError::TooLarge { .. } => "remote-too-large",
        }
    }

    /// Reads a failed answer: its status and, for S3, the `<Code>` of its
    /// XML body (`InvalidAccessKeyId`, `SignatureDoesNotMatch`, …).
    pub fn from_answer(action: &'static str, status: u16, body: &[u8]) -> RemoteError {
        let code = s3_error_code(body).unwrap_or_default();
        match (status, code.as_str()) {
            (401, _) | (403, "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "InvalidToken") => {
                RemoteError::WrongCredentials { status, code }
            }
            (403, _) => RemoteError::Forbidden { action, code },
            (404, _) => RemoteError::NotFound { action, code },
            _ => RemoteError::Server {
                action,
                status,
                code,
            },
        }
    }

    /// Whether trying the same request again may help (server errors,
    /// throttling, lost connections).
    pub fn is_transient(&self) -> bool {
        match self {
            RemoteError::Server { status, .. } => {
                *status >= 500 || *status == 408 || *status == 429
            }
            RemoteError::Unreachable { .. } | RemoteError::BadAnswer { .. } => true,
            _ => false,
        }
    }
}

/// The `<Code>` of an S3 error document, if the body is one.
fn s3_error_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body.get(..body.len().min(4096))?).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let end = text[start..].find("</Code>")? + start;
    let code = &text[start..end];
    (code.len() <= 64 && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'))
        .then(|| code.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_codes_decide_between_wrong_credentials_and_forbidden() {
        let body = b"<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>x</Message></Error>";
        assert_eq!(
            RemoteError::from_answer("list", 403, body).code(),
            "remote-wrong-credentials"
        );
        let body = b"<Error><Code>AccessDenied</Code></Error>";
        assert_eq!(
            RemoteError::from_answer("list", 403, body).code(),
            "remote-forbidden"
        );
        assert_eq!(
            RemoteError::from_answer("get", 401, b"").code(),
            "remote-wrong-credentials"
        );
        assert_eq!(
            RemoteError::from_answer("get", 404, b"").code(),
            "remote-not-found"
        );
        let e = RemoteError::from_answer("put", 503, b"<Error><Code>SlowDown</Code></Error>");
        assert!(e.is_transient());
        assert_eq!(
            e.to_string(),
            "put: the destination answered HTTP 503, SlowDown"
        );
    }

    #[test]
    fn odd_bodies_give_no_code() {
        assert_eq!(s3_error_code(b"<Code>no closing"), None);
        assert_eq!(s3_error_code(b"<Code><script></Code>"), None);
        assert_eq!(s3_error_code(&[0xff, 0xfe]), None);
    }
}
