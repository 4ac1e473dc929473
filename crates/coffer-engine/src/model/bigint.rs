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
        // Repeated division by 10^9 over base-2^32 limbs (most significant
        // first): quadratic, which is why readers cap the magnitude
        // (`Limits::max_bigint_bytes`).
        let mut limbs: Vec<u32> = self
            .magnitude
            .chunks(4)
            .rev()
            .map(|c| {
                let mut b = [0u8; 4];
                b[..c.len()].copy_from_slice(c);
                u32::from_le_bytes(b)
            })
            .collect();
        let mut chunks = Vec::new();
        while !limbs.is_empty() {
            let mut rem: u64 = 0;
            for limb in limbs.iter_mut() {
                let cur = (rem << 32) | u64::from(*limb);
                *limb = (cur / 1_000_000_000) as u32;
                rem = cur % 1_000_000_000;
            }
            chunks.push(rem as u32);
            let zeros = limbs.iter().take_while(|&&l| l == 0).count();
            limbs.drain(..zeros);
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
