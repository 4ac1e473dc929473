//! The encrypted-store API for host apps, from Rust: the same operations
//! as the page's `window.coffer`. Values are sealed in the worker with the
//! origin's master key, bound to database, store and key; backups carry
//! them sealed.

use coffer_app::client::api::{self, ApiResult};
use coffer_app::client::EngineClient;
use wasm_bindgen::JsValue;

/// An open encrypted store. Cheap to clone.
#[derive(Clone)]
pub struct EncryptedStore {
    engine: EngineClient,
    db: String,
    store: String,
}

impl EncryptedStore {
    /// Opens `db`/`store`, creating the database and store if missing and
    /// registering the store as encrypted.
    pub async fn open(
        engine: &EngineClient,
        db: impl Into<String>,
        store: impl Into<String>,
    ) -> ApiResult<Self> {
        let s = EncryptedStore {
            engine: engine.clone(),
            db: db.into(),
            store: store.into(),
        };
        api::store_create(&s.engine, &s.db, &s.store).await?;
        Ok(s)
    }

    /// The database name.
    pub fn database(&self) -> &str {
        &self.db
    }

    /// The store name.
    pub fn store(&self) -> &str {
        &self.store
    }

    /// Seals `value` (any structured-clone value) and stores it under
    /// `key` (any IndexedDB key).
    pub async fn put(&self, key: &JsValue, value: &JsValue) -> ApiResult<()> {
        api::store_put(&self.engine, &self.db, &self.store, key, value).await
    }

    /// The opened value under `key`, or `None`.
    pub async fn get(&self, key: &JsValue) -> ApiResult<Option<JsValue>> {
        api::store_get(&self.engine, &self.db, &self.store, key).await
    }

    /// Deletes the record under `key`.
    pub async fn delete(&self, key: &JsValue) -> ApiResult<()> {
        api::store_delete(&self.engine, &self.db, &self.store, key).await
    }

    /// The keys of the store (a JS array).
    pub async fn list(&self) -> ApiResult<js_sys::Array> {
        api::store_list(&self.engine, &self.db, &self.store).await
    }
}
