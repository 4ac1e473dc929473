//! Blob-backed I/O for the worker: a [`Spool`] and an output [`Write`] that
//! keep bytes in `Blob`s (outside wasm memory; Chromium pages large Blob
//! data to disk), and a `Read + Seek` over a `File` that reads slices with
//! `FileReaderSync`. `FileReaderSync` exists only in workers.

use std::io::{self, Read, Seek, SeekFrom, Write};

use coffer_engine::Spool;
use js_sys::{Array, ArrayBuffer, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, FileReaderSync};

use crate::error::{AppError, AppResult};
use coffer_protocol::ErrorCode;

fn io_err(what: &str, e: JsValue) -> io::Error {
    io::Error::other(AppError::js(what, e).0.message)
}

/// A `Blob` holding a copy of `bytes`.
pub fn blob_from_bytes(bytes: &[u8], mime: &str) -> AppResult<Blob> {
    let o = BlobPropertyBag::new();
    o.set_type(mime);
    // The Blob copies straight out of wasm memory (no intermediate JS copy).
    // SAFETY: the view is used only by the Blob constructor, which copies
    // it synchronously; nothing in between allocates in wasm memory, so the
    // memory cannot grow (which would detach the view) while it is in use.
    let view = unsafe { Uint8Array::view(bytes) };
    let parts = Array::of1(&view);
    Blob::new_with_u8_array_sequence_and_options(&parts, &o)
        .map_err(|e| AppError::js("cannot create a Blob", e))
}

/// A `File` named `name` with the contents of `blob` (no copy).
pub fn named_file(blob: &Blob, name: &str) -> AppResult<Blob> {
    let o = web_sys::FilePropertyBag::new();
    o.set_type("application/zip");
    web_sys::File::new_with_blob_sequence_and_options(&Array::of1(blob), name, &o)
        .map(Into::into)
        .map_err(|e| AppError::js("cannot create a File", e))
}

/// Reads a whole `Blob` (worker only).
pub fn read_blob_buffer(blob: &Blob) -> AppResult<ArrayBuffer> {
    let r =
        FileReaderSync::new().map_err(|e| AppError::js("FileReaderSync is not available", e))?;
    r.read_as_array_buffer(blob)
        .map_err(|e| AppError::js("cannot read a Blob", e))
}

/// Reads a whole `Blob` into wasm memory (worker only).
pub fn read_blob_bytes(blob: &Blob) -> AppResult<Vec<u8>> {
    let buf: JsValue = read_blob_buffer(blob)?.into();
    Ok(Uint8Array::new(&buf).to_vec())
}

/// Blobs whose bodies a backup reads later, together.
///
/// [`BlobBatch::defer`] records a Blob and hands out a placeholder body,
/// [`Binary::External`] numbered in deferral order;
/// [`BlobBatch::start_read`] starts reading them all (`Blob.arrayBuffer()`,
/// every read in flight at once, so the browser reads them on its own
/// threads while the worker goes on) and [`crate::browser::convert::fill_deferred`]
/// puts the bodies in place once they are in ([`BodyRead::bodies`]).
#[derive(Default)]
pub struct BlobBatch {
    blobs: Vec<Blob>,
    sizes: Vec<u64>,
    bytes: u64,
}

impl BlobBatch {
    /// Records `blob` for the next [`BlobBatch::start_read`]; returns its
    /// placeholder body.
    pub fn defer(&mut self, blob: &Blob) -> coffer_engine::model::Binary {
        let len = blob.size() as u64;
        let index = self.defer_index(blob);
        coffer_engine::model::Binary::External(coffer_engine::model::BlobRef { index, len })
    }

    /// Records `blob` for the next [`BlobBatch::start_read`]; returns its
    /// index among the bodies read.
    pub fn defer_index(&mut self, blob: &Blob) -> u32 {
        let len = blob.size() as u64;
        let index = self.blobs.len() as u32;
        self.blobs.push(blob.clone());
        self.sizes.push(len);
        self.bytes += len;
        index
    }

    /// Bytes deferred since the last read.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Whether nothing is deferred.
    pub fn is_empty(&self) -> bool {
        self.blobs.is_empty()
    }

