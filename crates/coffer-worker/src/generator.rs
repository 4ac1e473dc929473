//! The key-generator value a backup records for an auto-increment store
//! (pure logic, tested natively; the probing itself is in
//! `worker::backup`).
//!
//! IndexedDB has no getter for a store's generator, so the backup probes it
//! twice – right before the snapshot and again after it – and also knows the
//! largest numeric key it read. It records the largest of the three, in the
//! engine's "current number" sense (the last number handed out, i.e. the
//! next generated key minus one), so that after a restore no id that was in
//! use at any point of the backup is handed out again.

/// The largest value a key generator can hold (2^53); beyond it IndexedDB
/// refuses to generate keys.
pub const GENERATOR_MAX: u64 = 1 << 53;

/// The generator's "current number" after a probe generated `next_key`.
pub fn from_probe(next_key: f64) -> Option<u64> {
    (next_key.is_finite() && next_key >= 1.0).then(|| (next_key as u64 - 1).min(GENERATOR_MAX))
}

/// The "current number" an explicit numeric key `k` raises a generator to
/// (IndexedDB: `floor(k)`, capped at 2^53); `None` for keys below 1.
pub fn from_key(k: f64) -> Option<u64> {
    if k.is_nan() || k < 1.0 {
        None
    } else if k >= GENERATOR_MAX as f64 {
        Some(GENERATOR_MAX)
    } else {
        Some(k.floor() as u64)
    }
}

/// The value to record: the largest of the probe before the snapshot, the
/// largest numeric key read, and the probe after the snapshot. `None` when
/// none of them says anything (an empty store whose generator is unused,
/// or probes that failed).
pub fn recorded(before: Option<u64>, max_key: Option<f64>, after: Option<u64>) -> Option<u64> {
    [before, max_key.and_then(from_key), after]
        .into_iter()
        .flatten()
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_are_next_key_minus_one() {
        assert_eq!(from_probe(1.0), Some(0));
        assert_eq!(from_probe(7.0), Some(6));
        assert_eq!(from_probe(0.0), None);
        assert_eq!(from_probe(f64::NAN), None);
        assert_eq!(from_probe(2f64.powi(60)), Some(GENERATOR_MAX));
    }

    #[test]
    fn keys_raise_to_their_floor() {
        assert_eq!(from_key(40.0), Some(40));
        assert_eq!(from_key(40.7), Some(40));
        assert_eq!(from_key(0.5), None);
        assert_eq!(from_key(-3.0), None);
        assert_eq!(from_key(f64::INFINITY), Some(GENERATOR_MAX));
        assert_eq!(from_key(f64::NAN), None);
    }

    #[test]
    fn the_largest_of_the_three_wins() {
        assert_eq!(recorded(Some(5), Some(3.0), Some(5)), Some(5));
        // Another tab wrote (and perhaps deleted) ids after the snapshot.
        assert_eq!(recorded(Some(5), Some(5.0), Some(9)), Some(9));
        // A record with a large explicit key got in between probe and
        // snapshot.
        assert_eq!(recorded(Some(5), Some(100.0), Some(5)), Some(100));
        assert_eq!(recorded(None, None, None), None);
        assert_eq!(recorded(None, Some(2.0), None), Some(2));
        assert_eq!(recorded(Some(0), None, Some(0)), Some(0));
    }
}
