//! `window.coffer`: the encrypted-store API for the standalone page's
//! scripts (and the end-to-end tests and benchmark). Every function
//! returns a Promise and goes through [`crate::client::api`]:
//!
//! - `createEncryptedStore(db, store)`
//! - `put(db, store, key, value)`, `get(db, store, key)`,
//!   `delete(db, store, key)`, `list(db, store)`
//! - `deleteDatabases([names])`, `refresh()`
//! - `measure(mib)`: the engine's sealing speed in its worker (benchmark)
//!
//! Failures reject with an `Error` whose `code` is the error code.

use std::future::Future;

use js_sys::{Array, Promise};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;

use crate::client::api::{self, ApiResult};
use crate::client::js::{error, to_js};
use crate::ui::Ctx;

/// A Promise of `f`'s result; a change of data reloads the overview.
fn promise<F>(ctx: Ctx, refresh: bool, f: F) -> Promise
where
    F: Future<Output = ApiResult<JsValue>> + 'static,
{
    wasm_bindgen_futures::future_to_promise(async move {
        let r = f.await;
        if refresh && r.is_ok() {
            ctx.refresh();
        }
        r.map_err(|f| error(&f))
    })
}

fn text(v: &JsValue) -> String {
    v.as_string().unwrap_or_default()
}

/// Installs `window.coffer` for the page of `ctx`.
pub fn install(ctx: Ctx) {
    let api_obj = js_sys::Object::new();
    let set = |name: &str, f: JsValue| {
        let _ = js_sys::Reflect::set(&api_obj, &name.into(), &f);
    };
    let engine = move || ctx.engine.get_value();
    set(
        "createEncryptedStore",
        Closure::<dyn Fn(JsValue, JsValue) -> Promise>::new(move |db: JsValue, store: JsValue| {
            let e = engine();
            promise(ctx, true, async move {
                api::store_create(&e, &text(&db), &text(&store)).await?;
                Ok(JsValue::UNDEFINED)
            })
        })
        .into_js_value(),
    );
    set(
        "put",
        Closure::<dyn Fn(JsValue, JsValue, JsValue, JsValue) -> Promise>::new(
            move |db: JsValue, store: JsValue, key: JsValue, value: JsValue| {
                let e = engine();
                promise(ctx, true, async move {
                    api::store_put(&e, &text(&db), &text(&store), &key, &value).await?;
                    Ok(JsValue::UNDEFINED)
                })
            },
        )
        .into_js_value(),
    );
    set(
        "get",
        Closure::<dyn Fn(JsValue, JsValue, JsValue) -> Promise>::new(
            move |db: JsValue, store: JsValue, key: JsValue| {
                let e = engine();
                promise(ctx, false, async move {
                    Ok(api::store_get(&e, &text(&db), &text(&store), &key)
                        .await?
                        .unwrap_or(JsValue::UNDEFINED))
                })
            },
        )
        .into_js_value(),
    );
    set(
        "delete",
        Closure::<dyn Fn(JsValue, JsValue, JsValue) -> Promise>::new(
            move |db: JsValue, store: JsValue, key: JsValue| {
                let e = engine();
                promise(ctx, true, async move {
                    api::store_delete(&e, &text(&db), &text(&store), &key).await?;
                    Ok(JsValue::UNDEFINED)
                })
            },
        )
        .into_js_value(),
    );
    set(
        "list",
        Closure::<dyn Fn(JsValue, JsValue) -> Promise>::new(move |db: JsValue, store: JsValue| {
            let e = engine();
            promise(ctx, false, async move {
                Ok(api::store_list(&e, &text(&db), &text(&store)).await?.into())
            })
        })
        .into_js_value(),
    );
    set(
        "deleteDatabases",
        Closure::<dyn Fn(JsValue) -> Promise>::new(move |names: JsValue| {
            let e = engine();
            let names = Array::from(&names)
                .iter()
                .filter_map(|n| n.as_string())
                .collect();
            promise(ctx, true, async move {
                api::delete_databases(&e, names).await?;
                Ok(JsValue::UNDEFINED)
            })
        })
        .into_js_value(),
    );
    // Benchmark hook (scripts/bench.sh): engine sealing speed in the worker.
    set(
        "measure",
        Closure::<dyn Fn(JsValue) -> Promise>::new(move |mib: JsValue| {
            let e = engine();
            let mib = mib.as_f64().unwrap_or(16.0) as u32;
            promise(ctx, false, async move {
                Ok(to_js(&api::measure(&e, mib).await?))
            })
        })
        .into_js_value(),
    );
    // History and automatic backups (the end-to-end tests use these with
    // the origin private file system as the folder).
    set(
        "history",
        Closure::<dyn Fn(JsValue) -> Promise>::new(move |kind: JsValue| {
            let e = engine();
            let kind = kind
                .as_string()
                .and_then(|k| coffer_protocol::HistoryKind::parse(&k));
            promise(ctx, false, async move {
                Ok(to_js(&api::history(&e, kind).await?))
            })
        })
        .into_js_value(),
    );
    let auto_obj = js_sys::Object::new();
    let set_auto = |name: &str, f: JsValue| {
        let _ = js_sys::Reflect::set(&auto_obj, &name.into(), &f);
    };
    set_auto(
        "state",
        Closure::<dyn Fn() -> Promise>::new(move || {
            let e = engine();
            promise(
                ctx,
                false,
                async move { Ok(to_js(&api::auto_state(&e).await?)) },
            )
        })
        .into_js_value(),
    );
    set_auto(
        "set",
        Closure::<dyn Fn(JsValue, JsValue) -> Promise>::new(
            move |settings: JsValue, folder: JsValue| {
                let e = engine();
                promise(ctx, false, async move {
                    let json = js_sys::JSON::stringify(&settings)
                        .ok()
                        .and_then(|s| s.as_string())
                        .unwrap_or_default();
                    let settings: coffer_protocol::AutoSettings = serde_json::from_str(&json)
                        .map_err(|err| {
                            coffer_protocol::Failure::new(
                                coffer_protocol::ErrorCode::BadArgument,
                                format!("bad automatic-backup settings: {err}"),
                            )
                        })?;
                    let folder = (!folder.is_undefined() && !folder.is_null()).then_some(folder);
                    let st = api::auto_set(&e, settings, folder).await?;
                    let _ = ctx.auto.try_set(Some(st.clone()));
                    Ok(to_js(&st))
                })
            },
        )
        .into_js_value(),
    );
    set_auto(
        "run",
        Closure::<dyn Fn(JsValue) -> Promise>::new(move |force: JsValue| {
            let e = engine();
            let force = force.as_bool().unwrap_or(true);
            promise(ctx, false, async move {
                let r = api::auto_run(&e, force, |_| {}).await;
                crate::ui::refresh_auto(ctx);
                Ok(to_js(&r?))
            })
        })
        .into_js_value(),
    );
    set("autoBackup", auto_obj.into());
    set(
        "refresh",
        Closure::<dyn Fn()>::new(move || ctx.refresh()).into_js_value(),
    );
    let _ = js_sys::Reflect::set(&js_sys::global(), &"coffer".into(), &api_obj);
}
