//! wasm-bindgen tests (a dedicated worker of headless Chromium) of the
//! history (audit log) and automatic backups: entries are recorded, settled
//! and bounded, never part of a backup; automatic runs write into a
//! folder of the origin private file system, apply the retention to files
//! Coffer wrote only, and fail with `folder-unavailable` when the folder is
//! gone.
#![cfg(target_arch = "wasm32")]

mod common;

use coffer_protocol::history::{HistoryEntry, HistoryKind, HistoryOutcome, HISTORY_LIMIT};
use coffer_protocol::{AutoRun, AutoSettings, ErrorCode};
use coffer_worker::history::{self, Pending};
use coffer_worker::{auto, Reporter};
use common::*;
use js_sys::{Array, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

async fn eval(src: &str) -> JsValue {
    let p: Promise = js(&format!("(async () => {{ {src} }})()")).unchecked_into();
    JsFuture::from(p).await.expect("script runs")
}

async fn clear_history() {
    eval("await new Promise((ok) => { const r = indexedDB.open('coffer-meta'); r.onsuccess = () => { const db = r.result; if (db.objectStoreNames.contains('history')) { const tx = db.transaction('history', 'readwrite'); tx.objectStore('history').clear(); tx.oncomplete = () => { db.close(); ok(); }; } else { db.close(); ok(); } }; });").await;
}

#[wasm_bindgen_test]
async fn entries_are_recorded_settled_and_bounded() {
    // Make sure Coffer's database exists at the current version.
    let _ = history::list(None).await.unwrap();
    clear_history().await;
    let ok: coffer_worker::error::AppResult<u64> = Ok(5);
    Pending::new(HistoryKind::Backup)
        .with(|e| e.databases = vec!["a".into()])
        .started()
        .await
        .finish(&ok, |e, n| e.records = *n)
        .await;
    let failed: coffer_worker::error::AppResult<u64> = Err(coffer_worker::error::AppError::new(
        ErrorCode::WrongPassphrase,
        "x",
    ));
    Pending::new(HistoryKind::Restore)
        .finish(&failed, |_, _| {})
        .await;
    // A worker stopped midway leaves a running entry; settling cancels it.
    let _running = Pending::new(HistoryKind::KeyReplace).started().await;
    let all = history::list(None).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [
            HistoryKind::KeyReplace,
            HistoryKind::Restore,
            HistoryKind::Backup
        ]
    );
    assert_eq!(all[2].records, 5);
    assert_eq!(all[2].outcome, HistoryOutcome::Done);
    assert_eq!(
        all[1].outcome,
        HistoryOutcome::Failed {
            code: ErrorCode::WrongPassphrase
        }
    );
    assert_eq!(all[0].outcome, HistoryOutcome::Running);
    history::settle().await.unwrap();
    let all = history::list(Some(HistoryKind::KeyReplace)).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].outcome, HistoryOutcome::Cancelled);

    // Bounded: the oldest entries go.
    for i in 0..(HISTORY_LIMIT + 5) {
        let mut e = HistoryEntry::start(HistoryKind::KeyExport, f64::from(i));
        e.outcome = HistoryOutcome::Done;
        history::add(&e).await.unwrap();
    }
    let all = history::list(None).await.unwrap();
    assert_eq!(all.len(), HISTORY_LIMIT as usize);
    assert_eq!(all[0].time_ms, f64::from(HISTORY_LIMIT + 4));
    assert_eq!(all.last().unwrap().time_ms, 5.0);
    clear_history().await;
}

async fn opfs_dir(name: &str) -> JsValue {
    eval(&format!(
        "const root = await navigator.storage.getDirectory();
         try {{ await root.removeEntry('{name}', {{ recursive: true }}); }} catch (e) {{}}
         const d = await root.getDirectoryHandle('{name}', {{ create: true }});
         const w = await (await d.getFileHandle('coffer-auto-2000-01-01-000000.zip', {{ create: true }})).createWritable();
         await w.write('not ours'); await w.close();
         return d;"
    ))
    .await
}

async fn names(name: &str) -> Vec<String> {
    let a: Array = eval(&format!(
        "const d = await (await navigator.storage.getDirectory()).getDirectoryHandle('{name}');
         const out = []; for await (const [n] of d.entries()) out.push(n); return out.sort();"
    ))
    .await
    .unchecked_into();
    a.iter().filter_map(|v| v.as_string()).collect()
}

#[wasm_bindgen_test]
async fn automatic_runs_write_files_and_keep_the_newest() {
    let db = fresh_db("t-auto", "db.createObjectStore('s');").await;
    put_all(&db, "s", &[(JsValue::from(1), JsValue::from_str("one"))]).await;
    db.close();
    let dir = opfs_dir("t-auto").await;
    let settings = AutoSettings {
        enabled: true,
        interval_hours: 1.0,
        lock: false,
        keep_last: 2,
        keep_daily: 0,
        keep_weekly: 0,
        destination: None,
    };
    auto::set(settings.clone(), Some(dir)).await.unwrap();
    let rep = Reporter::silent();
    let t0 = 1.9e12;
    let mut written = Vec::new();
    for i in 0..4 {
        let ran = auto::run(
            &AutoRun {
                now_ms: t0 + f64::from(i) * 2.0 * 3_600_000.0,
                force: false,
            },
            &wasm_bindgen::JsValue::UNDEFINED,
            &rep,
        )
        .await
        .unwrap();
        assert!(ran.ran, "run {i} is due");
        written.push(ran.file_name.unwrap());
    }
    let files = names("t-auto").await;
    assert!(
        files.contains(&"coffer-auto-2000-01-01-000000.zip".to_owned()),
        "{files:?}"
    );
    assert!(
        files.contains(&written[3]) && files.contains(&written[2]),
        "{files:?}"
    );
    assert!(
        !files.contains(&written[0]) && !files.contains(&written[1]),
        "{files:?}"
    );
    let state = auto::state().await.unwrap();
    assert_eq!(state.folder.as_deref(), Some("t-auto"));
    assert!(state.last_failure.is_none());

    // The folder disappears: the run fails with folder-unavailable and
    // says so in the state.
    eval("await (await navigator.storage.getDirectory()).removeEntry('t-auto', { recursive: true });").await;
    let err = auto::run(
        &AutoRun {
            now_ms: t0,
            force: true,
        },
        &wasm_bindgen::JsValue::UNDEFINED,
        &rep,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::FolderUnavailable);
    let state = auto::state().await.unwrap();
    assert_eq!(state.last_failure, Some(ErrorCode::FolderUnavailable));
    auto::set(AutoSettings::default(), None).await.unwrap();
    let _ = coffer_worker::browser::idb::delete_database("t-auto").await;
}