    /// Starts reading every deferred body, in deferral order, and starts
    /// over. The bodies are read as one `Blob` made of them all: one read
    /// instead of one per body (each read is a round trip to the browser's
    /// blob registry).
    pub fn start_read(&mut self) -> BodyRead {
        let parts: Array = self.blobs.drain(..).map(JsValue::from).collect();
        let future = match Blob::new_with_blob_sequence(&parts) {
            Ok(all) => wasm_bindgen_futures::JsFuture::from(all.array_buffer()),
            Err(e) => wasm_bindgen_futures::JsFuture::from(js_sys::Promise::reject(&e)),
        };
        BodyRead {
            future,
            sizes: std::mem::take(&mut self.sizes),
            bytes: std::mem::take(&mut self.bytes),
        }
    }
}

/// The bodies of a [`BlobBatch`], being read.
pub struct BodyRead {
    /// Resolves to one `ArrayBuffer`: the bodies one after the other, in
    /// deferral order.
    pub future: wasm_bindgen_futures::JsFuture,
    sizes: Vec<u64>,
    bytes: u64,
}

impl BodyRead {
    /// Bytes being read.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The bodies, from what [`BodyRead::future`] resolved to.
    pub fn bodies(&self, read: Result<JsValue, JsValue>) -> AppResult<Vec<Option<Vec<u8>>>> {
        let all: ArrayBuffer = read
            .map_err(|e| AppError::js("cannot read a Blob", e))?
            .dyn_into()
            .map_err(|_| AppError::new(ErrorCode::Io, "reading Blobs gave no bytes"))?;
        if self.bytes > u64::from(u32::MAX) {
            return Err(AppError::new(
                ErrorCode::Io,
                "a Blob of 4 GiB or more cannot be read into memory",
            ));
        }
        if u64::from(all.byte_length()) != self.bytes {
            return Err(AppError::new(
                ErrorCode::Io,
                "a Blob changed while it was read",
            ));
        }
        let mut out = Vec::with_capacity(self.sizes.len());
        let mut at = 0u64;
        for len in &self.sizes {
            let body = Uint8Array::new_with_byte_offset_and_length(&all, at as u32, *len as u32);
            out.push(Some(body.to_vec()));
            at += len;
        }
        Ok(out)
    }
}

/// How long an object URL made for a download stays valid (the download
/// reads it asynchronously).
pub const DOWNLOAD_URL_LIFETIME_MS: i32 = 60_000;

/// An object URL of `blob`, revoked after [`DOWNLOAD_URL_LIFETIME_MS`]
/// (on the page or in a worker).
pub fn download_url(blob: &Blob) -> AppResult<String> {
    let url = web_sys::Url::create_object_url_with_blob(blob)
        .map_err(|e| AppError::js("cannot download", e))?;
    let u = url.clone();
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&u);
    });
    let global = js_sys::global();
    if let Some(set_timeout) = js_sys::Reflect::get(&global, &"setTimeout".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    {
        let _ = set_timeout.call2(&global, &revoke, &JsValue::from(DOWNLOAD_URL_LIFETIME_MS));
    }
    Ok(url)
}

