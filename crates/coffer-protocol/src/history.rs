//! The history (audit log): what Coffer did, kept in its own database by
//! the worker and shown by the page. An entry says when, what (databases,
//! stores, records, bytes), under which key id, where the file went and how
//! it ended. It never holds key material or passphrases.

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;

/// The most entries kept; the oldest are dropped past it.
pub const HISTORY_LIMIT: u32 = 500;

/// What an entry is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HistoryKind {
    /// A backup asked for by the user or a script.
    Backup,
    /// A restore.
    Restore,
    /// A key export.
    KeyExport,
    /// A key replacement.
    KeyReplace,
    /// An automatic backup to the chosen folder.
    AutoBackup,
}

impl HistoryKind {
    /// Every kind, in the order the filter lists them.
    pub const ALL: [HistoryKind; 5] = [
        HistoryKind::Backup,
        HistoryKind::AutoBackup,
        HistoryKind::Restore,
        HistoryKind::KeyExport,
        HistoryKind::KeyReplace,
    ];

    /// The kind's text form (`backup`, `auto-backup`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryKind::Backup => "backup",
            HistoryKind::Restore => "restore",
            HistoryKind::KeyExport => "key-export",
            HistoryKind::KeyReplace => "key-replace",
            HistoryKind::AutoBackup => "auto-backup",
        }
    }

    /// The kind with text form `s`.
    pub fn parse(s: &str) -> Option<HistoryKind> {
        HistoryKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether it made a backup file.
    pub fn is_backup(self) -> bool {
        matches!(self, HistoryKind::Backup | HistoryKind::AutoBackup)
    }
}

/// How an entry ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum HistoryOutcome {
    /// Still running (or its worker was stopped; settled as `cancelled` by
    /// the next start).
    Running,
    /// It succeeded.
    Done,
    /// It was cancelled (or stopped); nothing was written.
    Cancelled,
    /// It failed with `code`; nothing was written.
    Failed {
        /// The error code.
        code: ErrorCode,
    },
}

/// One entry of the history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// Its id in Coffer's database (ascending with time).
    #[serde(default)]
    pub id: u64,
    /// When it started (`Date.now()`).
    pub time_ms: f64,
    /// When it ended.
    #[serde(default)]
    pub ended_ms: Option<f64>,
    /// What it was.
    pub kind: HistoryKind,
    /// The databases it covered.
    #[serde(default)]
    pub databases: Vec<String>,
    /// Stores covered.
    #[serde(default)]
    pub stores: u64,
    /// Records written or restored (re-sealed, for a key replacement).
    #[serde(default)]
    pub records: u64,
    /// Bytes of the file made (backups).
    #[serde(default)]
    pub bytes: u64,
    /// The master key id involved (never the key).
    #[serde(default)]
    pub key_id: Option<String>,
    /// Where the file went (`download`, `app`, `folder/file.zip`) or came
    /// from (a restore's file name).
    #[serde(default)]
    pub destination: Option<String>,
    /// How it ended.
    pub outcome: HistoryOutcome,
}

impl HistoryEntry {
    /// A running entry of `kind` started at `time_ms`.
    pub fn start(kind: HistoryKind, time_ms: f64) -> Self {
        HistoryEntry {
            id: 0,
            time_ms,
            ended_ms: None,
            kind,
            databases: Vec::new(),
            stores: 0,
            records: 0,
            bytes: 0,
            key_id: None,
            destination: None,
            outcome: HistoryOutcome::Running,
        }
    }

    /// Whether it is a backup that succeeded.
    pub fn is_good_backup(&self) -> bool {
        self.kind.is_backup() && self.outcome == HistoryOutcome::Done
    }
}

/// The history, newest first (of one kind, when asked).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    /// Only entries of this kind.
    #[serde(default)]
    pub kind: Option<HistoryKind>,
}

/// The answer to [`History`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryList {
    /// Entries, newest first.
    pub entries: Vec<HistoryEntry>,
}

impl HistoryList {
    /// When the newest successful backup (manual or automatic) ended.
    pub fn last_backup_ms(&self) -> Option<f64> {
        last_backup_ms(&self.entries)
    }

