//! The origin-wide Web Locks (`navigator.locks`): the one that serializes
//! backup, restore and key replacement across tabs, and [`KEYS_LOCK`],
//! which keeps the store API from sealing with a key that a replacement is
//! about to discard.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use coffer_protocol::WaitReason;

use crate::error::{AppError, AppResult};
use crate::Reporter;
use coffer_protocol::ErrorCode;

/// The lock on which keys seal and open: the store API's `put` and `get`
/// hold it shared, from reading the keys until their record is written or
/// opened; a key replacement (and finishing an interrupted one) holds it
/// exclusively. Without it, a `put` that read the current key just before
/// a replacement re-sealed its store would write an envelope under the
/// replaced key after the re-sealing, and that record would never open
/// again once the old key is gone.
pub const KEYS_LOCK: &str = "coffer-keys";

/// Holds the lock until dropped.
pub struct LockGuard {
    release: Option<Function>,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Some(r) = self.release.take() {
            let _ = r.call0(&JsValue::NULL);
        }
    }
}

fn locks() -> Option<JsValue> {
    let nav = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let l = Reflect::get(&nav, &"locks".into()).ok()?;
    (!l.is_undefined()).then_some(l)
}

async fn request(
    locks: &JsValue,
    name: &str,
    if_available: bool,
    shared: bool,
) -> AppResult<Option<LockGuard>> {
    let request: Function = Reflect::get(locks, &"request".into())
        .map_err(|e| AppError::js("Web Locks", e))?
        .unchecked_into();
    let mut release_slot: Option<Function> = None;
    let hold =
        Promise::new(&mut |resolve: Function, _reject: Function| release_slot = Some(resolve));
    let opts = Object::new();
    let _ = Reflect::set(
        &opts,
        &"ifAvailable".into(),
        &JsValue::from_bool(if_available),
    );
    if shared {
        let _ = Reflect::set(&opts, &"mode".into(), &JsValue::from_str("shared"));
    }
    let name = JsValue::from_str(name);
    let acquired = Promise::new(&mut |resolve: Function, reject: Function| {
        let hold = hold.clone();
        let cb = Closure::once_into_js(move |lock: JsValue| -> JsValue {
            let _ = resolve.call1(&JsValue::NULL, &JsValue::from_bool(!lock.is_null()));
            if lock.is_null() {
                JsValue::UNDEFINED
            } else {
                hold.into()
            }
        });
        if let Err(e) = request.call3(locks, &name, &opts, &cb) {
            let _ = reject.call1(&JsValue::NULL, &e);
        }
    });
    let got = JsFuture::from(acquired)
        .await
        .map_err(|e| AppError::js("cannot take the Web Lock", e))?;
    if got.as_bool() == Some(true) {
        Ok(Some(LockGuard {
            release: release_slot,
        }))
    } else {
        Ok(None)
    }
}

/// Takes the exclusive lock `name`, telling the UI if it has to wait for
/// another tab. Without Web Locks (very old browsers) it returns at once.
pub async fn acquire(name: &str, rep: &Reporter) -> AppResult<LockGuard> {
    let Some(locks) = locks() else {
        return Ok(LockGuard { release: None });
    };
    if let Some(g) = request(&locks, name, true, false).await? {
        return Ok(g);
    }
    rep.waiting(WaitReason::OtherTab);
    request(&locks, name, false, false)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::BrowserError, "the Web Lock was not granted"))
}

/// Takes [`KEYS_LOCK`], shared or exclusive, waiting without saying so
/// (a replacement holds it for as long as it re-seals).
pub async fn keys(shared: bool) -> AppResult<LockGuard> {
    let Some(locks) = locks() else {
        return Ok(LockGuard { release: None });
    };
    request(&locks, KEYS_LOCK, false, shared)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::BrowserError, "the Web Lock was not granted"))
}
