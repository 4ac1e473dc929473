//! Thin async wrappers over IndexedDB that work in a window and in a
//! worker.
//!
//! Requests become futures through a JS `Promise`, whose continuation runs
//! as a microtask; wasm-bindgen-futures polls in microtasks too, so code that
//! awaits requests of one transaction keeps that transaction active (it
//! commits only once a task ends with no request pending). Never await
//! anything but requests of the same transaction while one is open.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbDatabase, IdbFactory, IdbIndexParameters, IdbObjectStore, IdbObjectStoreParameters,
    IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode,
};

use coffer_engine::model::{IndexSchema, KeyPath, StoreSchema};

use crate::error::{AppError, AppResult};
use coffer_protocol::ErrorCode;

/// The global `indexedDB` of a window or worker.
pub fn factory() -> AppResult<IdbFactory> {
    let g = js_sys::global();
    Reflect::get(&g, &JsValue::from_str("indexedDB"))
        .ok()
        .and_then(|f| f.dyn_into::<IdbFactory>().ok())
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::BrowserUnsupported,
                "IndexedDB is not available here",
            )
        })
}

/// Waits for a request's `success` and returns its result.
pub async fn wait(req: &IdbRequest) -> Result<JsValue, JsValue> {
    track(req).await
}

/// Starts listening to a request at once and returns a future of its
/// result. Use this when issuing several requests before awaiting any: an
/// event that fires before a listener is attached is lost.
pub fn track(req: &IdbRequest) -> JsFuture {
    let r = req.clone();
    let p = Promise::new(&mut |resolve: Function, reject: Function| {
        let r2 = r.clone();
        let [ok, err] = first_of(move |which, _e| {
            r2.set_onsuccess(None);
            r2.set_onerror(None);
            if which == 0 {
                let _ = resolve.call1(&JsValue::NULL, &r2.result().unwrap_or(JsValue::UNDEFINED));
            } else {
                let _ = reject.call1(&JsValue::NULL, &request_error(&r2));
            }
        });
        r.set_onsuccess(Some(&ok));
        r.set_onerror(Some(&err));
    });
    JsFuture::from(p)
}

/// The `DOMException` a failed request holds (or `undefined`).
fn request_error(r: &IdbRequest) -> JsValue {
    r.error()
        .ok()
        .flatten()
        .map(JsValue::from)
        .unwrap_or(JsValue::UNDEFINED)
}

/// `N` event handlers of which only the first call counts: it runs `f` with
/// the handler's index and the event, then every handler is freed.
///
/// `Closure::once_into_js` frees a closure only when it runs, so the
/// handler of the outcome that did not happen (e.g. `onerror` of a request
/// that succeeded) would leak with everything it holds — the request, its
/// result (a page of records) and the promise. These handlers free each
/// other instead (wasm-bindgen defers freeing the one that is running).
fn first_of<const N: usize>(f: impl FnOnce(usize, JsValue) + 'static) -> [Function; N] {
    type Handlers = Rc<RefCell<Vec<Closure<dyn FnMut(JsValue)>>>>;
    let handlers: Handlers = Rc::new(RefCell::new(Vec::with_capacity(N)));
    let f = Rc::new(RefCell::new(Some(f)));
    std::array::from_fn(|i| {
        let (all, f) = (handlers.clone(), f.clone());
        let c = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let run = f.borrow_mut().take();
            let dropped = std::mem::take(&mut *all.borrow_mut());
            if let Some(run) = run {
                run(i, e);
            }
            drop(dropped);
        });
        let js: Function = c.as_ref().unchecked_ref::<Function>().clone();
        handlers.borrow_mut().push(c);
        js
    })
}

/// Like [`wait`], mapping failures to an [`AppError`] naming `what`.
pub async fn req(what: &str, r: Result<IdbRequest, JsValue>) -> AppResult<JsValue> {
    let r = r.map_err(|e| AppError::js(what, e))?;
    wait(&r).await.map_err(|e| AppError::js(what, e))
}

/// Waits until a transaction completes (or fails).
pub async fn done(tx: &IdbTransaction) -> AppResult<()> {
    done_future(tx).await
}

