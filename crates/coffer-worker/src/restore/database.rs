//! The ways one database is restored, all or nothing, always ending at the
//! backup's version (an app that opens its database at the version it
//! knows, as PouchDB does, keeps working):
//!
//! - the database is missing or older than the backup: **by an upgrade**
//!   to the backup's version ([`restore_by_upgrade`]);
//! - it is at the backup's version and every selected store has the
//!   backup's shape: **in place** ([`restore_in_place`]), also when a key
//!   generator has moved past the backup's;
//! - otherwise (newer than the backup, or another shape at the same
//!   version), a version change to the backup's version is impossible in
//!   place: **through a staging database** ([`super::staging`]).

use coffer_engine::model::StoreSchema;
use coffer_protocol::WaitReason;
use web_sys::IdbTransactionMode;

use super::staging;
use super::target::{same_shape, Target};
use crate::browser::idb::{self, Opened};
use crate::error::{AppError, AppResult};
use crate::{generators, Reporter};
use coffer_protocol::ErrorCode;

/// Restores the selected stores of `t`'s database, all or nothing, to the
/// backup's version. `existing_version` is the database's version now
/// (`None`: it does not exist).
pub async fn restore_database(t: &mut Target<'_>, existing_version: Option<u64>) -> AppResult<()> {
    let version = t.reader.manifest().databases()[t.di].version;
    match existing_version {
        None => restore_by_upgrade(t, Vec::new()).await,
        Some(v) if v < version => {
            let live = live_generators(&t.reader.manifest().databases()[t.di].name).await?;
            restore_by_upgrade(t, live).await
        }
        Some(v) if v == version && restore_in_place(t).await? => Ok(()),
        Some(v) => staging::restore_by_staging(t, v).await,
    }
}

/// Restores in **one readwrite transaction with relaxed durability**, the
/// database's version and other tabs' connections untouched: each selected
/// store is cleared and refilled. Only when every selected store exists
/// with the backup's shape (key path, key generator flag, indexes).
/// Returns `false`, having written nothing, when that does not hold. A key
/// generator already past the backup's stays there (it never goes down),
/// so ids are still never reused. On any error the transaction is aborted.
async fn restore_in_place(t: &mut Target<'_>) -> AppResult<bool> {
    let dm = t.reader.manifest().databases()[t.di].clone();
    let Some(db) = idb::open_existing(&dm.name).await? else {
        return Ok(false);
    };
    let result = async {
        let present = idb::store_names(&db);
        let wanted: Vec<StoreSchema> = t
            .stores
            .iter()
            .map(|&si| dm.stores[si].schema.clone())
            .collect();
        if wanted.iter().any(|s| !present.contains(&s.name)) {
            return Ok(false);
        }
        let names: Vec<String> = wanted.iter().map(|s| s.name.clone()).collect();
        let tx = idb::transaction(&db, &names, IdbTransactionMode::Readonly)?;
        for s in &wanted {
            let st = tx
                .object_store(&s.name)
                .map_err(|e| AppError::js("cannot open a store", e))?;
            if !same_shape(&idb::read_store_schema(&st)?, s) {
                return Ok(false);
            }
        }
        let tx = idb::transaction(&db, &names, IdbTransactionMode::Readwrite)?;
        let work = async {
            for &si in t.stores {
                let name = &dm.stores[si].schema.name;
                let st = tx
                    .object_store(name)
                    .map_err(|e| AppError::js("cannot open a store", e))?;
                st.clear()
                    .map_err(|e| AppError::js(&format!("cannot clear store {name:?}"), e))?;
                t.fill(&st, si).await?;
            }
            Ok::<(), AppError>(())
        };
        match work.await {
            Ok(()) => idb::done(&tx).await.map(|()| true),
            Err(e) => {
                let _ = tx.abort();
                Err(e)
            }
        }
    }
    .await;
    db.close();
    result
}

/// The key generators of database `name`'s stores (store name, number).
async fn live_generators(name: &str) -> AppResult<Vec<(String, Option<u64>)>> {
    let Some(db) = idb::open_existing(name).await? else {
        return Ok(Vec::new());
    };
    let schemas = staging::schemas_of(&db).await;
    db.close();
    Ok(schemas?
        .into_iter()
        .map(|s| (s.name, s.key_generator))
        .collect())
}

/// Restores in **one versionchange transaction** to the backup's version,
/// when the database does not exist or is older: the selected stores are
/// deleted and recreated with the backup's schema, then filled; a key
/// generator that the replaced store (`live`: store name, number) had
/// moved past the backup's stays there. On any error the transaction is
/// aborted.
async fn restore_by_upgrade(t: &mut Target<'_>, live: Vec<(String, Option<u64>)>) -> AppResult<()> {
    let dm = t.reader.manifest().databases()[t.di].clone();
    let rep = t.rep;
    let target = dm.version.max(1);
    let name = dm.name.clone();
    let id = rep.id();
    let waiting = WaitReason::DatabaseInUse {
        database: name.clone(),
    };
    let opened = idb::open_versioned(&name, target as f64, move || {
        Reporter::new(id).waiting(waiting.clone());
    })
    .await?;
    let Opened::Upgrade {
        db, tx, request, ..
    } = opened
    else {
        return Err(AppError::new(
            ErrorCode::BrowserVersion,
            format!("database {name:?} could not be upgraded"),
        ));
    };
    let work = async {
        let present = idb::store_names(&db);
        for &si in t.stores {
            let schema = &dm.stores[si].schema;
            if present.contains(&schema.name) {
                db.delete_object_store(&schema.name)
                    .map_err(|e| AppError::js("cannot replace a store", e))?;
            }
            let st = idb::create_store(&db, schema)?;
            t.fill(&st, si).await?;
            generators::keep_live(&st, schema, generators::of(&live, &schema.name)).await?;
        }
        Ok::<(), AppError>(())
    };
    match work.await {
        Ok(()) => {
            idb::finish_upgrade(&request, &tx).await?;
            db.close();
            Ok(())
        }
        Err(e) => {
            let _ = tx.abort();
            let _ = idb::finish_open(&request).await;
            db.close();
            Err(e)
        }
    }
}
