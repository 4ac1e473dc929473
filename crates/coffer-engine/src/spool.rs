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