    /// The history as JSON Lines (one entry per line, newest first).
    pub fn to_json_lines(&self) -> String {
        to_json_lines(&self.entries)
    }
}

/// When the newest successful backup in `entries` ended (or started).
pub fn last_backup_ms(entries: &[HistoryEntry]) -> Option<f64> {
    entries
        .iter()
        .filter(|e| e.is_good_backup())
        .map(|e| e.ended_ms.unwrap_or(e.time_ms))
        .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.max(t))))
}

/// `entries` as JSON Lines.
pub fn to_json_lines(entries: &[HistoryEntry]) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str(&crate::messages::encode(e));
        out.push('\n');
    }
    out
}

/// `entries` of `kind` (all when `None`), newest first.
pub fn filter(entries: &[HistoryEntry], kind: Option<HistoryKind>) -> Vec<HistoryEntry> {
    let mut v: Vec<HistoryEntry> = entries
        .iter()
        .filter(|e| kind.is_none_or(|k| e.kind == k))
        .cloned()
        .collect();
    v.sort_by(|a, b| b.id.cmp(&a.id).then(b.time_ms.total_cmp(&a.time_ms)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u64, kind: HistoryKind, outcome: HistoryOutcome, t: f64) -> HistoryEntry {
        HistoryEntry {
            id,
            outcome,
            ..HistoryEntry::start(kind, t)
        }
    }

    #[test]
    fn kinds_round_trip_through_text() {
        for k in HistoryKind::ALL {
            assert_eq!(HistoryKind::parse(k.as_str()), Some(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
        assert_eq!(HistoryKind::parse("nope"), None);
    }

    #[test]
    fn last_backup_is_the_newest_successful_one() {
        let e = vec![
            entry(1, HistoryKind::Backup, HistoryOutcome::Done, 10.0),
            entry(2, HistoryKind::AutoBackup, HistoryOutcome::Done, 30.0),
            entry(3, HistoryKind::Backup, HistoryOutcome::Cancelled, 50.0),
            entry(
                4,
                HistoryKind::AutoBackup,
                HistoryOutcome::Failed {
                    code: ErrorCode::BrowserError,
                },
                60.0,
            ),
            entry(5, HistoryKind::Restore, HistoryOutcome::Done, 70.0),
        ];
        assert_eq!(last_backup_ms(&e), Some(30.0));
        assert_eq!(last_backup_ms(&e[2..]), None);
    }

    #[test]
    fn filter_is_newest_first_and_by_kind() {
        let e = vec![
            entry(1, HistoryKind::Backup, HistoryOutcome::Done, 10.0),
            entry(2, HistoryKind::Restore, HistoryOutcome::Done, 20.0),
            entry(3, HistoryKind::Backup, HistoryOutcome::Done, 30.0),
        ];
        let all: Vec<u64> = filter(&e, None).iter().map(|e| e.id).collect();
        assert_eq!(all, [3, 2, 1]);
        let b: Vec<u64> = filter(&e, Some(HistoryKind::Backup))
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(b, [3, 1]);
    }

    #[test]
    fn json_lines_hold_one_parsable_entry_per_line() {
        let mut a = entry(
            7,
            HistoryKind::AutoBackup,
            HistoryOutcome::Failed {
                code: ErrorCode::BrowserQuota,
            },
            1.5e12,
        );
        a.key_id = Some("ab12".into());
        a.destination = Some("backups/coffer-auto.zip".into());
        let b = entry(6, HistoryKind::KeyExport, HistoryOutcome::Done, 1.4e12);
        let text = to_json_lines(&[a.clone(), b.clone()]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].contains("\"kind\":\"auto-backup\""));
        assert!(lines[0].contains("\"state\":\"failed\",\"code\":\"browser-quota\""));
        assert_eq!(serde_json::from_str::<HistoryEntry>(lines[0]).unwrap(), a);
        assert_eq!(serde_json::from_str::<HistoryEntry>(lines[1]).unwrap(), b);
    }
}
