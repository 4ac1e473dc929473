//! Argon2id (RFC 9106) for passphrases, with parameters that are bounded on
//! read so a hostile file cannot demand unbounded memory or time.

use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::limits::Limits;

/// Salt length written by Coffer.
pub const SALT_LEN: usize = 16;

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// Memory cost in KiB (`m`).
    pub memory_kib: u32,
    /// Number of passes (`t`).
    pub iterations: u32,
    /// Lanes (`p`).
    pub parallelism: u32,
}

impl KdfParams {
    /// What Coffer writes: m = 64 MiB, t = 3, p = 1.
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };

    /// Cheap parameters for tests and fixtures only (m = 1 MiB, t = 1).
    pub const INSECURE_FAST: KdfParams = KdfParams {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };

    /// Whether the parameters meet the floor Argon2 needs: `p ≥ 1`, `t ≥ 1`,
    /// `m ≥ 8·p`.
    pub fn is_valid(&self) -> bool {
        // In u64: `8 * p` overflows u32 for a hostile p (found by fuzzing,
        // issue 13).
        self.parallelism != 0
            && self.iterations != 0
            && u64::from(self.memory_kib) >= 8 * u64::from(self.parallelism)
    }

    /// Checks the parameters of a key file against the floor
    /// ([`KdfParams::is_valid`], `invalid-key-file`) and the caps in `limits`
    /// (`limit-exceeded`).
    pub fn check(&self, limits: &Limits) -> Result<()> {
        if !self.is_valid() {
            return Err(Error::KeyFile(format!(
                "invalid Argon2id parameters m={} t={} p={}",
                self.memory_kib, self.iterations, self.parallelism
            )));
        }
        self.check_caps(limits)
    }

    /// Checks the parameters against the caps in `limits` only.
    pub fn check_caps(&self, limits: &Limits) -> Result<()> {
        if self.memory_kib > limits.max_kdf_memory_kib {
            return Err(Error::limit(
                "Argon2id memory (KiB)",
                u64::from(limits.max_kdf_memory_kib),
                u64::from(self.memory_kib),
            ));
        }
        if self.iterations > limits.max_kdf_iterations {
            return Err(Error::limit(
                "Argon2id iterations",
                u64::from(limits.max_kdf_iterations),
                u64::from(self.iterations),
            ));
        }
        if self.parallelism > limits.max_kdf_parallelism {
            return Err(Error::limit(
                "Argon2id parallelism",
                u64::from(limits.max_kdf_parallelism),
                u64::from(self.parallelism),
            ));
        }
        Ok(())
    }
}

/// Derives a 32-byte key from `passphrase` and `salt`.
pub fn derive(passphrase: &[u8], salt: &[u8], params: KdfParams) -> Result<Zeroizing<[u8; 32]>> {
    let p = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(|e| Error::KeyFile(format!("invalid Argon2id parameters: {e}")))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, p)
        .hash_password_into(passphrase, salt, out.as_mut())
        .map_err(|e| Error::KeyFile(format!("Argon2id failed: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_salted() {
        let p = KdfParams::INSECURE_FAST;
        let a = derive(b"pw", &[1; 16], p).unwrap();
        assert_eq!(*a, *derive(b"pw", &[1; 16], p).unwrap());
        assert_ne!(*a, *derive(b"pw", &[2; 16], p).unwrap());
        assert_ne!(*a, *derive(b"px", &[1; 16], p).unwrap());
    }

    #[test]
    fn bounds_are_enforced() {
        let l = Limits::default();
        assert!(KdfParams::DEFAULT.check(&l).is_ok());
        let huge = KdfParams {
            memory_kib: u32::MAX,
            ..KdfParams::DEFAULT
        };
        assert!(matches!(huge.check(&l), Err(Error::LimitExceeded { .. })));
        let zero = KdfParams {
            iterations: 0,
            ..KdfParams::DEFAULT
        };
        assert!(zero.check(&l).is_err());
    }
}
