//! Adapters to the browser APIs the worker uses: IndexedDB ([`idb`]),
//! structured-clone values ⇄ the engine's model ([`convert`]), Blob I/O
//! ([`blobio`]) and the JavaScript page encoder ([`encoder`], `encode.js`).

pub mod blobio;
pub mod convert;
pub mod encoder;
pub mod idb;
