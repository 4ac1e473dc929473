//! The STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015) as age
//! uses it: the plaintext is cut into 64 KiB chunks, each sealed with
//! ChaCha20-Poly1305 (RFC 8439) under
//!
//! ```text
//! nonce = counter (11 bytes, big-endian) ‖ last (1 byte: 0x01 final chunk, else 0x00)
//! ```
//!
//! so dropping, reordering or truncating chunks fails authentication. Only
//! the final chunk may be shorter than 64 KiB, and it is empty only when the
//! whole plaintext is. [`StreamReader`] releases plaintext only from chunks
//! whose tag verified and supports random access (`Seek`).

use std::io::{self, Read, Seek, SeekFrom, Write};

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use zeroize::Zeroizing;

/// Plaintext bytes per chunk.
pub const CHUNK_SIZE: usize = 64 * 1024;
/// Tag bytes per chunk.
pub const TAG_SIZE: usize = 16;
/// Ciphertext bytes per full chunk.
pub const ENCRYPTED_CHUNK_SIZE: usize = CHUNK_SIZE + TAG_SIZE;

fn nonce(counter: u64, last: bool) -> Nonce {
    let mut n = [0u8; 12];
    n[3..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    Nonce::from(n)
}

/// The error inside the [`io::Error`] of a chunk that fails authentication
/// (kind [`io::ErrorKind::InvalidData`]); see [`is_authentication_failure`].
#[derive(Debug)]
pub struct AuthenticationFailed;

impl std::fmt::Display for AuthenticationFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("decryption failed: wrong key or corrupted data")
    }
}

impl std::error::Error for AuthenticationFailed {}

/// Whether `e` is a STREAM chunk failing authentication (as opposed to an
/// error of whatever reads the plaintext).
pub fn is_authentication_failure(e: &io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.is::<AuthenticationFailed>())
}

fn stream_error() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, AuthenticationFailed)
}

/// Encrypts everything written to it into `inner`. Call
/// [`StreamWriter::finish`] to seal the final chunk; dropping without it
/// leaves a stream that readers reject as truncated.
pub struct StreamWriter<W: Write> {
    inner: W,
    cipher: ChaCha20Poly1305,
    buf: Zeroizing<Vec<u8>>,
    counter: u64,
}

impl<W: Write> StreamWriter<W> {
    /// A writer sealing under the 32-byte payload `key`.
    pub fn new(inner: W, key: &[u8; 32]) -> Self {
        StreamWriter {
            inner,
            cipher: ChaCha20Poly1305::new(key.into()),
            buf: Zeroizing::new(Vec::with_capacity(ENCRYPTED_CHUNK_SIZE)),
            counter: 0,
        }
    }

    fn flush_chunk(&mut self, last: bool) -> io::Result<()> {
        let tag = self
            .cipher
            .encrypt_in_place_detached(&nonce(self.counter, last), b"", &mut self.buf[..])
            .map_err(|_| io::Error::other("chunk encryption failed"))?;
        self.inner.write_all(&self.buf)?;
        self.inner.write_all(&tag)?;
        self.buf.clear();
        self.counter = self
            .counter
            .checked_add(1)
            .filter(|c| *c < 1 << 56)
            .ok_or_else(|| io::Error::other("stream counter exhausted"))?;
        Ok(())
    }

    /// Seals the final chunk and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.flush_chunk(true)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for StreamWriter<W> {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let total = data.len();
        while !data.is_empty() {
            if self.buf.len() == CHUNK_SIZE {
                // More data follows, so this full chunk is not the last.
                self.flush_chunk(false)?;
            }
            let take = (CHUNK_SIZE - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        Ok(total)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Decrypts a STREAM ciphertext that occupies `inner` from `start` to its
/// end, with random access.
pub struct StreamReader<R: Read + Seek> {
    inner: R,
    cipher: ChaCha20Poly1305,
    start: u64,
    chunks: u64,
    plain_len: u64,
    pos: u64,
    /// Index and plaintext of the chunk decrypted last.
    cached: Option<(u64, Zeroizing<Vec<u8>>)>,
}

impl<R: Read + Seek> StreamReader<R> {
    /// Opens the stream and authenticates its final chunk, so truncation is
    /// detected before any plaintext is released.
    pub fn new(mut inner: R, start: u64, key: &[u8; 32]) -> io::Result<Self> {
        let end = inner.seek(SeekFrom::End(0))?;
        let ct_len = end
            .checked_sub(start)
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "stream truncated"))?;
        let full = ENCRYPTED_CHUNK_SIZE as u64;
        if ct_len < TAG_SIZE as u64 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "stream truncated",
            ));
        }
        let chunks = ct_len.div_ceil(full);
        let last_len = ct_len - (chunks - 1) * full;
        if last_len < TAG_SIZE as u64 {
            // A final chunk too short to hold its tag: cut off mid-chunk.
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "stream truncated",
            ));
        }
        if chunks > 1 && last_len == TAG_SIZE as u64 {
            // An empty final chunk after data: no writer produces it, so the
            // stream was cut inside (or right after) a chunk (FORMAT.md §6.3).
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "stream truncated",
            ));
        }
        let plain_len = (chunks - 1) * CHUNK_SIZE as u64 + (last_len - TAG_SIZE as u64);
        let mut r = StreamReader {
            inner,
            cipher: ChaCha20Poly1305::new(key.into()),
            start,
            chunks,
            plain_len,
            pos: 0,
            cached: None,
        };
        r.load(chunks - 1)?;
        Ok(r)
    }

    /// Length of the plaintext.
    pub fn plaintext_len(&self) -> u64 {
        self.plain_len
    }

    fn load(&mut self, index: u64) -> io::Result<()> {
        if self.cached.as_ref().is_some_and(|(i, _)| *i == index) {
            return Ok(());
        }
        let last = index + 1 == self.chunks;
        let full = ENCRYPTED_CHUNK_SIZE as u64;
        let len = if last {
            (self.plain_len - index * CHUNK_SIZE as u64) as usize + TAG_SIZE
        } else {
            ENCRYPTED_CHUNK_SIZE
        };
        self.inner
            .seek(SeekFrom::Start(self.start + index * full))?;
        let mut buf = Zeroizing::new(vec![0u8; len]);
        self.inner.read_exact(&mut buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                io::Error::new(io::ErrorKind::UnexpectedEof, "stream truncated")
            } else {
                e
            }
        })?;
        let (data, tag) = buf.split_at_mut(len - TAG_SIZE);
        let tag = chacha20poly1305::Tag::clone_from_slice(tag);
        self.cipher
            .decrypt_in_place_detached(&nonce(index, last), b"", data, &tag)
            .map_err(|_| stream_error())?;
        buf.truncate(len - TAG_SIZE);
        self.cached = Some((index, buf));
        Ok(())
    }
}

