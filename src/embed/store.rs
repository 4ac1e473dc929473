//! The encrypted-store API for host apps, from Rust: the same worker
//! requests as the page's `window.coffer` (`store-create`, `store-put`,
//! `store-get`, `store-delete`, `store-list`). Values are sealed in the
//! worker with the origin's master key, bound to database, store and key;
//! backups carry them sealed.

use wasm_bindgen::JsValue;

use crate::client::{Attachments, EngineClient};
use crate::error::{AppError, AppResult};
use crate::protocol::{Outcome, Request};

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
    ) -> AppResult<Self> {
        let s = EncryptedStore {
            engine: engine.clone(),
            db: db.into(),
            store: store.into(),
        };
        s.engine
            .call(
                Request::StoreCreate {
                    db: s.db.clone(),
                    store: s.store.clone(),
                },
                Attachments::default(),
                |_| {},
            )
            .await?;
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

    async fn call(
        &self,
        req: Request,
        key: Option<JsValue>,
        value: Option<JsValue>,
    ) -> AppResult<(Outcome, JsValue)> {
        let (o, att) = self
            .engine
            .call(
                req,
                Attachments {
                    key,
                    value,
                    ..Attachments::default()
                },
                |_| {},
            )
            .await?;
        Ok((o, att.value))
    }

    /// Seals `value` (any structured-clone value) and stores it under
    /// `key` (any IndexedDB key).
    pub async fn put(&self, key: &JsValue, value: &JsValue) -> AppResult<()> {
        self.call(
            Request::StorePut {
                db: self.db.clone(),
                store: self.store.clone(),
            },
            Some(key.clone()),
            Some(value.clone()),
        )
        .await
        .map(|_| ())
    }

    /// The opened value under `key`, or `None`.
    pub async fn get(&self, key: &JsValue) -> AppResult<Option<JsValue>> {
        match self
            .call(
                Request::StoreGet {
                    db: self.db.clone(),
                    store: self.store.clone(),
                },
                Some(key.clone()),
                None,
            )
            .await?
        {
            (Outcome::Value { found }, v) => Ok(found.then_some(v)),
            _ => Err(AppError::new("protocol", "unexpected answer")),
        }
    }

    /// Deletes the record under `key`.
    pub async fn delete(&self, key: &JsValue) -> AppResult<()> {
        self.call(
            Request::StoreDelete {
                db: self.db.clone(),
                store: self.store.clone(),
            },
            Some(key.clone()),
            None,
        )
        .await
        .map(|_| ())
    }

    /// The keys of the store (a JS array).
    pub async fn list(&self) -> AppResult<js_sys::Array> {
        match self
            .call(
                Request::StoreList {
                    db: self.db.clone(),
                    store: self.store.clone(),
                },
                None,
                None,
            )
            .await?
        {
            (Outcome::Keys { .. }, v) => Ok(js_sys::Array::from(&v)),
            _ => Err(AppError::new("protocol", "unexpected answer")),
        }
    }
}
