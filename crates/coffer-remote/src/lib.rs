//! Coffer destinations: S3-compatible object storage and WebDAV shares.
//!
//! This crate does no I/O. It describes every request to send
//! ([`HttpRequest`], S3 requests presigned with SigV4 by `rusty-s3`,
//! WebDAV requests with Basic authentication) and reads the answers
//! (listings, upload ids, error codes) into typed values and
//! [`RemoteError`]s. The `coffer` CLI sends them with a native HTTP client;
//! the browser worker sends them with `fetch`.
//!
//! - [`destination`]: what a destination is, checked before use;
//! - [`remote`]: the requests for list, get, put and delete;
//! - [`multipart`]: a multipart upload with retried parts and abort;
//! - [`listing`]: reading S3 and WebDAV listings;
//! - [`cors`]: the CORS rule a destination needs for the browser;
//! - [`error`]: what can go wrong, from HTTP answers.

pub mod cors;
pub mod destination;
pub mod error;
pub mod listing;
pub mod multipart;
pub mod remote;
pub mod request;

pub use destination::{is_coffer_name, Destination, S3Destination, Secret, WebDavDestination};
pub use error::RemoteError;
pub use listing::{Listing, RemoteEntry};
pub use multipart::{MultipartUpload, PartOutcome};
pub use remote::Remote;
pub use request::{HttpRequest, Method};