impl<R: Read + Seek> Read for StreamReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.plain_len || out.is_empty() {
            return Ok(0);
        }
        let index = self.pos / CHUNK_SIZE as u64;
        self.load(index)?;
        let offset = (self.pos % CHUNK_SIZE as u64) as usize;
        let chunk = match &self.cached {
            Some((_, c)) => c,
            None => return Err(io::Error::other("chunk cache empty after load")),
        };
        let n = (chunk.len() - offset).min(out.len());
        out[..n].copy_from_slice(&chunk[offset..offset + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for StreamReader<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.plain_len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the stream",
            )
        })?;
        self.pos = target;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn seal(data: &[u8], key: &[u8; 32]) -> Vec<u8> {
        let mut w = StreamWriter::new(Vec::new(), key);
        w.write_all(data).unwrap();
        w.finish().unwrap()
    }

    fn open(ct: &[u8], key: &[u8; 32]) -> io::Result<Vec<u8>> {
        let mut r = StreamReader::new(Cursor::new(ct), 0, key)?;
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn round_trip_at_chunk_boundaries() {
        let key = [9u8; 32];
        for len in [
            0,
            1,
            CHUNK_SIZE - 1,
            CHUNK_SIZE,
            CHUNK_SIZE + 1,
            3 * CHUNK_SIZE + 17,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let ct = seal(&data, &key);
            assert_eq!(
                ct.len(),
                len + len.max(1).div_ceil(CHUNK_SIZE) * TAG_SIZE,
                "len {len}"
            );
            assert_eq!(open(&ct, &key).unwrap(), data, "len {len}");
        }
    }

    #[test]
    fn random_access() {
        let key = [3u8; 32];
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 256) as u8).collect();
        let ct = seal(&data, &key);
        let mut r = StreamReader::new(Cursor::new(&ct), 0, &key).unwrap();
        assert_eq!(r.plaintext_len(), data.len() as u64);
        r.seek(SeekFrom::Start(131_070)).unwrap();
        let mut buf = [0u8; 10];
        r.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, &data[131_070..131_080]);
        r.seek(SeekFrom::End(-3)).unwrap();
        let mut tail = Vec::new();
        r.read_to_end(&mut tail).unwrap();
        assert_eq!(tail, &data[data.len() - 3..]);
    }

    #[test]
    fn truncation_reordering_and_tampering_fail() {
        let key = [5u8; 32];
        let data = vec![7u8; 2 * CHUNK_SIZE + 100];
        let ct = seal(&data, &key);
        // truncated at a chunk boundary: the new final chunk lacks the last flag
        assert!(open(&ct[..2 * ENCRYPTED_CHUNK_SIZE], &key).is_err());
        // truncated mid-chunk
        assert!(open(&ct[..ct.len() - 50], &key).is_err());
        // missing final chunk entirely
        assert!(open(&ct[..ENCRYPTED_CHUNK_SIZE], &key).is_err());
        // reordered chunks
        let mut swapped = ct.clone();
        let (a, b) = swapped.split_at_mut(ENCRYPTED_CHUNK_SIZE);
        a.swap_with_slice(&mut b[..ENCRYPTED_CHUNK_SIZE]);
        assert!(open(&swapped, &key).is_err());
        // trailing garbage
        let mut long = ct.clone();
        long.extend_from_slice(&[0u8; 40]);
        assert!(open(&long, &key).is_err());
        // flipped bit
        let mut flipped = ct.clone();
        flipped[10] ^= 0x80;
        assert!(open(&flipped, &key).is_err());
        // wrong key
        assert!(open(&ct, &[6u8; 32]).is_err());
        // empty input
        assert!(open(&[], &key).is_err());
        // a final chunk of 1..15 bytes after full chunks (reported while
        // writing FORMAT.md: this used to underflow and panic)
        for extra in 1..TAG_SIZE {
            assert!(
                open(&ct[..2 * ENCRYPTED_CHUNK_SIZE + extra], &key).is_err(),
                "{extra}"
            );
        }
    }
}
