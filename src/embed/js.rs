//! The wasm-bindgen surface the `coffer-backup.js` module calls. Options
//! arrive already unpacked by the JS side (files read, signals wired to
//! [`CofferElement::cancel`]); results are plain JS objects with camelCase
//! fields; failures reject with an `Error` whose `code` is machine-readable
//! (`name` is `AbortError` for cancellations, `CofferError` otherwise).

use std::cell::OnceCell;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::{Blob, HtmlElement};

use coffer_app::client::{self, EngineClient};
use coffer_app::embed::api::{self, BackupOptions, UnlockOptions, LOCAL_CODES};
use coffer_app::embed::element::{
    dispatch, events, mount_in_shadow, obj, progress_detail, Embedded,
};
use coffer_app::embed::BackupConfig;
use coffer_app::embed::EncryptedStore;
use coffer_app::error::AppError;
use coffer_app::protocol::{Event, KeyFileInput, KeySource};

/// Points every engine worker started from now on at `url`.
#[wasm_bindgen(js_name = setWorkerUrl)]
pub fn set_worker_url(url: &str) {
    client::set_worker_url(url);
}

fn js_error(e: &AppError) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    err.set_name(if e.code == "cancelled" {
        "AbortError"
    } else {
        "CofferError"
    });
    let _ = Reflect::set(&err, &"code".into(), &JsValue::from_str(&e.code));
    err.into()
}

fn snake_to_camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut up = false;
    for c in s.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn camel(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (snake_to_camel(&k), camel(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(camel).collect()),
        other => other,
    }
}

/// Any serializable value as a JS object with camelCase field names.
fn to_js<T: Serialize>(v: &T) -> JsValue {
    serde_json::to_value(v)
        .ok()
        .map(camel)
        .and_then(|v| js_sys::JSON::parse(&v.to_string()).ok())
        .unwrap_or(JsValue::NULL)
}

