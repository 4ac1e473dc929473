//! XChaCha20-Poly1305 with a random 24-byte nonce
//! (draft-irtf-cfrg-xchacha, RFC 8439): `nonce ‖ ciphertext ‖ tag`.

use chacha20poly1305::aead::{Aead, AeadInPlace, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::error::{Error, Result};
use crate::keys::random_bytes;

/// Nonce length.
pub const NONCE_LEN: usize = 24;
/// Tag length.
pub const TAG_LEN: usize = 16;

/// Seals `plaintext` under `key` with associated data `aad`, appending
/// `nonce ‖ ciphertext ‖ tag` to `out`.
pub fn seal_into(key: &[u8; 32], aad: &[u8], plaintext: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let mut nonce = [0u8; NONCE_LEN];
    random_bytes(&mut nonce)?;
    seal_with_nonce_into(key, &nonce, aad, plaintext, out)
}

/// Like [`seal_into`] with a caller-chosen nonce (test vectors only: a nonce
/// must never repeat under one key).
pub fn seal_with_nonce_into(
    key: &[u8; 32],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
    out: &mut Vec<u8>,
) -> Result<()> {
    // Encrypt in place at the end of `out`: one copy of the plaintext, no
    // intermediate buffer.
    let cipher = XChaCha20Poly1305::new(key.into());
    out.reserve(NONCE_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(nonce);
    let start = out.len();
    out.extend_from_slice(plaintext);
    let tag = cipher
        .encrypt_in_place_detached(XNonce::from_slice(nonce), aad, &mut out[start..])
        .map_err(|_| Error::Misuse("plaintext too long to seal".into()))?;
    out.extend_from_slice(&tag);
    Ok(())
}

/// Opens `nonce ‖ ciphertext ‖ tag`; fails with [`Error::DecryptionFailed`]
/// for a wrong key, wrong associated data or any altered byte.
pub fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(Error::DecryptionFailed);
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
        .map_err(|_| Error::DecryptionFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let key = [1u8; 32];
        let mut sealed = Vec::new();
        seal_into(&key, b"ad", b"secret", &mut sealed).unwrap();
        assert_eq!(open(&key, b"ad", &sealed).unwrap(), b"secret");
        assert!(matches!(
            open(&key, b"other", &sealed),
            Err(Error::DecryptionFailed)
        ));
        assert!(matches!(
            open(&[2u8; 32], b"ad", &sealed),
            Err(Error::DecryptionFailed)
        ));
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 1;
            assert!(open(&key, b"ad", &t).is_err(), "flip at {i}");
        }
        assert!(open(&key, b"ad", &sealed[..10]).is_err());
    }
}