/// Starts listening to `tx` at once and returns a future of its end (use
/// it when the transaction may end before the future is first awaited).
pub fn done_future(tx: &IdbTransaction) -> impl std::future::Future<Output = AppResult<()>> {
    let t = tx.clone();
    let p = Promise::new(&mut |resolve: Function, reject: Function| {
        let t2 = t.clone();
        let [ok, err, abort] = first_of(move |which, _e| {
            t2.set_oncomplete(None);
            t2.set_onerror(None);
            t2.set_onabort(None);
            if which == 0 {
                let _ = resolve.call0(&JsValue::NULL);
            } else {
                let e = t2.error().map(JsValue::from).unwrap_or_else(|| {
                    JsValue::from_str(if which == 1 {
                        "aborted"
                    } else {
                        "the transaction was aborted"
                    })
                });
                let _ = reject.call1(&JsValue::NULL, &e);
            }
        });
        t.set_oncomplete(Some(&ok));
        t.set_onerror(Some(&err));
        t.set_onabort(Some(&abort));
    });
    let f = JsFuture::from(p);
    async move {
        f.await
            .map(|_| ())
            .map_err(|e| AppError::js("the transaction failed", e))
    }
}

/// Makes `db` close itself when another connection wants to upgrade or
/// delete it, so restores in other tabs are never blocked by us.
fn close_on_versionchange(db: &IdbDatabase) {
    let d = db.clone();
    let f = Closure::<dyn FnMut(JsValue)>::new(move |_e: JsValue| d.close());
    db.set_onversionchange(Some(f.as_ref().unchecked_ref()));
    f.forget();
}

/// Opens the database `name` at its current version, or returns `None` if
/// there is none: a database is never created here. (`indexedDB.open`
/// creates a missing database; this aborts that creation, so a database the
/// app deleted between a listing and this open stays deleted.)
pub async fn open_existing(name: &str) -> AppResult<Option<IdbDatabase>> {
    let r = factory()?
        .open(name)
        .map_err(|e| AppError::js("cannot open database", e))?;
    let created = Rc::new(Cell::new(false));
    let (rr, c) = (r.clone(), created.clone());
    let abort = Closure::<dyn FnMut(JsValue)>::new(move |_e: JsValue| {
        c.set(true);
        if let Some(tx) = rr.transaction() {
            let _ = tx.abort();
        }
    });
    r.set_onupgradeneeded(Some(abort.as_ref().unchecked_ref()));
    let result = wait(&r).await;
    r.set_onupgradeneeded(None);
    drop(abort);
    match result {
        Ok(db) => {
            let db: IdbDatabase = db.unchecked_into();
            close_on_versionchange(&db);
            Ok(Some(db))
        }
        Err(_) if created.get() => Ok(None),
        Err(e) => Err(AppError::js(&format!("cannot open database {name:?}"), e)),
    }
}

/// Like [`open_existing`], failing with `browser-not-found` when the
/// database does not exist.
pub async fn open(name: &str) -> AppResult<IdbDatabase> {
    open_existing(name).await?.ok_or_else(|| {
        AppError::new(
            ErrorCode::BrowserNotFound,
            format!("there is no database {name:?}"),
        )
    })
}

/// What opening with a version produced first.
pub enum Opened {
    /// An upgrade is running: do schema and data work in `tx`, then await
    /// [`finish_open`] with `request`.
    Upgrade {
        /// The connection.
        db: IdbDatabase,
        /// The versionchange transaction.
        tx: IdbTransaction,
        /// The open request.
        request: IdbOpenDbRequest,
        /// The version before the upgrade (0 for a new database).
        old_version: f64,
    },
    /// No upgrade was needed.
    Open(IdbDatabase),
}

