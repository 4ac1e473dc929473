//! Automatic backups to a folder: the settings, when a backup is due, the
//! reminder, and which files the retention keeps. Plain logic, shared by
//! the worker (which runs them) and the page (which shows them).

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;

/// Milliseconds in an hour.
pub const HOUR_MS: f64 = 3_600_000.0;
/// Milliseconds in a day.
pub const DAY_MS: f64 = 24.0 * HOUR_MS;
/// Without automatic backups, the overview warns when the last backup is
/// older than this.
pub const REMIND_AFTER_MS: f64 = 7.0 * DAY_MS;
/// Names of the files automatic backups write: `coffer-auto-<date>.zip`.
pub const AUTO_PREFIX: &str = "coffer-auto-";

/// How automatic backups run (missing fields take their defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AutoSettings {
    /// Whether they run at all.
    pub enabled: bool,
    /// Every this many hours while the app is open (and at start when the
    /// last backup is older).
    pub interval_hours: f64,
    /// Lock each file with the master key (no passphrase to type; the key
    /// file opens it elsewhere).
    pub lock: bool,
    /// Keep the newest this many files.
    pub keep_last: u32,
    /// And the newest file of each of the last this many days.
    pub keep_daily: u32,
    /// And the newest file of each of the last this many weeks.
    pub keep_weekly: u32,
    /// Send them to this stored destination instead of the folder (the
    /// retention deletes only files the automatic backups wrote there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
}

impl Default for AutoSettings {
    fn default() -> Self {
        AutoSettings {
            enabled: false,
            interval_hours: 24.0,
            lock: true,
            keep_last: 3,
            keep_daily: 7,
            keep_weekly: 4,
            destination: None,
        }
    }
}

impl AutoSettings {
    /// The interval in milliseconds (at least one second).
    pub fn interval_ms(&self) -> f64 {
        if self.interval_hours.is_finite() {
            (self.interval_hours * HOUR_MS).max(1000.0)
        } else {
            DAY_MS
        }
    }

    /// Whether a backup is due at `now_ms` when the last good one ended at
    /// `last_ms` (none yet: due).
    pub fn is_due(&self, last_ms: Option<f64>, now_ms: f64) -> bool {
        self.enabled && last_ms.is_none_or(|t| now_ms - t >= self.interval_ms())
    }

    /// Settings a caller may store: a positive interval, at least one file
    /// kept.
    pub fn validated(mut self) -> Result<Self, ErrorCode> {
        if !(self.interval_hours.is_finite() && self.interval_hours > 0.0) {
            return Err(ErrorCode::BadArgument);
        }
        self.keep_last = self.keep_last.max(1);
        self.destination = self.destination.filter(|d| !d.trim().is_empty());
        Ok(self)
    }
}

/// How the overview speaks about the last backup.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reminder {
    /// No backup was ever made.
    Never,
    /// The last one is recent enough (`ms` ago).
    Recent {
        /// Age in milliseconds.
        ms: f64,
    },
    /// The last one is older than the schedule allows (`ms` ago).
    Overdue {
        /// Age in milliseconds.
        ms: f64,
    },
}

impl Reminder {
    /// The reminder at `now_ms`: overdue past the automatic schedule (when
    /// one is set) or past [`REMIND_AFTER_MS`].
    pub fn at(settings: Option<&AutoSettings>, last_ms: Option<f64>, now_ms: f64) -> Reminder {
        let limit = settings
            .filter(|s| s.enabled)
            .map_or(REMIND_AFTER_MS, AutoSettings::interval_ms);
        match last_ms {
            None => Reminder::Never,
            Some(t) => {
                let ms = (now_ms - t).max(0.0);
                if ms > limit {
                    Reminder::Overdue { ms }
                } else {
                    Reminder::Recent { ms }
                }
            }
        }
    }

    /// Whether the overview shows it as a warning.
    pub fn is_warning(self) -> bool {
        !matches!(self, Reminder::Recent { .. })
    }
}

/// A file an automatic backup wrote (Coffer deletes no other file).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WrittenFile {
    /// Its name in the folder.
    pub name: String,
    /// When it was made.
    pub time_ms: f64,
}

/// Which of `files` (written by Coffer) to delete at `now_ms`: every one
/// that is not among the newest `keep_last`, not the newest of one of the
/// last `keep_daily` days and not the newest of one of the last
/// `keep_weekly` weeks (UTC days; weeks counted from `now_ms`).
pub fn to_delete(files: &[WrittenFile], s: &AutoSettings, now_ms: f64) -> Vec<String> {
    let mut sorted: Vec<&WrittenFile> = files.iter().collect();
    sorted.sort_by(|a, b| b.time_ms.total_cmp(&a.time_ms));
    let mut keep = vec![false; sorted.len()];
    for k in keep.iter_mut().take(s.keep_last.max(1) as usize) {
        *k = true;
    }
    let today = (now_ms / DAY_MS).floor();
    let bucket = |period_days: f64, count: u32, keep: &mut Vec<bool>| {
        let mut seen: Vec<i64> = Vec::new();
        for (i, f) in sorted.iter().enumerate() {
            let day = (f.time_ms / DAY_MS).floor();
            let age = ((today - day) / period_days).floor();
            if age < 0.0 || age >= f64::from(count) {
                continue;
            }
            let b = age as i64;
            if !seen.contains(&b) {
                seen.push(b);
                keep[i] = true;
            }
        }
    };
    bucket(1.0, s.keep_daily, &mut keep);
    bucket(7.0, s.keep_weekly, &mut keep);
    sorted
        .iter()
        .zip(keep)
        .filter(|(_, k)| !k)
        .map(|(f, _)| f.name.clone())
        .collect()
}

