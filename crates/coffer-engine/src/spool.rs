//! Where entry bytes wait between encoding and archiving.
//!
//! The manifest is the archive's first entry but holds every entry's size and
//! hash, which are known only once all data has been encoded. So the writer
//! encodes into a spool first, then writes the archive from it. Natively the
//! spool is memory or a temporary file; in the browser it is Blob parts,
//! which Chromium pages to disk, so large backups never sit in wasm memory.

use std::io;

/// A store for chunks of encoded bytes, each written once and read once.
pub trait Spool {
    /// Keeps `chunk` and returns a handle to it.
    fn put(&mut self, chunk: Vec<u8>) -> io::Result<usize>;
    /// Returns the chunk with handle `id`, releasing it.
    fn take(&mut self, id: usize) -> io::Result<Vec<u8>>;
}

/// A spool in memory.
#[derive(Default, Debug)]
pub struct MemorySpool {
    chunks: Vec<Option<Vec<u8>>>,
}

impl Spool for MemorySpool {
    fn put(&mut self, chunk: Vec<u8>) -> io::Result<usize> {
        self.chunks.push(Some(chunk));
        Ok(self.chunks.len() - 1)
    }

    fn take(&mut self, id: usize) -> io::Result<Vec<u8>> {
        self.chunks
            .get_mut(id)
            .and_then(Option::take)
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, format!("spool chunk {id} is gone"))
            })
    }
}

/// A spool in an anonymous temporary file, for native writers of backups
/// larger than memory. The file is removed when the spool is dropped.
#[derive(Debug)]
pub struct FileSpool {
    file: std::fs::File,
    path: std::path::PathBuf,
    /// Offset and length of every chunk.
    chunks: Vec<(u64, usize)>,
    end: u64,
}

impl FileSpool {
    /// Creates the spool file in `dir` (use [`std::env::temp_dir`]).
    pub fn new_in(dir: &std::path::Path) -> io::Result<Self> {
        let mut suffix = [0u8; 8];
        crate::keys::random_bytes(&mut suffix).map_err(|e| io::Error::other(e.to_string()))?;
        let path = dir.join(format!("coffer-spool-{}.tmp", hex::encode(suffix)));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(FileSpool {
            file,
            path,
            chunks: Vec::new(),
            end: 0,
        })
    }
}

impl Spool for FileSpool {
    fn put(&mut self, chunk: Vec<u8>) -> io::Result<usize> {
        use std::io::{Seek, SeekFrom, Write};
        self.file.seek(SeekFrom::Start(self.end))?;
        self.file.write_all(&chunk)?;
        self.chunks.push((self.end, chunk.len()));
        self.end += chunk.len() as u64;
        Ok(self.chunks.len() - 1)
    }

    fn take(&mut self, id: usize) -> io::Result<Vec<u8>> {
        use std::io::{Read, Seek, SeekFrom};
        let (offset, len) = *self.chunks.get(id).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("spool chunk {id} is gone"))
        })?;
        self.file.seek(SeekFrom::Start(offset))?;
        let mut buf = vec![0u8; len];
        self.file.read_exact(&mut buf)?;
        Ok(buf)
    }
}

impl Drop for FileSpool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spools_return_what_was_put() {
        let mut mem = MemorySpool::default();
        let dir = std::env::temp_dir();
        let mut file = FileSpool::new_in(&dir).unwrap();
        let path = file.path.clone();
        for spool in [&mut mem as &mut dyn Spool, &mut file as &mut dyn Spool] {
            let a = spool.put(vec![1, 2, 3]).unwrap();
            let b = spool.put(vec![]).unwrap();
            let c = spool.put(vec![9; 5000]).unwrap();
            assert_eq!(spool.take(c).unwrap(), vec![9; 5000]);
            assert_eq!(spool.take(a).unwrap(), vec![1, 2, 3]);
            assert_eq!(spool.take(b).unwrap(), Vec::<u8>::new());
            assert!(spool.take(99).is_err());
        }
        assert!(mem.take(0).is_err(), "memory chunks are released on take");
        assert!(path.exists());
        drop(file);
        assert!(!path.exists(), "the spool file is removed on drop");
    }
}
