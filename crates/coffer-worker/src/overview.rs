//! The overview: the origin's databases (those the request's scope
//! allows, never Coffer's own) with their stores, record counts, sizes and
//! the encrypted mark, and the current key id.

use coffer_protocol::{DbInfo, OverviewData, Scope, StoreInfo, META_DB};
use js_sys::Array;
use web_sys::{IdbDatabase, IdbTransactionMode};

use crate::browser::convert::approx_size;
use crate::browser::idb;
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::restore::staging::STAGING_PREFIX;

/// The origin's databases with counts and approximate sizes. A database
/// deleted while this runs is left out (and never created again).
pub async fn overview(scope: &Scope) -> AppResult<OverviewData> {
    let reg = crate::registry::registry().await?;
    let mut databases = Vec::new();
    for (name, version) in idb::database_names().await? {
        if name == META_DB || name.starts_with(STAGING_PREFIX) || !scope.allows(&name) {
            continue;
        }
        let Some(db) = idb::open_existing(&name).await? else {
            continue;
        };
        let census = database_census(&db, &name, version, &reg).await;
        db.close();
        match census {
            Ok(info) => databases.push(info),
            // Its connection was closed for a deletion midway.
            Err(_) if !idb::database_names().await?.iter().any(|(n, _)| *n == name) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(OverviewData {
        databases,
        parts: crate::parts::overview(scope).await?,
        // The master key exists from first use: every backup carries a
        // MAC, and the overview (and an element's `keyId`) names it.
        key_id: Some(keys::current_key().await?.key.id().to_hex()),
    })
}

/// Counts (and, for small stores, sizes) the records of each store of `db`.
async fn database_census(
    db: &IdbDatabase,
    name: &str,
    version: u64,
    reg: &[(String, String)],
) -> AppResult<DbInfo> {
    // A store whose name holds a lone surrogate cannot be named from wasm
    // (its name arrives altered), so it is listed without counts; a backup
    // that selects it says why it cannot hold it.
    let inexact = idb::inexact_store_names(db);
    let (stores, unnamed): (Vec<String>, Vec<String>) = idb::store_names(db)
        .into_iter()
        .partition(|s| !inexact.contains(s));
    let mut info = DbInfo {
        name: name.to_string(),
        version,
        stores: Vec::new(),
        exists: true,
    };
    for s in unnamed {
        info.stores.push(StoreInfo {
            name: s,
            records: 0,
            bytes: 0,
            encrypted: false,
            exists: true,
        });
    }
    if stores.is_empty() {
        return Ok(info);
    }
    let tx = idb::transaction(db, &stores, IdbTransactionMode::Readonly)?;
    for s in &stores {
        let st = tx
            .object_store(s)
            .map_err(|e| AppError::js("cannot open a store", e))?;
        let count = idb::req("cannot count records", st.count())
            .await?
            .as_f64()
            .unwrap_or(0.0) as u64;
        let bytes = if count <= 20_000 {
            let all = idb::req("cannot read records", st.get_all()).await?;
            Array::from(&all).iter().map(|v| approx_size(&v, 0)).sum()
        } else {
            0
        };
        info.stores.push(StoreInfo {
            name: s.clone(),
            records: count,
            bytes,
            encrypted: reg.iter().any(|(d, x)| d == name && x == s),
            exists: true,
        });
    }
    Ok(info)
}
