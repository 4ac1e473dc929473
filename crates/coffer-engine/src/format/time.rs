//! RFC 3339 times as the manifest and key files carry them (FORMAT.md §1.2),
//! checked by one strict grammar so every reader accepts the same strings:
//!
//! ```abnf
//! time     = date "T" hh ":" mm ":" ss [ "." 1*9DIGIT ] offset
//! date     = 4DIGIT "-" 2DIGIT "-" 2DIGIT   ; a real Gregorian date
//! offset   = "Z" / ( "+" / "-" ) hh ":" mm
//! hh = 2DIGIT (00-23)   mm = 2DIGIT (00-59)   ss = 2DIGIT (00-59)
//! ```
//!
//! Upper-case `T` and `Z` only, no leap second, no other separators.

/// Whether `s` is a time in the accepted form.
pub fn is_rfc3339(s: &str) -> bool {
    parse(s.as_bytes()).is_some()
}

fn num(b: &[u8], at: usize, len: usize) -> Option<u32> {
    let d = b.get(at..at + len)?;
    d.iter().try_fold(0u32, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

fn parse(b: &[u8]) -> Option<()> {
    let year = num(b, 0, 4)?;
    let month = num(b, 5, 2)?;
    let day = num(b, 8, 2)?;
    let hour = num(b, 11, 2)?;
    let minute = num(b, 14, 2)?;
    let second = num(b, 17, 2)?;
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || b.get(10) != Some(&b'T')
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut at = 19;
    if b.get(at) == Some(&b'.') {
        let digits = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if !(1..=9).contains(&digits) {
            return None;
        }
        at += 1 + digits;
    }
    match b.get(at..)? {
        [b'Z'] => Some(()),
        [b'+' | b'-', ..] if b.len() == at + 6 => {
            let oh = num(b, at + 1, 2)?;
            let om = num(b, at + 4, 2)?;
            (b[at + 3] == b':' && oh <= 23 && om <= 59).then_some(())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_and_rejected_forms() {
        for ok in [
            "2026-11-26T12:00:00Z",
            "2024-02-29T23:59:59Z",
            "2000-02-29T00:00:00.5Z",
            "1999-12-31T23:59:59.123456789+01:00",
            "0001-01-01T00:00:00-23:59",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "",
            "2026-11-26",
            "2026-11-26t12:00:00Z",
            "2026-11-26T12:00:00z",
            "2026-11-26 12:00:00Z",
            "2026-11-26T12:00:60Z",
            "2026-11-26T24:00:00Z",
            "2023-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-00T00:00:00Z",
            "2026-11-26T12:00:00",
            "2026-11-26T12:00:00.Z",
            "2026-11-26T12:00:00.1234567890Z",
            "2026-11-26T12:00:00+0100",
            "2026-11-26T12:00:00+24:00",
            "2026-11-26T12:00:00Z ",
            "+2026-11-26T12:00:00Z",
            "2026-11-26T12:00:00+01:00:00",
            "２026-11-26T12:00:00Z",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }
}
