//! The wasm-bindgen surface the `coffer-backup.js` module calls. Options
//! arrive already unpacked by the JS side (files read, signals wired to
//! [`CofferElement::cancel`]); results are plain JS objects with camelCase
//! fields (`coffer_app::client::js::to_js`); failures reject with an
//! `Error` whose `code` is the error code (`name` is `AbortError` for
//! cancellations, `CofferError` otherwise).

use std::rc::Rc;

use coffer_app::client::api::{self, ApiResult, UnlockOptions};
use coffer_app::client::js::{error, set, to_js, ProgressDetail};
use coffer_app::client::{EngineClient, Progress};
use coffer_embed::{mount_in_shadow, BackupConfig, Embedded, EncryptedStore};
use coffer_protocol::{ErrorCode, Failure, KeySource, Msg, Part};
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::{Blob, HtmlElement};

fn progress_cb(f: JsValue) -> impl FnMut(Progress) + Clone + 'static {
    let f = f.dyn_into::<Function>().ok();
    move |p: Progress| {
        if let (Some(f), Progress::Step(phase, progress)) = (&f, p) {
            let d = to_js(&ProgressDetail {
                phase,
                progress: &progress,
            });
            let _ = f.call1(&JsValue::NULL, &d);
        }
    }
}

fn strings(v: &JsValue) -> Option<Vec<String>> {
    if v.is_null() || v.is_undefined() {
        return None;
    }
    Some(
        js_sys::Array::from(v)
            .iter()
            .filter_map(|s| s.as_string())
            .collect(),
    )
}

