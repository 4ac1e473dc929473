//! What a destination is: an S3-compatible bucket (with a prefix) or a
//! WebDAV collection, with its credentials. Checked before use.

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;
use zeroize::Zeroizing;

use crate::error::RemoteError;

/// A credential: wiped from memory when dropped, never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a credential.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(s.into()))
    }

    /// The credential itself, for signing or an Authorization header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// An S3-compatible bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Destination {
    /// The service endpoint, e.g. `https://s3.eu-central-1.amazonaws.com`.
    pub endpoint: String,
    /// The region (any non-empty name for stores that ignore it).
    pub region: String,
    /// The bucket.
    pub bucket: String,
    /// Where in the bucket Coffer writes, e.g. `backups/laptop` (may be empty).
    pub prefix: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret: Secret,
}

/// A WebDAV collection (Nextcloud, ownCloud, Apache `mod_dav`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebDavDestination {
    /// The collection's URL; backups are written right inside it.
    pub url: String,
    /// User name.
    pub user: String,
    /// Password (or app password).
    pub password: Secret,
}

/// Where backups go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Destination {
    /// S3-compatible object storage.
    S3(S3Destination),
    /// A WebDAV share.
    WebDav(WebDavDestination),
}

/// Parses an http(s) URL setting.
pub(crate) fn http_url(field: &'static str, s: &str) -> Result<Url, RemoteError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(RemoteError::Missing { field });
    }
    let url = Url::parse(s).map_err(|e| RemoteError::BadSetting {
        field,
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(RemoteError::BadSetting {
            field,
            reason: "use an http:// or https:// address".into(),
        });
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
        return Err(RemoteError::BadSetting {
            field,
            reason: "put credentials in their own fields, not in the address".into(),
        });
    }
    Ok(url)
}

pub(crate) fn required(field: &'static str, s: &str) -> Result<(), RemoteError> {
    if s.trim().is_empty() {
        Err(RemoteError::Missing { field })
    } else {
        Ok(())
    }
}

/// The prefix as object keys use it: no leading `/`, one trailing `/`
/// unless empty; segments must be non-empty and not `.` or `..`.
pub(crate) fn normalize_prefix(prefix: &str) -> Result<String, RemoteError> {
    let trimmed = prefix.trim().trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let ok = trimmed.split('/').all(|seg| {
        !seg.is_empty() && seg != "." && seg != ".." && !seg.chars().any(|c| c.is_control())
    });
    if !ok {
        return Err(RemoteError::BadSetting {
            field: "prefix",
            reason: "use names separated by '/', without '.', '..' or empty parts".into(),
        });
    }
    Ok(format!("{trimmed}/"))
}

/// Whether `name` is a file Coffer writes: `coffer-backup-….zip` of
/// letters, digits, `.`, `-` and `_`. Listings show only these, and only
/// these can be fetched or deleted.
pub fn is_coffer_name(name: &str) -> bool {
    name.len() <= 200
        && name.starts_with("coffer-backup-")
        && name.ends_with(".zip")
        && name.len() > "coffer-backup-.zip".len()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// `name` if Coffer may read or write it, else the typed error.
pub(crate) fn coffer_name(name: &str) -> Result<&str, RemoteError> {
    if is_coffer_name(name) {
        Ok(name)
    } else {
        Err(RemoteError::NotCofferName { name: name.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_coffer_name("coffer-backup-2026-12-03T22-10-00.zip"));
        assert!(!is_coffer_name("coffer-backup-.zip"));
        assert!(!is_coffer_name("coffer-backup-../x.zip"));
        assert!(!is_coffer_name("other.zip"));
        assert!(!is_coffer_name("coffer-backup-a b.zip"));
    }

    #[test]
    fn prefixes() {
        assert_eq!(normalize_prefix("").unwrap(), "");
        assert_eq!(normalize_prefix("/a/b/").unwrap(), "a/b/");
        assert!(normalize_prefix("a//b").is_err());
        assert!(normalize_prefix("a/../b").is_err());
    }

    #[test]
    fn urls() {
        assert!(http_url("endpoint", "http://127.0.0.1:9000").is_ok());
        assert_eq!(
            http_url("endpoint", " "),
            Err(RemoteError::Missing { field: "endpoint" })
        );
        assert!(http_url("endpoint", "ftp://x").is_err());
        assert!(http_url("url", "https://user:pw@dav.example/").is_err());
        assert!(http_url("url", "not a url").is_err());
    }

    #[test]
    fn secrets_are_not_printed() {
        let d = Destination::WebDav(WebDavDestination {
            url: "https://dav.example/".into(),
            user: "u".into(),
            password: Secret::new("hunter2"),
        });
        assert!(!format!("{d:?}").contains("hunter2"));
    }
}
