//! Progress reports for long operations.

/// How far a long operation has come. Byte counts are uncompressed bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes processed so far.
    pub done_bytes: u64,
    /// Bytes in total.
    pub total_bytes: u64,
    /// Records processed so far.
    pub done_records: u64,
    /// Records in total.
    pub total_records: u64,
}

impl Progress {
    /// Completion as a fraction in `0.0..=1.0`.
    pub fn fraction(&self) -> f64 {
        if self.total_bytes == 0 {
            1.0
        } else {
            (self.done_bytes as f64 / self.total_bytes as f64).clamp(0.0, 1.0)
        }
    }
}