thread_local! {
    /// Tests: spool Blobs fail once this many bytes are spooled.
    static SPOOL_LIMIT: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
    /// Bytes a spool that failed had spooled (taken by [`spool_failure`]).
    static SPOOL_FAILED: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Makes spool Blobs fail once `limit` bytes are spooled, as when the
/// browser has no room left for Blob data (tests; `None` lifts it).
pub fn limit_spool(limit: Option<u64>) {
    SPOOL_LIMIT.with(|l| l.set(limit));
}

/// Whether a spool failed to keep its data since the last call, and how
/// many bytes it held then.
pub fn spool_failure() -> Option<u64> {
    SPOOL_FAILED.with(std::cell::Cell::take)
}

fn spool_failed(spooled: u64, e: AppError) -> io::Error {
    SPOOL_FAILED.with(|f| f.set(Some(spooled)));
    io::Error::other(format!(
        "the backup's temporary data could not be kept: {}",
        e.0.message
    ))
}

/// A spool Blob of `bytes` (`spooled` bytes are in the spool before them).
fn spool_blob(bytes: &[u8], spooled: u64) -> io::Result<Blob> {
    let limit = SPOOL_LIMIT.with(std::cell::Cell::get);
    if limit.is_some_and(|l| spooled + bytes.len() as u64 > l) {
        let e = AppError::new(
            ErrorCode::BrowserQuota,
            "QuotaExceededError: no room for Blob data",
        );
        return Err(spool_failed(spooled, e));
    }
    blob_from_bytes(bytes, "").map_err(|e| spool_failed(spooled, e))
}

/// Bytes of spooled chunks packed into one `Blob` by [`BlobSpool`].
pub const SPOOL_BLOB_SIZE: usize = 4 << 20;

/// Where a spooled chunk is: the packed `Blob` (by index; the index the
/// pending buffer will get while it is still there), offset and length.
#[derive(Clone, Copy)]
struct ChunkAt {
    blob: usize,
    offset: usize,
    len: usize,
}

/// A [`Spool`] whose chunks live in `Blob`s, packed: every `Blob` costs a
/// round trip to the browser's blob registry to make and another to read
/// (about 0.35 ms each, so a thousand 64 KiB bodies spooled one `Blob`
/// apiece cost more than their bytes). Chunks are gathered into `Blob`s of
/// about [`SPOOL_BLOB_SIZE`] bytes; taking a chunk reads its whole `Blob`
/// once and keeps it for the chunks taken after it. A `Blob` is released
/// when its last chunk has been taken.
pub struct BlobSpool {
    blob_size: usize,
    /// Bytes put so far.
    spooled: u64,
    blobs: Vec<Option<Blob>>,
    /// Chunks of each `Blob` not yet taken.
    live: Vec<usize>,
    /// Chunks waiting for the next `Blob`.
    pending: Vec<u8>,
    pending_live: usize,
    chunks: Vec<Option<ChunkAt>>,
    /// The last `Blob` read: its index and bytes.
    cache: Option<(usize, Vec<u8>)>,
}

impl Default for BlobSpool {
    fn default() -> Self {
        BlobSpool::new(SPOOL_BLOB_SIZE)
    }
}

impl BlobSpool {
    /// A spool packing chunks into `Blob`s of about `blob_size` bytes.
    pub fn new(blob_size: usize) -> Self {
        BlobSpool {
            blob_size,
            spooled: 0,
            blobs: Vec::new(),
            live: Vec::new(),
            pending: Vec::new(),
            pending_live: 0,
            chunks: Vec::new(),
            cache: None,
        }
    }

    /// `Blob`s made so far.
    pub fn blobs_made(&self) -> usize {
        self.blobs.len()
    }

    fn seal_pending(&mut self) -> io::Result<()> {
        if self.pending_live == 0 {
            return Ok(());
        }
        let b = spool_blob(&self.pending, self.spooled)?;
        self.blobs.push(Some(b));
        self.live.push(self.pending_live);
        self.pending.clear();
        self.pending_live = 0;
        Ok(())
    }

    /// The bytes of `Blob` `index`, read once and kept until another is read.
    fn blob_bytes(&mut self, index: usize) -> io::Result<&[u8]> {
        if self.cache.as_ref().map(|(i, _)| *i) != Some(index) {
            let blob = self
                .blobs
                .get(index)
                .and_then(Option::as_ref)
                .ok_or_else(|| io::Error::other(format!("spool blob {index} is gone")))?;
            let bytes = read_blob_bytes(blob).map_err(|e| spool_failed(self.spooled, e))?;
            self.cache = Some((index, bytes));
        }
        Ok(self
            .cache
            .as_ref()
            .map(|(_, b)| b.as_slice())
            .unwrap_or(&[]))
    }
}

impl Spool for BlobSpool {
    fn put(&mut self, chunk: Vec<u8>) -> io::Result<usize> {
        if self.pending_live > 0 && self.pending.len() + chunk.len() > self.blob_size {
            self.seal_pending()?;
        }
        let at = ChunkAt {
            blob: self.blobs.len(),
            offset: self.pending.len(),
            len: chunk.len(),
        };
        if self.pending_live == 0 && chunk.len() >= self.blob_size {
            // Big enough for a Blob of its own: no copy into `pending`.
            let b = spool_blob(&chunk, self.spooled)?;
            self.blobs.push(Some(b));
            self.live.push(1);
        } else {
            if self.pending.capacity() == 0 {
                self.pending.reserve_exact(self.blob_size);
            }
            self.pending.extend_from_slice(&chunk);
            self.pending_live += 1;
        }
        self.chunks.push(Some(at));
        self.spooled += chunk.len() as u64;
        Ok(self.chunks.len() - 1)
    }

    fn take(&mut self, id: usize) -> io::Result<Vec<u8>> {
        let at = self
            .chunks
            .get_mut(id)
            .and_then(Option::take)
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, format!("spool chunk {id} is gone"))
            })?;
        let range = at.offset..at.offset + at.len;
        if at.blob == self.blobs.len() {
            // Still in the pending buffer.
            let bytes = self.pending.get(range).map(<[u8]>::to_vec);
            self.pending_live -= 1;
            if self.pending_live == 0 {
                self.pending = Vec::new();
            }
            return bytes.ok_or_else(|| io::Error::other("spool chunk out of range"));
        }
        let bytes = self
            .blob_bytes(at.blob)?
            .get(range)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| io::Error::other("spool chunk out of range"))?;
        if let Some(live) = self.live.get_mut(at.blob) {
            *live -= 1;
            if *live == 0 {
                self.blobs[at.blob] = None;
                if self.cache.as_ref().map(|(i, _)| *i) == Some(at.blob) {
                    self.cache = None;
                }
            }
        }
        Ok(bytes)
    }
}