/// The `parts` option: `local-storage`, `opfs`, `caches` (unknown names
/// are an error).
fn parts(v: &JsValue) -> Result<Option<Vec<Part>>, Failure> {
    let Some(names) = strings(v) else {
        return Ok(None);
    };
    names
        .iter()
        .map(|n| {
            Part::ALL
                .into_iter()
                .find(|p| p.as_str() == n)
                .ok_or_else(|| {
                    Failure::new(
                        ErrorCode::BadArgument,
                        format!("unknown part {n:?} (use local-storage, opfs or caches)"),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn config_from(attrs: &JsValue) -> BackupConfig {
    BackupConfig::from_attributes(|n| {
        Reflect::get(attrs, &n.into())
            .ok()
            .and_then(|v| v.as_string())
    })
}

/// One mounted `<coffer-backup>`: the Rust half of the custom element.
#[wasm_bindgen]
pub struct CofferElement {
    inner: Rc<Embedded>,
}

#[wasm_bindgen]
impl CofferElement {
    /// Mounts the UI into `host`'s shadow root; `attrs` maps attribute
    /// names to their values (or null); `worker-url` is always given.
    pub fn mount(host: HtmlElement, attrs: JsValue) -> Result<CofferElement, JsValue> {
        console_error_panic_hook::set_once();
        mount_in_shadow(host, config_from(&attrs))
            .map(|e| CofferElement { inner: Rc::new(e) })
            .map_err(|f| error(&f))
    }

    /// Applies changed attributes.
    pub fn configure(&self, attrs: JsValue) {
        self.inner.configure(config_from(&attrs));
    }

    /// Removes the UI.
    pub fn unmount(&self) {
        self.inner.unmount();
    }

    /// Reloads the overview.
    pub fn refresh(&self) {
        self.inner.refresh();
    }

    /// The current master key id (null until the overview has loaded).
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> Option<String> {
        self.inner.key_id()
    }

    /// When the last good backup ended (ms since the epoch; null if none
    /// or not loaded yet).
    #[wasm_bindgen(getter, js_name = lastBackupMs)]
    pub fn last_backup_ms(&self) -> Option<f64> {
        self.inner.last_backup_ms()
    }

    /// Whether a backup is due (the overview's reminder is a warning).
    #[wasm_bindgen(getter, js_name = backupDue)]
    pub fn backup_due(&self) -> bool {
        self.inner.backup_due()
    }

    /// Cancels the running operations (their promises reject with
    /// `AbortError`, code `cancelled`); nothing half-written survives.
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// Runs a script's operation: the UI is busy meanwhile, then shows
    /// `said` (or the failure) and reloads its overview.
    fn run<F>(&self, f: F) -> Promise
    where
        F: std::future::Future<Output = ApiResult<(JsValue, Msg)>> + 'static,
    {
        let inner = self.inner.clone();
        inner.set_busy(true);
        future_to_promise(async move {
            let r = f.await;
            inner.set_busy(false);
            match r {
                Ok((v, said)) => {
                    if said != Msg::None {
                        inner.announce(said);
                    }
                    inner.refresh();
                    Ok(v)
                }
                Err(e) => {
                    inner.announce(Msg::Failed(e.clone()));
                    Err(error(&e))
                }
            }
        })
    }

    /// Creates a backup; resolves to its Blob (`name` property: the
    /// suggested file name).
    pub fn backup(
        &self,
        databases: JsValue,
        parts_: JsValue,
        passphrase: Option<String>,
        on_progress: JsValue,
    ) -> Promise {
        let engine = self.inner.engine();
        let scope = self.inner.config().scope();
        let only = strings(&databases);
        let only_parts = parts(&parts_);
        let cb = progress_cb(on_progress);
        self.run(async move {
            let only_parts = only_parts?;
            let b = api::backup_all(
                &engine,
                &scope,
                only.as_deref(),
                only_parts.as_deref(),
                passphrase,
                cb,
            )
            .await?;
            set(&b.blob, "name", b.file_name.as_str());
            Ok((
                b.blob.into(),
                Msg::BackupCreatedByApp { records: b.records },
            ))
        })
    }

    /// Validates a backup and resolves to its summary.
    pub fn inspect(
        &self,
        file: Blob,
        passphrase: Option<String>,
        key_text: Option<String>,
        key_passphrase: Option<String>,
        on_progress: JsValue,
    ) -> Promise {
        let engine = self.inner.engine();
        let scope = self.inner.config().scope();
        let unlock = UnlockOptions::new(passphrase, key_text, key_passphrase);
        let cb = progress_cb(on_progress);
        self.run(async move {
            let p = api::inspect(&engine, &file, &scope, &unlock, cb).await?;
            Ok((to_js(&p), Msg::None))
        })
    }

    /// Validates and restores a backup; resolves to the report. An
    /// unauthenticated backup is restored only with
    /// `allow_unauthenticated`.
    #[allow(clippy::too_many_arguments)]
    pub fn restore(
        &self,
        file: Blob,
        databases: JsValue,
        parts_: JsValue,
        passphrase: Option<String>,
        key_text: Option<String>,
        key_passphrase: Option<String>,
        allow_unauthenticated: bool,
        on_progress: JsValue,
    ) -> Promise {
        let engine = self.inner.engine();
        let scope = self.inner.config().scope();
        let mut unlock = UnlockOptions::new(passphrase, key_text, key_passphrase);
        unlock.accept_unauthenticated = allow_unauthenticated;
        let only = strings(&databases);
        let only_parts = parts(&parts_);
        let cb = progress_cb(on_progress);
        self.run(async move {
            let only_parts = only_parts?;
            let r = api::restore_all(
                &engine,
                &file,
                &scope,
                &unlock,
                only.as_deref(),
                only_parts.as_deref(),
                cb,
            )
            .await?;
            Ok((to_js(&r), Msg::RestoreByApp { records: r.records }))
        })
    }

    /// Exports the master key; resolves to the key file Blob (`name`,
    /// `keyId` properties).
    #[wasm_bindgen(js_name = exportKey)]
    pub fn export_key(&self, passphrase: Option<String>) -> Promise {
        let engine = self.inner.engine();
        self.run(async move {
            let k = api::export_key(&engine, passphrase, false).await?;
            set(&k.blob, "name", k.file_name.as_str());
            set(&k.blob, "keyId", k.key_id.as_str());
            Ok((k.blob.into(), Msg::None))
        })
    }

    /// Replaces the master key with a fresh one (`key_text` null) or the
    /// one in a key file; resolves to `{keyId, oldKeyId, resealed}`.
    #[wasm_bindgen(js_name = replaceKey)]
    pub fn replace_key(
        &self,
        key_text: Option<String>,
        passphrase: Option<String>,
        on_progress: JsValue,
    ) -> Promise {
        let engine = self.inner.engine();
        let source = match key_text {
            Some(text) => KeySource::Import { text, passphrase },
            None => KeySource::Generate,
        };
        let cb = progress_cb(on_progress);
        self.run(async move {
            let k = api::replace_key(&engine, source, cb).await?;
            Ok((to_js(&k), Msg::KeyReplacedByApp))
        })
    }
}

/// An open encrypted store, for scripts (`openStore(db, store)`).
#[wasm_bindgen]
pub struct CofferStore {
    inner: EncryptedStore,
}

/// Opens (creating and registering if needed) an encrypted store, through
/// a worker loaded from `worker_url` (one per URL, kept for the page's
/// lifetime).
#[wasm_bindgen(js_name = openStore)]
pub async fn open_store(
    db: String,
    store: String,
    worker_url: String,
) -> Result<CofferStore, JsValue> {
    EncryptedStore::open(&store_engine(&worker_url), db, store)
        .await
        .map(|inner| CofferStore { inner })
        .map_err(|f| error(&f))
}

thread_local! {
    static STORE_ENGINES: std::cell::RefCell<Vec<(String, EngineClient)>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn store_engine(url: &str) -> EngineClient {
    STORE_ENGINES.with(|c| {
        let mut engines = c.borrow_mut();
        if let Some((_, e)) = engines.iter().find(|(u, _)| u == url) {
            return e.clone();
        }
        let e = EngineClient::new(url);
        engines.push((url.to_owned(), e.clone()));
        e
    })
}

fn settle<T>(f: impl std::future::Future<Output = ApiResult<T>> + 'static) -> Promise
where
    T: Into<JsValue>,
{
    future_to_promise(async move { f.await.map(Into::into).map_err(|f| error(&f)) })
}

#[wasm_bindgen]
impl CofferStore {
    /// The database name.
    #[wasm_bindgen(getter)]
    pub fn database(&self) -> String {
        self.inner.database().to_owned()
    }

    /// The store name.
    #[wasm_bindgen(getter)]
    pub fn store(&self) -> String {
        self.inner.store().to_owned()
    }

    /// Seals and stores `value` under `key`.
    pub fn put(&self, key: JsValue, value: JsValue) -> Promise {
        let s = self.inner.clone();
        settle(async move { s.put(&key, &value).await.map(|()| JsValue::UNDEFINED) })
    }

    /// The value under `key`, or undefined.
    pub fn get(&self, key: JsValue) -> Promise {
        let s = self.inner.clone();
        settle(async move { Ok(s.get(&key).await?.unwrap_or(JsValue::UNDEFINED)) })
    }

    /// Deletes the record under `key`.
    pub fn delete(&self, key: JsValue) -> Promise {
        let s = self.inner.clone();
        settle(async move { s.delete(&key).await.map(|()| JsValue::UNDEFINED) })
    }

    /// The keys (an array).
    pub fn list(&self) -> Promise {
        let s = self.inner.clone();
        settle(async move { s.list().await })
    }
}

/// Installs the panic hook (called once when the module loads).
pub fn init() {
    console_error_panic_hook::set_once();
}
