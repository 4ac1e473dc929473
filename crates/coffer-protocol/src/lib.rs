//! # coffer-protocol: what the page and the engine worker say to each other
//!
//! Coffer's browser app runs on two threads: the page (the Leptos UI, the
//! `<coffer-backup>` element, `window.coffer`) and a dedicated Web Worker
//! that holds the engine. This crate is everything both sides agree on, and
//! nothing that needs a browser:
//!
//! - [`messages`]: the typed, versioned requests and events. Each request
//!   type has exactly one outcome type ([`Call`]);
//! - [`Failure`] and [`ErrorCode`]: typed error codes that survive every
//!   hop, from the worker to a JavaScript `Error.code`;
//! - [`Scope`]: which databases and parts an embedding allows (applied by
//!   the worker, and for localStorage by the page);
//! - [`parts`]: localStorage, the origin private file system and Cache
//!   Storage, the parts of an origin's storage beyond IndexedDB;
//! - [`strings`]: every sentence the UI shows, in English and German, as
//!   functions of an explicit [`Lang`] (the worker sends reasons and codes,
//!   never sentences).
//!
//! ```
//! use coffer_protocol::{decode_request, encode, Call, Inspect, Request, ToWorker};
//! let m = ToWorker::new(7, Inspect::default().into());
//! let back = decode_request(&encode(&m)).unwrap();
//! assert!(matches!(back.req, Request::Inspect(_)));
//! ```

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod auto;
pub mod destinations;
mod error;
pub mod history;
pub mod messages;
pub mod parts;
mod scope;
pub mod strings;

pub use auto::{AutoGet, AutoRan, AutoRun, AutoSet, AutoSettings, AutoState};
pub use destinations::{
    DestBackups, DestFetch, DestList, DestRemove, DestSave, DestTest, DestTested, DestUpload,
    DestinationInfo, DestinationKind, DestinationList, DestinationSettings, Fetched, RemoteBackup,
    RemoteBackups, Uploaded,
};
pub use error::{ErrorCode, ErrorKind, Failure};
pub use history::{History, HistoryEntry, HistoryKind, HistoryList, HistoryOutcome};
pub use messages::*;
pub use parts::{
    CacheInfo, LocalStorageInfo, OpfsInfo, Part, PartsInfo, RestoredParts, SelectedParts,
    SkippedInfo,
};
pub use scope::{parse_list, Scope};
pub use strings::{Lang, Msg};
