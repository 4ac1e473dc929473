//! Arbitrary-precision integers as JavaScript `bigint` values carry them.

/// A JavaScript `bigint`: a sign and a little-endian magnitude.
///
/// The magnitude never has trailing (most significant) zero bytes, and zero
/// is never negative, so every integer has exactly one representation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BigInt {
    negative: bool,
    magnitude: Vec<u8>,
}

impl BigInt {
    /// Builds a bigint from a sign and little-endian magnitude bytes,
    /// normalising away leading zeros and negative zero.
    pub fn from_parts(negative: bool, mut magnitude: Vec<u8>) -> Self {
        while magnitude.last() == Some(&0) {
            magnitude.pop();
        }
        let negative = negative && !magnitude.is_empty();
        BigInt {
            negative,
            magnitude,
        }
    }

    /// Whether the value is below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Little-endian magnitude bytes (empty for zero).
    pub fn magnitude(&self) -> &[u8] {
        &self.magnitude
    }

    /// Converts from an `i128`.
    pub fn from_i128(v: i128) -> Self {
        Self::from_parts(v < 0, v.unsigned_abs().to_le_bytes().to_vec())
    }

    /// Converts to an `i128` when it fits.
    pub fn to_i128(&self) -> Option<i128> {
        if self.magnitude.len() > 16 {
            return None;
        }
        let mut buf = [0u8; 16];
        buf[..self.magnitude.len()].copy_from_slice(&self.magnitude);
        let m = u128::from_le_bytes(buf);
        if self.negative {
            if m <= i128::MAX as u128 + 1 {
                Some((m as i128).wrapping_neg())
            } else {
                None
            }
        } else {
            i128::try_from(m).ok()
        }
    }

    /// The value in decimal, as JavaScript prints it (without the `n`).
    pub fn to_decimal(&self) -> String {
        if self.magnitude.is_empty() {
            return "0".to_owned();
        }
        // Repeated division by 10^9 over base-256 digits (big-endian).
        let mut digits: Vec<u8> = self.magnitude.iter().rev().copied().collect();
        let mut chunks = Vec::new();
        while !digits.is_empty() {
            let mut rem: u64 = 0;
            let mut next = Vec::with_capacity(digits.len());
            for &d in &digits {
                let cur = (rem << 8) | u64::from(d);
                let q = cur / 1_000_000_000;
                rem = cur % 1_000_000_000;
                if !(next.is_empty() && q == 0) {
                    next.push(q as u8);
                }
            }
            chunks.push(rem as u32);
            digits = next;
        }
        let mut out = String::new();
        if self.negative {
            out.push('-');
        }
        let mut iter = chunks.iter().rev();
        if let Some(first) = iter.next() {
            out.push_str(&first.to_string());
        }
        for c in iter {
            out.push_str(&format!("{c:09}"));
        }
        out
    }

    /// Parses a decimal integer with an optional leading `-`.
    pub fn parse_decimal(s: &str) -> Option<Self> {
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut mag: Vec<u8> = Vec::new(); // little-endian
        for b in digits.bytes() {
            let mut carry = u32::from(b - b'0');
            for byte in mag.iter_mut() {
                let v = u32::from(*byte) * 10 + carry;
                *byte = (v & 0xff) as u8;
                carry = v >> 8;
            }
            while carry > 0 {
                mag.push((carry & 0xff) as u8);
                carry >>= 8;
            }
        }
        Some(Self::from_parts(negative, mag))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_zero_and_padding() {
        assert_eq!(BigInt::from_parts(true, vec![0, 0]), BigInt::from_i128(0));
        assert_eq!(BigInt::from_parts(false, vec![5, 0]).magnitude(), &[5]);
    }

    #[test]
    fn decimal_round_trip() {
        for v in [0i128, 1, -1, 255, 256, -1_000_000_007, i128::MAX, i128::MIN] {
            let b = BigInt::from_i128(v);
            assert_eq!(b.to_decimal(), v.to_string());
            assert_eq!(BigInt::parse_decimal(&v.to_string()), Some(b.clone()));
            assert_eq!(b.to_i128(), Some(v));
        }
        let huge = "123456789012345678901234567890123456789012345678901234567890";
        assert_eq!(
            BigInt::parse_decimal(huge)
                .map(|b| b.to_decimal())
                .as_deref(),
            Some(huge)
        );
        assert_eq!(BigInt::parse_decimal("12a"), None);
        assert_eq!(BigInt::parse_decimal("-"), None);
    }
}
