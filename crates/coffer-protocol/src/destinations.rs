//! Destinations (S3-compatible storage, WebDAV): the requests that add,
//! list, test and remove them, list the backups on one, and fetch one for
//! the normal inspect/restore path. Settings and credentials travel to the
//! worker once ([`DestSave`]) and are sealed there under the master key;
//! nothing the worker sends back ([`DestinationInfo`]) holds a secret.

use serde::{Deserialize, Serialize};

/// What kind of destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DestinationKind {
    /// S3-compatible object storage.
    S3,
    /// A WebDAV share.
    #[serde(rename = "webdav")]
    WebDav,
}

impl DestinationKind {
    /// The kind's text form (`s3`, `webdav`), also the history prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationKind::S3 => "s3",
            DestinationKind::WebDav => "webdav",
        }
    }
}

/// The settings and credentials of a destination, as the page sends them
/// (once; the worker seals them). `Debug` never shows a secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum DestinationSettings {
    /// An S3-compatible bucket.
    #[serde(rename = "s3", rename_all = "camelCase")]
    S3 {
        /// Service endpoint (`https://s3.eu-central-1.amazonaws.com`).
        endpoint: String,
        /// Region.
        region: String,
        /// Bucket.
        bucket: String,
        /// Where in the bucket backups go (may be empty).
        prefix: String,
        /// Access key id.
        access_key_id: String,
        /// Secret access key; empty on an update keeps the stored one.
        secret: String,
    },
    /// A WebDAV collection.
    #[serde(rename = "webdav", rename_all = "camelCase")]
    WebDav {
        /// The collection's URL.
        url: String,
        /// User name.
        user: String,
        /// Password; empty on an update keeps the stored one.
        password: String,
    },
}

impl std::fmt::Debug for DestinationSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DestinationSettings::S3 {
                endpoint, bucket, ..
            } => write!(f, "S3 {{ endpoint: {endpoint:?}, bucket: {bucket:?}, .. }}"),
            DestinationSettings::WebDav { url, .. } => write!(f, "WebDav {{ url: {url:?}, .. }}"),
        }
    }
}

impl DestinationSettings {
    /// These settings with the secret emptied (what the page may see).
    pub fn without_secret(&self) -> DestinationSettings {
        let mut s = self.clone();
        match &mut s {
            DestinationSettings::S3 { secret, .. } => secret.clear(),
            DestinationSettings::WebDav { password, .. } => password.clear(),
        }
        s
    }

    /// Its kind.
    pub fn kind(&self) -> DestinationKind {
        match self {
            DestinationSettings::S3 { .. } => DestinationKind::S3,
            DestinationSettings::WebDav { .. } => DestinationKind::WebDav,
        }
    }
}

/// A stored destination as the page sees it: no secret, only what
/// identifies it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationInfo {
    /// Its id (1-64 letters, digits, `-`, `_`).
    pub id: String,
    /// Its kind.
    pub kind: DestinationKind,
    /// Where it is: `endpoint/bucket/prefix` or the WebDAV URL.
    pub location: String,
    /// The access key id or user name (not a secret).
    pub account: String,
    /// Its settings with the secret left empty, to edit them.
    pub settings: DestinationSettings,
}

impl DestinationInfo {
    /// The history's name of file `name` on it: `s3:<id>/<name>`.
    pub fn label(&self, name: &str) -> String {
        format!("{}:{}/{name}", self.kind.as_str(), self.id)
    }
}

/// The stored destinations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestList {}

/// The stored destinations, by id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationList {
    /// Each one, without secrets.
    pub destinations: Vec<DestinationInfo>,
}

/// Add destination `id`, or replace the one of that id (an empty secret
/// keeps the stored one of the same kind). Checked, then sealed under the
/// master key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestSave {
    /// Its id.
    pub id: String,
    /// Settings and credentials.
    pub settings: DestinationSettings,
}

/// Forget destination `id` (its backups stay where they are).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestRemove {
    /// Its id.
    pub id: String,
}

/// Test destination `id`: list it, then write and delete a small probe
/// file. A browser that blocks the answers fails with `remote-cors`,
/// whose subject is the rule to set on the destination.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestTest {
    /// Its id.
    pub id: String,
}

/// A destination that answered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestTested {
    /// Coffer backups found on it.
    pub backups: u64,
    /// The probe file was written and deleted.
    pub writable: bool,
}

/// List the Coffer backups on destination `id`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestBackups {
    /// Its id.
    pub id: String,
}

/// One backup on a destination.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteBackup {
    /// Its file name (`coffer-backup-….zip`).
    pub name: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// When it was last written, as the server says it.
    pub modified: String,
}

/// The backups on a destination, newest name first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteBackups {
    /// Each one.
    pub backups: Vec<RemoteBackup>,
}

/// Download backup `name` from destination `id` (attached to the outcome
/// as a `File`, for the normal inspect and restore requests: nothing is
/// written before it was validated completely).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestFetch {
    /// The destination's id.
    pub id: String,
    /// The backup's file name.
    pub name: String,
}

/// A downloaded backup (attached as `file`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fetched {
    /// Its file name.
    pub name: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Where it came from, as the history names it (`s3:<id>/<name>`).
    pub source: String,
}

/// (file) Upload the attached backup as `name` to destination `id`
/// (multipart for S3 when larger than one part).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestUpload {
    /// The destination's id.
    pub id: String,
    /// The file name to write (`coffer-backup-….zip`).
    pub name: String,
}

/// A backup stored on a destination.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Uploaded {
    /// Where it went, as the history names it (`s3:<id>/<name>`).
    pub target: String,
    /// Bytes sent.
    pub bytes: u64,
    /// Parts it was sent in (1 for a single request).
    pub parts: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_hide_secrets_in_debug_and_round_trip() {
        let s = DestinationSettings::S3 {
            endpoint: "http://127.0.0.1:9000".into(),
            region: "us-east-1".into(),
            bucket: "b".into(),
            prefix: "p".into(),
            access_key_id: "AKID".into(),
            secret: "hunter2".into(),
        };
        assert!(!format!("{s:?}").contains("hunter2"));
        let json = serde_json::to_string(&s).expect("json");
        assert!(json.contains(r#""kind":"s3""#) && json.contains("accessKeyId"));
        assert_eq!(
            serde_json::from_str::<DestinationSettings>(&json).ok(),
            Some(s)
        );
        let w = DestinationSettings::WebDav {
            url: "http://dav".into(),
            user: "u".into(),
            password: "pw-secret".into(),
        };
        assert!(!format!("{w:?}").contains("pw-secret"));
        assert_eq!(w.kind().as_str(), "webdav");
    }

    #[test]
    fn labels_name_kind_id_and_file() {
        let d = DestinationInfo {
            id: "work".into(),
            kind: DestinationKind::S3,
            location: "x".into(),
            account: "a".into(),
            settings: DestinationSettings::WebDav {
                url: "x".into(),
                user: "a".into(),
                password: "pw".into(),
            }
            .without_secret(),
        };
        assert!(!format!("{:?}", serde_json::to_string(&d.settings)).contains("pw"));
        assert_eq!(
            d.label("coffer-backup-1.zip"),
            "s3:work/coffer-backup-1.zip"
        );
    }
}