/// Opens `name` at `version`, calling `on_blocked` if other connections
/// hold the database open.
pub async fn open_versioned(
    name: &str,
    version: f64,
    on_blocked: impl Fn() + 'static,
) -> AppResult<Opened> {
    let r = factory()?
        .open_with_f64(name, version)
        .map_err(|e| AppError::js("cannot open database", e))?;
    let rr = r.clone();
    let blocked = Closure::<dyn FnMut(JsValue)>::new(move |_e: JsValue| on_blocked());
    r.set_onblocked(Some(blocked.as_ref().unchecked_ref()));
    blocked.forget();
    // Upgrade needed (its old version), success without upgrade (-1), or
    // failure. After an upgrade, `finish_open` listens for the success.
    let p = Promise::new(&mut |resolve: Function, reject: Function| {
        let r2 = rr.clone();
        let [up, ok, err] = first_of(move |which, e| {
            r2.set_onupgradeneeded(None);
            r2.set_onsuccess(None);
            r2.set_onerror(None);
            match which {
                0 => {
                    let old = Reflect::get(&e, &JsValue::from_str("oldVersion"))
                        .ok()
                        .and_then(|v| v.as_f64())
                        .unwrap_or(0.0);
                    let _ = resolve.call1(&JsValue::NULL, &JsValue::from_f64(old));
                }
                1 => {
                    let _ = resolve.call1(&JsValue::NULL, &JsValue::from_f64(-1.0));
                }
                _ => {
                    let _ = reject.call1(&JsValue::NULL, &request_error(&r2));
                }
            }
        });
        rr.set_onupgradeneeded(Some(&up));
        rr.set_onsuccess(Some(&ok));
        rr.set_onerror(Some(&err));
    });
    let old = JsFuture::from(p)
        .await
        .map_err(|e| AppError::js(&format!("cannot open database {name:?}"), e))?
        .as_f64()
        .unwrap_or(-1.0);
    let db: IdbDatabase = r
        .result()
        .map_err(|e| AppError::js("cannot open database", e))?
        .unchecked_into();
    close_on_versionchange(&db);
    if old < 0.0 {
        return Ok(Opened::Open(db));
    }
    let tx = r
        .transaction()
        .ok_or_else(|| AppError::new(ErrorCode::BrowserError, "the upgrade has no transaction"))?;
    Ok(Opened::Upgrade {
        db,
        tx,
        request: r,
        old_version: old,
    })
}

/// Waits for an upgrading open request to succeed (the versionchange
/// transaction committed) or fail (it was aborted).
pub async fn finish_open(request: &IdbOpenDbRequest) -> AppResult<()> {
    let r: &IdbRequest = request.unchecked_ref();
    wait(r)
        .await
        .map(|_| ())
        .map_err(|e| AppError::js("the restore transaction failed", e))
}

/// Like [`finish_open`] for an upgrade that did work in `tx`: when it
/// fails, the transaction's own error says why (e.g. a
/// `QuotaExceededError` that aborted it), not the open request's
/// `AbortError`.
pub async fn finish_upgrade(request: &IdbOpenDbRequest, tx: &IdbTransaction) -> AppResult<()> {
    match finish_open(request).await {
        Ok(()) => Ok(()),
        Err(e) => match tx.error() {
            Some(cause) => Err(AppError::js("the restore transaction failed", cause.into())),
            None => Err(e),
        },
    }
}

/// Names of every database of the origin.
pub async fn database_names() -> AppResult<Vec<(String, u64)>> {
    let f = factory()?;
    let m: Function = Reflect::get(&f, &"databases".into())
        .map_err(|e| AppError::js("cannot list databases", e))?
        .dyn_into()
        .map_err(|_| {
            AppError::new(
                ErrorCode::BrowserUnsupported,
                "this browser cannot list its IndexedDB databases",
            )
        })?;
    let p: Promise = m
        .call0(&f)
        .map_err(|e| AppError::js("cannot list databases", e))?
        .unchecked_into();
    let list = JsFuture::from(p)
        .await
        .map_err(|e| AppError::js("cannot list databases", e))?;
    let mut out = Vec::new();
    for info in Array::from(&list).iter() {
        let name = Reflect::get(&info, &"name".into())
            .ok()
            .and_then(|v| v.as_string());
        let version = Reflect::get(&info, &"version".into())
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0);
        if let Some(name) = name {
            out.push((name, version as u64));
        }
    }
    out.sort();
    Ok(out)
}

/// Deletes a database.
pub async fn delete_database(name: &str) -> AppResult<()> {
    delete_database_waiting(name, || {}).await
}

/// Deletes a database, calling `on_blocked` while other connections keep
/// it open (they are asked to close).
pub async fn delete_database_waiting(name: &str, on_blocked: impl Fn() + 'static) -> AppResult<()> {
    let r = factory()?
        .delete_database(name)
        .map_err(|e| AppError::js("cannot delete database", e))?;
    let blocked = Closure::<dyn FnMut(JsValue)>::new(move |_e: JsValue| on_blocked());
    r.set_onblocked(Some(blocked.as_ref().unchecked_ref()));
    blocked.forget();
    wait(&r)
        .await
        .map(|_| ())
        .map_err(|e| AppError::js(&format!("cannot delete database {name:?}"), e))
}

/// The store names of an open database, sorted.
pub fn store_names(db: &IdbDatabase) -> Vec<String> {
    let list = db.object_store_names();
    let mut out: Vec<String> = (0..list.length()).filter_map(|i| list.get(i)).collect();
    out.sort();
    out
}