fn progress_cb(f: JsValue) -> impl FnMut(&Event) + Clone + 'static {
    let f = f.dyn_into::<Function>().ok();
    move |ev: &Event| {
        if let (Some(f), Some(d)) = (&f, progress_detail(ev)) {
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
    /// names to their values (or null).
    pub fn mount(host: HtmlElement, attrs: JsValue) -> Result<CofferElement, JsValue> {
        console_error_panic_hook::set_once();
        mount_in_shadow(host, config_from(&attrs))
            .map(|e| CofferElement { inner: Rc::new(e) })
            .map_err(|e| js_error(&e))
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

    /// Cancels the running operations (their promises reject with
    /// `AbortError`, code `cancelled`); nothing half-written survives.
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    fn run<F>(&self, what: &'static str, f: F) -> Promise
    where
        F: std::future::Future<Output = Result<(JsValue, String), AppError>> + 'static,
    {
        let inner = self.inner.clone();
        inner.set_busy(true);
        future_to_promise(async move {
            let r = f.await;
            inner.set_busy(false);
            match r {
                Ok((v, said)) => {
                    if !said.is_empty() {
                        inner.announce(&said);
                    }
                    inner.refresh();
                    Ok(v)
                }
                Err(e) => {
                    if LOCAL_CODES.contains(&e.code.as_str()) {
                        dispatch(
                            &inner.host(),
                            events::ERROR,
                            obj(&[
                                ("code", e.code.as_str().into()),
                                ("message", e.message.as_str().into()),
                            ]),
                        );
                    }
                    inner.announce_error(&AppError::new(
                        e.code.clone(),
                        format!("{what}: {}", e.message),
                    ));
                    Err(js_error(&e))
                }
            }
        })
    }

    /// Creates a backup; resolves to its Blob (`name` property: the
    /// suggested file name).
    pub fn backup(
        &self,
        databases: JsValue,
        passphrase: Option<String>,
        on_progress: JsValue,
    ) -> Promise {
        let engine = self.inner.engine();
        let config = self.inner.config();
        let opts = BackupOptions {
            databases: strings(&databases),
            passphrase,
        };
        let cb = progress_cb(on_progress);
        self.run("backup", async move {
            let b = api::backup(&engine, &config, opts, cb).await?;
            let _ = Reflect::set(&b.blob, &"name".into(), &b.file_name.as_str().into());
            Ok((
                b.blob.into(),
                format!("Backup created by the app: {} records.", b.records),
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
        let unlock = unlock(passphrase, key_text, key_passphrase);
        let cb = progress_cb(on_progress);
        self.run("inspect", async move {
            let p = api::inspect(&engine, &file, &unlock, cb).await?;
            Ok((to_js(&p), String::new()))
        })
    }

    /// Validates and restores a backup; resolves to the report.
    pub fn restore(
        &self,
        file: Blob,
        databases: JsValue,
        passphrase: Option<String>,
        key_text: Option<String>,
        key_passphrase: Option<String>,
        on_progress: JsValue,
    ) -> Promise {
        let engine = self.inner.engine();
        let config = self.inner.config();
        let unlock = unlock(passphrase, key_text, key_passphrase);
        let only = strings(&databases);
        let cb = progress_cb(on_progress);
        self.run("restore", async move {
            let r = api::restore(&engine, &config, &file, &unlock, only, cb).await?;
            Ok((
                obj(&[
                    ("databases", (r.databases as f64).into()),
                    ("stores", (r.stores as f64).into()),
                    ("records", (r.records as f64).into()),
                    ("resealed", (r.resealed as f64).into()),
                ]),
                format!("Restore by the app complete: {} records.", r.records),
            ))
        })
    }

    /// Exports the master key; resolves to the key file Blob (`name`,
    /// `keyId` properties).
    #[wasm_bindgen(js_name = exportKey)]
    pub fn export_key(&self, passphrase: Option<String>) -> Promise {
        let engine = self.inner.engine();
        self.run("export key", async move {
            let k = api::export_key(&engine, passphrase).await?;
            let _ = Reflect::set(&k.blob, &"name".into(), &k.file_name.as_str().into());
            let _ = Reflect::set(&k.blob, &"keyId".into(), &k.key_id.as_str().into());
            Ok((k.blob.into(), String::new()))
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
        self.run("replace key", async move {
            let k = api::replace_key(&engine, source, cb).await?;
            Ok((
                obj(&[
                    ("keyId", k.new_key_id.as_str().into()),
                    (
                        "oldKeyId",
                        k.old_key_id
                            .as_deref()
                            .map(JsValue::from_str)
                            .unwrap_or(JsValue::NULL),
                    ),
                    ("resealed", (k.resealed as f64).into()),
                ]),
                "Master key replaced by the app.".to_owned(),
            ))
        })
    }
}

fn unlock(
    passphrase: Option<String>,
    key_text: Option<String>,
    key_passphrase: Option<String>,
) -> UnlockOptions {
    UnlockOptions {
        passphrase: passphrase.filter(|p| !p.is_empty()),
        key_file: key_text.map(|text| KeyFileInput {
            text,
            passphrase: key_passphrase.filter(|p| !p.is_empty()),
        }),
    }
}

thread_local! {
    static STORE_ENGINE: OnceCell<EngineClient> = const { OnceCell::new() };
}

fn store_engine() -> EngineClient {
    STORE_ENGINE.with(|c| c.get_or_init(EngineClient::new).clone())
}

/// An open encrypted store, for scripts (`openStore(db, store)`).
#[wasm_bindgen]
pub struct CofferStore {
    inner: EncryptedStore,
}

/// Opens (creating and registering if needed) an encrypted store.
#[wasm_bindgen(js_name = openStore)]
pub async fn open_store(db: String, store: String) -> Result<CofferStore, JsValue> {
    EncryptedStore::open(&store_engine(), db, store)
        .await
        .map(|inner| CofferStore { inner })
        .map_err(|e| js_error(&e))
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
        future_to_promise(async move {
            s.put(&key, &value)
                .await
                .map(|_| JsValue::UNDEFINED)
                .map_err(|e| js_error(&e))
        })
    }

    /// The value under `key`, or undefined.
    pub fn get(&self, key: JsValue) -> Promise {
        let s = self.inner.clone();
        future_to_promise(async move {
            s.get(&key)
                .await
                .map(|v| v.unwrap_or(JsValue::UNDEFINED))
                .map_err(|e| js_error(&e))
        })
    }

    /// Deletes the record under `key`.
    pub fn delete(&self, key: JsValue) -> Promise {
        let s = self.inner.clone();
        future_to_promise(async move {
            s.delete(&key)
                .await
                .map(|_| JsValue::UNDEFINED)
                .map_err(|e| js_error(&e))
        })
    }

    /// The keys (an array).
    pub fn list(&self) -> Promise {
        let s = self.inner.clone();
        future_to_promise(
            async move { s.list().await.map(JsValue::from).map_err(|e| js_error(&e)) },
        )
    }
}

/// Installs the panic hook (called once when the module loads).
pub fn init() {
    console_error_panic_hook::set_once();
}