/// Collects written bytes into `Blob` parts of about `part_size` bytes.
pub struct BlobParts {
    parts: Array,
    pending: Vec<u8>,
    part_size: usize,
    len: u64,
}

impl BlobParts {
    /// An empty collector.
    pub fn new(part_size: usize) -> Self {
        BlobParts {
            parts: Array::new(),
            pending: Vec::with_capacity(part_size),
            part_size,
            len: 0,
        }
    }

    fn flush_part(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let b =
                blob_from_bytes(&self.pending, "").map_err(|e| io::Error::other(e.0.message))?;
            self.parts.push(&b);
            self.pending.clear();
        }
        Ok(())
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The final `Blob` of type `mime`.
    pub fn into_blob(mut self, mime: &str) -> AppResult<Blob> {
        self.flush_part()
            .map_err(|e| AppError::new(ErrorCode::Io, e.to_string()))?;
        let o = BlobPropertyBag::new();
        o.set_type(mime);
        Blob::new_with_blob_sequence_and_options(&self.parts, &o)
            .map_err(|e| AppError::js("cannot create a Blob", e))
    }
}

impl Write for BlobParts {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.part_size - self.pending.len();
        let n = room.min(buf.len());
        self.pending.extend_from_slice(&buf[..n]);
        self.len += n as u64;
        if self.pending.len() >= self.part_size {
            self.flush_part()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `Read + Seek` over a `Blob`/`File`, reading windows of `window` bytes
/// with `FileReaderSync` (worker only).
pub struct BlobReader {
    blob: Blob,
    size: u64,
    pos: u64,
    window: usize,
    cache_start: u64,
    cache: Vec<u8>,
    reader: FileReaderSync,
}

impl BlobReader {
    /// A reader over `blob`.
    pub fn new(blob: Blob, window: usize) -> AppResult<Self> {
        let reader = FileReaderSync::new()
            .map_err(|e| AppError::js("FileReaderSync is not available", e))?;
        Ok(BlobReader {
            size: blob.size() as u64,
            blob,
            pos: 0,
            window,
            cache_start: 0,
            cache: Vec::new(),
            reader,
        })
    }

    /// Bytes `start..end` of the file (`end` within it).
    fn read_range(&self, start: u64, end: u64) -> io::Result<Uint8Array> {
        let slice = self
            .blob
            .slice_with_f64_and_f64(start as f64, end as f64)
            .map_err(|e| io_err("cannot slice the file", e))?;
        let buf = self
            .reader
            .read_as_array_buffer(&slice)
            .map_err(|e| io_err("cannot read the file", e))?;
        Ok(Uint8Array::new(&buf))
    }

    fn fill(&mut self) -> io::Result<()> {
        let end = (self.pos + self.window as u64).min(self.size);
        self.cache = self.read_range(self.pos, end)?.to_vec();
        self.cache_start = self.pos;
        Ok(())
    }
}

impl Read for BlobReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.size || out.is_empty() {
            return Ok(0);
        }
        let cached =
            self.pos >= self.cache_start && self.pos < self.cache_start + self.cache.len() as u64;
        if !cached {
            // Large reads bypass the cache.
            if out.len() >= self.window {
                let end = (self.pos + out.len() as u64).min(self.size);
                let u = self.read_range(self.pos, end)?;
                let n = (u.length() as usize).min(out.len());
                u.copy_to(&mut out[..n]);
                self.pos += n as u64;
                return Ok(n);
            }
            self.fill()?;
        }
        let off = (self.pos - self.cache_start) as usize;
        let n = (self.cache.len() - off).min(out.len());
        out[..n].copy_from_slice(&self.cache[off..off + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for BlobReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let new = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match new {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )),
        }
    }
}
