//! The page's side of the engine worker.
//!
//! - [`EngineClient`] owns the `Worker`: it queues requests until the
//!   worker posts `Ready`, routes events to the request that caused them,
//!   and cancels by terminating and restarting the worker (every write of
//!   the worker is transactional, so nothing half-done survives). Its
//!   [`EngineClient::call`] is typed: a request yields its own outcome type
//!   or a [`Failure`]; an outcome of the wrong type is reported once, there.
//! - [`api`] is the typed operations everything on the page calls: the
//!   cards, the overview, `window.coffer`, the `<coffer-backup>` element
//!   and the encrypted-store API. It is the only place outcomes are turned
//!   into results, and it tells an [`Observer`] (the element's DOM events)
//!   about every one of them.
//! - [`js`] turns results into JavaScript objects (one serializer) and
//!   failures into `Error`s with a `code`.

pub mod api;
mod engine;
pub mod js;
pub mod local;

pub use coffer_protocol::Failure;
pub use engine::{
    Attached, Attachments, EngineClient, HookOp, Hooks, Observer, Progress, WORKER_URL,
};
