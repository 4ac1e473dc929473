//! The "Destinations" card's logic as plain structs: the add/edit form
//! (its fields, checked into [`DestinationSettings`]) and the card's
//! state (which destination's backups are shown). Rendering is in
//! `ui::destinations`.

use coffer_protocol::{DestinationInfo, DestinationKind, DestinationSettings, ErrorCode, Failure};

/// The add/edit form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DestForm {
    /// S3 or WebDAV.
    pub kind: DestinationKind,
    /// The destination's id (fixed when editing).
    pub id: String,
    /// Whether an existing destination is edited (an empty secret keeps
    /// the stored one).
    pub editing: bool,
    /// S3: endpoint.
    pub endpoint: String,
    /// S3: region.
    pub region: String,
    /// S3: bucket.
    pub bucket: String,
    /// S3: prefix.
    pub prefix: String,
    /// S3: access key id.
    pub access_key_id: String,
    /// WebDAV: the collection's URL.
    pub url: String,
    /// WebDAV: user name.
    pub user: String,
}

impl Default for DestForm {
    fn default() -> Self {
        DestForm {
            kind: DestinationKind::S3,
            id: String::new(),
            editing: false,
            endpoint: String::new(),
            region: "us-east-1".into(),
            bucket: String::new(),
            prefix: String::new(),
            access_key_id: String::new(),
            url: String::new(),
            user: String::new(),
        }
    }
}

fn bad(field: &str) -> Failure {
    Failure::new(
        ErrorCode::BadDestination,
        format!("{field} is missing or not usable"),
    )
    .about(field.to_owned())
}

/// Whether `id` is 1-64 letters, digits, `-` or `_` (the worker checks it
/// again).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl DestForm {
    /// The form to edit a stored destination (its secret is never shown).
    pub fn edit(d: &DestinationInfo) -> DestForm {
        let mut f = DestForm {
            id: d.id.clone(),
            editing: true,
            kind: d.kind,
            ..DestForm::default()
        };
        match &d.settings {
            DestinationSettings::S3 {
                endpoint,
                region,
                bucket,
                prefix,
                access_key_id,
                ..
            } => {
                f.endpoint = endpoint.clone();
                f.region = region.clone();
                f.bucket = bucket.clone();
                f.prefix = prefix.clone();
                f.access_key_id = access_key_id.clone();
            }
            DestinationSettings::WebDav { url, user, .. } => {
                f.url = url.clone();
                f.user = user.clone();
            }
        }
        f
    }

    /// The settings to send, with `secret` (read from its password field
    /// only now); the first missing field is a `bad-destination` failure
    /// naming it.
    pub fn settings(&self, secret: String) -> Result<(String, DestinationSettings), Failure> {
        let id = self.id.trim();
        if !valid_id(id) {
            return Err(bad("name"));
        }
        let need = |field: &str, v: &str| {
            if v.trim().is_empty() {
                Err(bad(field))
            } else {
                Ok(v.trim().to_owned())
            }
        };
        if secret.is_empty() && !self.editing {
            return Err(bad(match self.kind {
                DestinationKind::S3 => "secret",
                DestinationKind::WebDav => "password",
            }));
        }
        let settings = match self.kind {
            DestinationKind::S3 => DestinationSettings::S3 {
                endpoint: need("endpoint", &self.endpoint)?,
                region: need("region", &self.region)?,
                bucket: need("bucket", &self.bucket)?,
                prefix: self.prefix.trim().to_owned(),
                access_key_id: need("access key id", &self.access_key_id)?,
                secret,
            },
            DestinationKind::WebDav => DestinationSettings::WebDav {
                url: need("url", &self.url)?,
                user: need("user", &self.user)?,
                password: secret,
            },
        };
        Ok((id.to_owned(), settings))
    }
}

/// What the card shows besides the list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DestCard {
    /// The form, when adding or editing.
    pub form: Option<DestForm>,
    /// The destination whose backups are listed, and them.
    pub backups: Option<(String, Vec<coffer_protocol::RemoteBackup>)>,
}

impl DestCard {
    /// Opens the form for a new destination.
    pub fn add(&mut self) {
        self.form = Some(DestForm::default());
    }

    /// Opens the form for `d`.
    pub fn edit(&mut self, d: &DestinationInfo) {
        self.form = Some(DestForm::edit(d));
    }

    /// Closes the form (saved or cancelled).
    pub fn close(&mut self) {
        self.form = None;
    }

    /// The list changed: forget the backups of a destination that is gone.
    pub fn listed(&mut self, ds: &[DestinationInfo]) {
        if let Some((id, _)) = &self.backups {
            if !ds.iter().any(|d| &d.id == id) {
                self.backups = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_destination_needs_every_field_and_its_secret() {
        let mut f = DestForm {
            id: "work".into(),
            endpoint: "http://127.0.0.1:9000".into(),
            bucket: "b".into(),
            access_key_id: "AKID".into(),
            ..DestForm::default()
        };
        assert_eq!(
            f.settings(String::new()).unwrap_err().subject.as_deref(),
            Some("secret")
        );
        let (id, s) = f.settings("sk".into()).unwrap();
        assert_eq!(id, "work");
        assert!(matches!(s, DestinationSettings::S3 { ref secret, .. } if secret == "sk"));
        f.bucket = " ".into();
        assert_eq!(
            f.settings("sk".into()).unwrap_err().code,
            ErrorCode::BadDestination
        );
        f.id = "a/b".into();
        assert_eq!(
            f.settings("sk".into()).unwrap_err().subject.as_deref(),
            Some("name")
        );
    }

    #[test]
    fn editing_keeps_the_stored_secret_and_never_shows_it() {
        let info = DestinationInfo {
            id: "home".into(),
            kind: DestinationKind::WebDav,
            location: "http://dav/".into(),
            account: "me".into(),
            settings: DestinationSettings::WebDav {
                url: "http://dav/".into(),
                user: "me".into(),
                password: String::new(),
            },
        };
        let mut card = DestCard::default();
        card.edit(&info);
        let f = card.form.clone().unwrap();
        assert!(f.editing && f.url == "http://dav/" && f.user == "me");
        let (_, s) = f.settings(String::new()).unwrap();
        assert_eq!(s, info.settings);
        card.backups = Some(("home".into(), vec![]));
        card.listed(&[]);
        assert_eq!(card.backups, None);
        card.close();
        assert_eq!(card.form, None);
    }
}
