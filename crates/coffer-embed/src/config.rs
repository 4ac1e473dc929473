//! The embedding configuration: which databases the element shows and
//! backs up, which stores are encrypted, locale, theme and layout. Plain
//! data (no browser), shared by the `<coffer-backup>` attributes and the
//! Leptos [`BackupManagement`](super) component.

use coffer_protocol::{parse_list, Lang, Scope};

/// The colour scheme of the embedded UI.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Theme {
    /// Light colours.
    Light,
    /// Dark colours.
    Dark,
    /// Follow the system (`prefers-color-scheme`).
    #[default]
    Auto,
}

impl Theme {
    /// Parses `light`, `dark` or `auto` (anything else is `Auto`).
    pub fn parse(s: &str) -> Theme {
        match s.trim().to_ascii_lowercase().as_str() {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::Auto,
        }
    }

    /// The attribute value: `light`, `dark` or `auto`.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::Auto => "auto",
        }
    }
}

/// How the embedded Backup Management is set up. Build it with the
/// chained methods:
///
/// ```
/// use coffer_embed::{BackupConfig, Theme};
/// let cfg = BackupConfig::new()
///     .include(["todo-app"])
///     .encrypted("todo-app", "tokens")
///     .theme(Theme::Dark)
///     .compact(true);
/// assert!(cfg.allows("todo-app"));
/// assert!(!cfg.allows("analytics-cache"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupConfig {
    /// Databases to show and back up (empty: all). A trailing `*` matches
    /// a prefix.
    pub include: Vec<String>,
    /// Databases to leave out (wins over `include`). A trailing `*`
    /// matches a prefix.
    pub exclude: Vec<String>,
    /// Stores to create (if missing) and register as encrypted stores,
    /// as `(database, store)`.
    pub encrypted: Vec<(String, String)>,
    /// BCP 47 language tag of the UI (`lang`): `de`, `de-DE`, … show
    /// German texts; anything else (or `None`) English.
    pub locale: Option<String>,
    /// The colour scheme.
    pub theme: Theme,
    /// A denser, single-column layout for narrow places.
    pub compact: bool,
    /// Where the engine worker is loaded from; `None` keeps the default
    /// (`./worker_loader.js` next to the page, as Trunk builds it). Each
    /// element or component has its own.
    pub worker_url: Option<String>,
}

/// Parses `db/store` pairs (separated by commas or whitespace); entries
/// without a `/` or with an empty side are ignored.
pub fn parse_stores(s: &str) -> Vec<(String, String)> {
    parse_list(s)
        .into_iter()
        .filter_map(|p| {
            let (db, store) = p.split_once('/')?;
            (!db.is_empty() && !store.is_empty()).then(|| (db.to_owned(), store.to_owned()))
        })
        .collect()
}

impl BackupConfig {
    /// Everything included, light/dark following the system, full layout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Shows and backs up only these databases.
    pub fn include<I: IntoIterator<Item = S>, S: Into<String>>(mut self, dbs: I) -> Self {
        self.include.extend(dbs.into_iter().map(Into::into));
        self
    }

    /// Leaves these databases out.
    pub fn exclude<I: IntoIterator<Item = S>, S: Into<String>>(mut self, dbs: I) -> Self {
        self.exclude.extend(dbs.into_iter().map(Into::into));
        self
    }

    /// Registers `db/store` as an encrypted store (created if missing).
    pub fn encrypted(mut self, db: impl Into<String>, store: impl Into<String>) -> Self {
        self.encrypted.push((db.into(), store.into()));
        self
    }

    /// Sets the UI language tag.
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        self.locale = Some(locale.into());
        self
    }

    /// Sets the colour scheme.
    pub fn theme(mut self, theme: Theme) -> Self {
        self.theme = theme;
        self
    }

    /// Chooses the compact layout.
    pub fn compact(mut self, compact: bool) -> Self {
        self.compact = compact;
        self
    }

    /// Loads the engine worker from `url` (e.g. the `coffer-worker.js` of
    /// the embed artifact, copied next to your app).
    pub fn worker_url(mut self, url: impl Into<String>) -> Self {
        self.worker_url = Some(url.into());
        self
    }

    /// Reads the configuration from element attributes: `include`,
    /// `exclude`, `encrypted`, `locale`, `theme`, `compact` (present and
    /// not `"false"`) and `worker-url`.
    pub fn from_attributes(get: impl Fn(&str) -> Option<String>) -> Self {
        BackupConfig {
            include: get("include").map(|s| parse_list(&s)).unwrap_or_default(),
            exclude: get("exclude").map(|s| parse_list(&s)).unwrap_or_default(),
            encrypted: get("encrypted")
                .map(|s| parse_stores(&s))
                .unwrap_or_default(),
            locale: get("locale").filter(|s| !s.trim().is_empty()),
            theme: get("theme").map(|s| Theme::parse(&s)).unwrap_or_default(),
            compact: get("compact").is_some_and(|s| s.trim() != "false"),
            worker_url: get("worker-url").filter(|s| !s.trim().is_empty()),
        }
    }

    /// The language of the texts, from [`BackupConfig::locale`].
    pub fn lang(&self) -> Lang {
        Lang::from_tag(self.locale.as_deref().unwrap_or(""))
    }

    /// The databases it shows, backs up and restores.
    pub fn scope(&self) -> Scope {
        Scope {
            include: self.include.clone(),
            exclude: self.exclude.clone(),
        }
    }

    /// Whether database `name` is shown and backed up.
    pub fn allows(&self, name: &str) -> bool {
        self.scope().allows(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_parse() {
        let attrs = [
            ("include", "app, cache-*"),
            ("exclude", "cache-big"),
            ("encrypted", "app/tokens bad /x app/keys"),
            ("theme", "DARK"),
            ("compact", ""),
            ("locale", "de"),
        ];
        let c = BackupConfig::from_attributes(|n| {
            attrs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| (*v).to_owned())
        });
        assert_eq!(c.include, ["app", "cache-*"]);
        assert_eq!(
            c.encrypted,
            [
                ("app".into(), "tokens".into()),
                ("app".into(), "keys".into())
            ]
        );
        assert_eq!(c.theme, Theme::Dark);
        assert!(c.compact);
        assert_eq!(c.locale.as_deref(), Some("de"));
        assert!(c.allows("app") && c.allows("cache-small"));
        assert!(!c.allows("cache-big") && !c.allows("other"));
        let none = BackupConfig::from_attributes(|_| None);
        assert_eq!(none, BackupConfig::new());
        assert!(none.allows("anything"));
        let off = BackupConfig::from_attributes(|n| (n == "compact").then(|| "false".into()));
        assert!(!off.compact);
    }
}
