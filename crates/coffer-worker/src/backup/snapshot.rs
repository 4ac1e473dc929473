//! The schema snapshot of a database and its key generators.
//!
//! [`Snapshot::take`] reads the stores' schemas, probes the key generators
//! of auto-increment stores and opens the **one readonly transaction** the
//! records are read in (a consistent snapshot), created right after the
//! probe. [`record_generators`] probes again once the snapshot is done and
//! records, per store, the largest of both probes and of the largest
//! numeric key read ([`crate::generator::recorded`]): ids that any tab used
//! (even if it deleted them again) while the backup ran are never handed
//! out again after a restore.

use coffer_engine::model::{DatabaseSchema, StoreSchema};
use coffer_protocol::ErrorCode;
use web_sys::{IdbDatabase, IdbObjectStore, IdbTransaction, IdbTransactionMode};

use super::sink::Writer;
use crate::browser::idb;
use crate::error::{AppError, AppResult};
use crate::generator;
use crate::generators::Probe;

/// A database's schema and the open snapshot transaction.
pub struct Snapshot {
    /// The selected stores' schemas, key generators as probed before the
    /// snapshot.
    pub schemas: Vec<StoreSchema>,
    /// The readonly transaction over the selected stores.
    pub tx: IdbTransaction,
    /// Records in the selected stores.
    pub records: u64,
}

impl Snapshot {
    /// Reads the schema of `stores` of `db` (`encrypted` are registered
    /// encrypted stores), probes the key generators and opens the
    /// snapshot.
    pub async fn take(
        db: &IdbDatabase,
        name: &str,
        stores: &[String],
        encrypted: &[String],
    ) -> AppResult<Snapshot> {
        let mut schemas = Vec::new();
        {
            let tx = idb::transaction(db, stores, IdbTransactionMode::Readonly)?;
            for s in stores {
                let st = store(&tx, s)?;
                idb::check_store_names(&st, name)?;
                let mut schema = idb::read_store_schema(&st)?;
                schema.encrypted = encrypted.contains(s);
                schemas.push(schema);
            }
        }
        if let Some(s) = schemas.iter().find(|s| s.encrypted && s.key_path.is_some()) {
            return Err(AppError::new(
                ErrorCode::InvalidEncryptedStore,
                format!(
                    "encrypted store {name}/{} has inline keys; encrypted stores need out-of-line keys",
                    s.name
                ),
            )
            .about(format!("{name}/{}", s.name)));
        }
        // Key generator probe (aborted), then the snapshot, created back
        // to back.
        let probe = Probe::start(db, &schemas)?;
        let tx = idb::transaction(db, stores, IdbTransactionMode::Readonly)?;
        let mut counts = Vec::new();
        for s in stores {
            let r = store(&tx, s)?
                .count()
                .map_err(|e| AppError::js("cannot count records", e))?;
            counts.push(idb::track(&r));
        }
        for (store, g) in probe.finish().await {
            if let Some(s) = schemas.iter_mut().find(|s| s.name == store) {
                s.key_generator = g;
            }
        }
        let mut records = 0;
        for c in counts {
            let n = c
                .await
                .map_err(|e| AppError::js("cannot count records", e))?;
            records += n.as_f64().unwrap_or(0.0) as u64;
        }
        Ok(Snapshot {
            schemas,
            tx,
            records,
        })
    }

    /// The database's schema for the writer.
    pub fn schema(&self, name: &str, version: u64) -> DatabaseSchema {
        DatabaseSchema {
            name: name.to_owned(),
            version,
            stores: self.schemas.clone(),
        }
    }

    /// Store `name` in the snapshot.
    pub fn store(&self, name: &str) -> AppResult<IdbObjectStore> {
        store(&self.tx, name)
    }
}

fn store(tx: &IdbTransaction, name: &str) -> AppResult<IdbObjectStore> {
    tx.object_store(name)
        .map_err(|e| AppError::js("cannot open a store", e))
}

/// Records the key generators of database `dbi`'s auto-increment stores,
/// probing them again now that the snapshot is done (the probe's readwrite
/// transaction waits for it). `max_keys` are the largest numeric keys read,
/// by store.
pub async fn record_generators(
    w: &mut Writer,
    dbi: usize,
    db: &IdbDatabase,
    schemas: &[StoreSchema],
    max_keys: &[Option<f64>],
) -> AppResult<()> {
    let after = Probe::start(db, schemas)?.finish().await;
    for (si, schema) in schemas.iter().enumerate() {
        if !schema.auto_increment {
            continue;
        }
        let post = after
            .iter()
            .find(|(n, _)| *n == schema.name)
            .and_then(|(_, g)| *g);
        let max = max_keys.get(si).copied().flatten();
        if let Some(g) = generator::recorded(schema.key_generator, max, post) {
            w.set_key_generator(dbi, si, g)?;
        }
    }
    Ok(())
}
