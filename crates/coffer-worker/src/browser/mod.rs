//! Adapters to the browser APIs the worker uses: IndexedDB ([`idb`]),
//! structured-clone values ⇄ the engine's model ([`convert`]), Blob I/O
//! ([`blobio`]), the JavaScript page encoder ([`encoder`], `encode.js`) and
//! the storage quota ([`storage`]), the origin private file system
//! ([`opfs`]) and calls by name ([`js`]).

pub mod alive;
pub mod blobio;
pub mod convert;
pub mod encoder;
pub mod idb;
pub mod js;
pub mod opfs;
pub mod storage;
