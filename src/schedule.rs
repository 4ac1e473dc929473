//! Automatic backups on the page: the settings form as a plain struct (the
//! card's inputs are text), and how often the page asks the worker whether
//! a backup is due. The worker decides (under the Web Lock, so two tabs
//! never both run one); see `crates/coffer-worker/src/auto.rs`.

use coffer_protocol::{AutoSettings, ErrorCode, Failure};

/// The automatic-backup form's fields as typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AutoForm {
    /// Enabled.
    pub enabled: bool,
    /// Hours between backups.
    pub hours: String,
    /// Lock with the master key.
    pub lock: bool,
    /// Keep the newest K.
    pub keep_last: String,
    /// One per day for D days.
    pub keep_daily: String,
    /// One per week for W weeks.
    pub keep_weekly: String,
    /// A destination's id instead of the folder (empty: the folder).
    pub destination: String,
}

impl AutoForm {
    /// The form showing `s`.
    pub fn from_settings(s: &AutoSettings) -> Self {
        AutoForm {
            enabled: s.enabled,
            hours: format_hours(s.interval_hours),
            lock: s.lock,
            keep_last: s.keep_last.to_string(),
            keep_daily: s.keep_daily.to_string(),
            keep_weekly: s.keep_weekly.to_string(),
            destination: s.destination.clone().unwrap_or_default(),
        }
    }

    /// The settings typed, or a `bad-argument` failure naming the field.
    pub fn settings(&self) -> Result<AutoSettings, Failure> {
        let bad = |what: &str| {
            Failure::new(ErrorCode::BadArgument, format!("{what} must be a number")).about(what)
        };
        let hours: f64 = self
            .hours
            .trim()
            .replace(',', ".")
            .parse()
            .map_err(|_| bad("the interval"))?;
        let count = |s: &str, what: &str| s.trim().parse::<u32>().map_err(|_| bad(what));
        AutoSettings {
            enabled: self.enabled,
            interval_hours: hours,
            lock: self.lock,
            keep_last: count(&self.keep_last, "keep the newest")?,
            keep_daily: count(&self.keep_daily, "days")?,
            keep_weekly: count(&self.keep_weekly, "weeks")?,
            destination: Some(self.destination.trim().to_owned()).filter(|d| !d.is_empty()),
        }
        .validated()
        .map_err(|code| {
            Failure::new(code, "the interval must be more than 0 hours").about("the interval")
        })
    }
}

fn format_hours(h: f64) -> String {
    if h.fract() == 0.0 {
        format!("{h:.0}")
    } else {
        format!("{h}")
    }
}

/// How often the page asks whether a backup is due: a tenth of the
/// interval, between 1 second and 5 minutes (a failed run is retried as
/// often).
pub fn tick_ms(s: &AutoSettings) -> u32 {
    (s.interval_ms() / 10.0).clamp(1000.0, 300_000.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_round_trips_and_checks_its_numbers() {
        let s = AutoSettings {
            enabled: true,
            interval_hours: 6.0,
            ..AutoSettings::default()
        };
        let f = AutoForm::from_settings(&s);
        assert_eq!(f.hours, "6");
        assert_eq!(f.settings().unwrap(), s);
        let to_s3 = AutoSettings {
            destination: Some("s3-work".into()),
            ..s.clone()
        };
        let g = AutoForm::from_settings(&to_s3);
        assert_eq!(g.destination, "s3-work");
        assert_eq!(g.settings().unwrap(), to_s3);
        let half = AutoForm {
            hours: "0,5".into(),
            ..f.clone()
        };
        assert_eq!(half.settings().unwrap().interval_hours, 0.5);
        for bad in ["", "x", "0", "-1"] {
            let e = AutoForm {
                hours: bad.into(),
                ..f.clone()
            }
            .settings()
            .unwrap_err();
            assert_eq!(e.code, ErrorCode::BadArgument, "{bad}");
        }
        assert!(AutoForm {
            keep_daily: "-3".into(),
            ..f
        }
        .settings()
        .is_err());
    }

    #[test]
    fn ticks_follow_the_interval_within_bounds() {
        let mut s = AutoSettings::default();
        assert_eq!(tick_ms(&s), 300_000);
        s.interval_hours = 0.001; // 3.6 s
        assert_eq!(tick_ms(&s), 1000);
        s.interval_hours = 0.5;
        assert_eq!(tick_ms(&s), 180_000);
    }
}