/// A transaction over `stores` in `mode`.
pub fn transaction(
    db: &IdbDatabase,
    stores: &[String],
    mode: IdbTransactionMode,
) -> AppResult<IdbTransaction> {
    let names = Array::new();
    for s in stores {
        names.push(&JsValue::from_str(s));
    }
    if mode == IdbTransactionMode::Readwrite {
        // Relaxed durability makes bulk writes much faster.
        let opts = js_sys::Object::new();
        let _ = Reflect::set(&opts, &"durability".into(), &"relaxed".into());
        let f: Option<Function> = Reflect::get(db, &"transaction".into())
            .ok()
            .and_then(|f| f.dyn_into().ok());
        if let Some(f) = f {
            let args: Array = [
                JsValue::from(&names),
                JsValue::from_str("readwrite"),
                opts.into(),
            ]
            .iter()
            .collect();
            if let Ok(tx) = f.apply(db, &args) {
                return Ok(tx.unchecked_into());
            }
        }
    }
    db.transaction_with_str_sequence_and_mode(&names, mode)
        .map_err(|e| AppError::js("cannot start a transaction", e))
}

fn key_path_from_js(v: &JsValue) -> Option<KeyPath> {
    if let Some(s) = v.as_string() {
        return Some(KeyPath::Single(s));
    }
    if Array::is_array(v) {
        let parts = Array::from(v)
            .iter()
            .filter_map(|p| p.as_string())
            .collect();
        return Some(KeyPath::Compound(parts));
    }
    // DOMStringList (older engines) or null.
    if v.is_null() || v.is_undefined() {
        return None;
    }
    let len = Reflect::get(v, &"length".into())
        .ok()
        .and_then(|l| l.as_f64())?;
    let mut parts = Vec::new();
    for i in 0..len as u32 {
        parts.push(Reflect::get_u32(v, i).ok()?.as_string()?);
    }
    Some(KeyPath::Compound(parts))
}

/// Converts a key path to its JS form.
pub fn key_path_to_js(p: &KeyPath) -> JsValue {
    match p {
        KeyPath::Single(s) => JsValue::from_str(s),
        KeyPath::Compound(parts) => parts
            .iter()
            .map(|s| JsValue::from_str(s))
            .collect::<Array>()
            .into(),
    }
}

/// Reads a store's schema (without key generator and encryption flag).
pub fn read_store_schema(store: &IdbObjectStore) -> AppResult<StoreSchema> {
    let mut s = StoreSchema::new(store.name());
    s.key_path = key_path_from_js(&store.key_path().unwrap_or(JsValue::NULL));
    s.auto_increment = store.auto_increment();
    let names = store.index_names();
    let mut index_names: Vec<String> = (0..names.length()).filter_map(|i| names.get(i)).collect();
    index_names.sort();
    for n in index_names {
        let ix = store
            .index(&n)
            .map_err(|e| AppError::js("cannot read an index", e))?;
        s.indexes.push(IndexSchema {
            name: n,
            key_path: key_path_from_js(&ix.key_path().unwrap_or(JsValue::NULL))
                .unwrap_or(KeyPath::Single(String::new())),
            unique: ix.unique(),
            multi_entry: ix.multi_entry(),
        });
    }
    Ok(s)
}

/// Creates a store with `schema` (and its indexes) inside a versionchange
/// transaction.
pub fn create_store(db: &IdbDatabase, schema: &StoreSchema) -> AppResult<IdbObjectStore> {
    let params = IdbObjectStoreParameters::new();
    params.set_auto_increment(schema.auto_increment);
    if let Some(p) = &schema.key_path {
        params.set_key_path(&key_path_to_js(p));
    }
    let store = db
        .create_object_store_with_optional_parameters(&schema.name, &params)
        .map_err(|e| AppError::js(&format!("cannot create store {:?}", schema.name), e))?;
    for ix in &schema.indexes {
        let p = IdbIndexParameters::new();
        p.set_unique(ix.unique);
        p.set_multi_entry(ix.multi_entry);
        let kp = key_path_to_js(&ix.key_path);
        let r = match &ix.key_path {
            KeyPath::Single(s) => {
                store.create_index_with_str_and_optional_parameters(&ix.name, s, &p)
            }
            KeyPath::Compound(_) => {
                store.create_index_with_str_sequence_and_optional_parameters(&ix.name, &kp, &p)
            }
        };
        r.map_err(|e| AppError::js(&format!("cannot create index {:?}", ix.name), e))?;
    }
    Ok(store)
}