/// The file name of an automatic backup made at `now_ms` (`y, mo, d, h,
/// mi, s` in UTC) — by date, so they sort by time.
pub fn auto_file_name(y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> String {
    format!("{AUTO_PREFIX}{y:04}-{mo:02}-{d:02}-{h:02}{mi:02}{s:02}.zip")
}

/// Automatic backups: their settings, folder and state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoGet {}

/// Store the settings (and the folder handle attached as `value`, when a
/// new one was picked).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoSet {
    /// The settings.
    pub settings: AutoSettings,
}

/// Run an automatic backup now if one is due (or `force`): back up every
/// database into the folder, then apply the retention.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoRun {
    /// `Date.now()` of the page.
    pub now_ms: f64,
    /// Run even if not due.
    #[serde(default)]
    pub force: bool,
}

/// Automatic backups' state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoState {
    /// The settings (defaults when never set).
    pub settings: AutoSettings,
    /// The chosen folder's name, if one was chosen.
    pub folder: Option<String>,
    /// When the last good backup (manual or automatic) ended.
    pub last_backup_ms: Option<f64>,
    /// How the last automatic run failed, when it did (cleared by the next
    /// good run).
    pub last_failure: Option<ErrorCode>,
    /// The files Coffer wrote there and keeps, newest first.
    pub files: Vec<String>,
}

/// What an automatic run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoRan {
    /// Whether a backup was made (false: not due).
    pub ran: bool,
    /// The file written.
    pub file_name: Option<String>,
    /// Records in it.
    pub records: u64,
    /// Its size.
    pub bytes: u64,
    /// Files the retention deleted.
    pub deleted: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, t: f64) -> WrittenFile {
        WrittenFile {
            name: name.into(),
            time_ms: t,
        }
    }

    #[test]
    fn due_when_older_than_the_interval_or_never_made() {
        let s = AutoSettings {
            enabled: true,
            interval_hours: 2.0,
            ..AutoSettings::default()
        };
        assert!(s.is_due(None, 0.0));
        assert!(!s.is_due(Some(0.0), HOUR_MS));
        assert!(s.is_due(Some(0.0), 2.0 * HOUR_MS));
        let off = AutoSettings::default();
        assert!(!off.is_due(None, 0.0));
        assert!(AutoSettings {
            interval_hours: 0.0,
            ..s.clone()
        }
        .validated()
        .is_err());
        assert!(AutoSettings {
            interval_hours: f64::NAN,
            ..s
        }
        .validated()
        .is_err());
    }

    #[test]
    fn the_reminder_turns_into_a_warning_past_the_schedule() {
        let s = AutoSettings {
            enabled: true,
            interval_hours: 24.0,
            ..AutoSettings::default()
        };
        let now = 10.0 * DAY_MS;
        assert_eq!(Reminder::at(Some(&s), None, now), Reminder::Never);
        assert!(!Reminder::at(Some(&s), Some(now - HOUR_MS), now).is_warning());
        assert!(Reminder::at(Some(&s), Some(now - 3.0 * DAY_MS), now).is_warning());
        // Without a schedule: a week.
        assert!(!Reminder::at(None, Some(now - 3.0 * DAY_MS), now).is_warning());
        assert!(Reminder::at(None, Some(now - 8.0 * DAY_MS), now).is_warning());
    }

    #[test]
    fn retention_keeps_the_last_k_and_one_per_day_and_week() {
        let now = 100.0 * DAY_MS + 12.0 * HOUR_MS;
        let s = AutoSettings {
            keep_last: 2,
            keep_daily: 3,
            keep_weekly: 2,
            ..AutoSettings::default()
        };
        let files = vec![
            file("a", now - 1.0 * HOUR_MS),    // last 1
            file("b", now - 2.0 * HOUR_MS),    // last 2
            file("c", now - 3.0 * HOUR_MS),    // today again: deleted
            file("d", now - DAY_MS),           // yesterday
            file("e", now - DAY_MS - HOUR_MS), // yesterday, older: deleted
            file("f", now - 2.0 * DAY_MS),     // day 3
            file("g", now - 3.0 * DAY_MS),     // day 4: outside days, week 0 taken by a
            file("h", now - 8.0 * DAY_MS),     // week 1
            file("i", now - 9.0 * DAY_MS),     // week 1, older: deleted
            file("j", now - 30.0 * DAY_MS),    // too old
        ];
        let mut del = to_delete(&files, &s, now);
        del.sort();
        assert_eq!(del, ["c", "e", "g", "i", "j"]);
    }

    #[test]
    fn retention_keeps_at_least_one_and_everything_when_few() {
        let s = AutoSettings {
            keep_last: 0,
            keep_daily: 0,
            keep_weekly: 0,
            ..AutoSettings::default()
        };
        let files = vec![file("x", 5.0), file("y", 1.0)];
        assert_eq!(to_delete(&files, &s, 10.0), ["y"]);
        assert!(to_delete(&files, &AutoSettings::default(), 10.0).is_empty());
    }

    #[test]
    fn settings_without_a_destination_read_as_before() {
        let old: AutoSettings = serde_json::from_str(r#"{"enabled":true}"#).expect("json");
        assert_eq!(old.destination, None);
        let s = AutoSettings {
            destination: Some(" ".into()),
            ..AutoSettings::default()
        };
        assert_eq!(s.validated().expect("valid").destination, None);
    }

    #[test]
    fn file_names_sort_by_date() {
        let a = auto_file_name(2026, 1, 2, 3, 4, 5);
        assert_eq!(a, "coffer-auto-2026-01-02-030405.zip");
        assert!(a < auto_file_name(2026, 11, 2, 3, 4, 5));
    }
}
