//! wasm-bindgen tests (a dedicated worker of headless Chromium) of
//! schemas and key generators: index names, unique, multiEntry, compound key paths and generators survive a backup and restore, also ids another tab uses while the backup runs.
#![cfg(target_arch = "wasm32")]

mod common;

use coffer_engine::model::KeyPath;
use coffer_worker::browser::idb::{self};
use coffer_worker::{backup, Reporter};
use common::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use web_sys::IdbTransactionMode;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
async fn schema_and_key_generator_survive_backup_and_restore() {
    let db = fresh_db(
        "t-schema",
        "const a = db.createObjectStore('auto', { keyPath: 'meta.id', autoIncrement: true });
         a.createIndex('by-tag', 'tags', { multiEntry: true });
         a.createIndex('by-name', 'name', { unique: true });
         a.createIndex('by-pair', ['name', 'n']);
         db.createObjectStore('out', { autoIncrement: true });
         db.createObjectStore('compound', { keyPath: ['a', 'b'] });",
    )
    .await;
    let tx = idb::transaction(
        &db,
        &["auto".into(), "out".into(), "compound".into()],
        IdbTransactionMode::Readwrite,
    )
    .unwrap();
    for i in 0..5 {
        tx.object_store("auto")
            .unwrap()
            .add(&js(&format!(
                "{{ name: 'n{i}', n: {i}, tags: ['x', 'y'] }}"
            )))
            .unwrap();
        tx.object_store("out").unwrap().add(&js("'v'")).unwrap();
    }
    tx.object_store("auto")
        .unwrap()
        .delete(&JsValue::from_f64(5.0))
        .unwrap();
    tx.object_store("out")
        .unwrap()
        .put_with_key(&js("'explicit'"), &JsValue::from_f64(40.0))
        .unwrap();
    tx.object_store("compound")
        .unwrap()
        .put(&js("{ a: 1, b: 'x' }"))
        .unwrap();
    idb::done(&tx).await.unwrap();
    db.close();
    let before = schemas("t-schema").await;
    // The probe of the backup must not move the generators.
    let blob = backup_of("t-schema", &["auto", "out", "compound"]).await;
    assert_eq!(next_key("t-schema", "auto", "{}").await, 6.0);
    assert_eq!(next_key("t-schema", "out", "1").await, 41.0);
    idb::delete_database("t-schema").await.unwrap();
    restore_from(blob.clone(), "t-schema", &["auto", "out", "compound"]).await;
    assert_eq!(version_of("t-schema").await, Some(1));
    assert_eq!(schemas("t-schema").await, before);
    assert_eq!(
        before
            .iter()
            .find(|s| s.name == "auto")
            .unwrap()
            .indexes
            .len(),
        3
    );
    assert!(matches!(&before[1].key_path, Some(KeyPath::Compound(p)) if p.len() == 2));
    assert_eq!(
        next_key("t-schema", "auto", "{}").await,
        6.0,
        "deleted ids are not handed out again"
    );
    assert_eq!(next_key("t-schema", "out", "1").await, 41.0);
    let db = idb::open("t-schema").await.unwrap();
    let (keys, _) = get_all(&db, "auto").await;
    assert_eq!(keys.length(), 4);
    db.close();
    // Again onto the same schema: in place (same version), same generators.
    restore_from(blob.clone(), "t-schema", &["auto", "out", "compound"]).await;
    assert_eq!(version_of("t-schema").await, Some(1), "restored in place");
    assert_eq!(schemas("t-schema").await, before);
    assert_eq!(next_key("t-schema", "auto", "{}").await, 6.0);
    assert_eq!(next_key("t-schema", "out", "1").await, 41.0);
    // The app has used ids past the backup's generator: a generator never
    // goes down, and that is no reason for a version change (issue 14): the
    // restore is in place, the version stays, and the used ids are never
    // handed out again.
    let db = idb::open("t-schema").await.unwrap();
    put_values(
        &db,
        "auto",
        (10..12).map(|i| format!("{{ name: 'n{i}', n: {i}, tags: [] }}")),
    )
    .await;
    db.close();
    assert_eq!(next_key("t-schema", "auto", "{}").await, 8.0);
    restore_from(blob, "t-schema", &["auto", "out", "compound"]).await;
    assert_eq!(version_of("t-schema").await, Some(1), "restored in place");
    assert_eq!(schemas("t-schema").await, before);
    assert_eq!(
        next_key("t-schema", "auto", "{}").await,
        8.0,
        "ids 6 and 7, used after the backup, are not handed out again"
    );
    assert_eq!(next_key("t-schema", "out", "1").await, 41.0);
    let db = idb::open("t-schema").await.unwrap();
    let (keys, _) = get_all(&db, "auto").await;
    assert_eq!(keys.length(), 4);
    db.close();
}

#[wasm_bindgen_test]
async fn ids_another_tab_uses_while_the_backup_runs_are_not_reused() {
    use coffer_protocol::Phase;
    use std::cell::RefCell;
    use std::rc::Rc;
    let db = fresh_db(
        "t-race",
        "db.createObjectStore('out', { autoIncrement: true });",
    )
    .await;
    let tx = idb::transaction(&db, &["out".into()], IdbTransactionMode::Readwrite).unwrap();
    for _ in 0..10 {
        tx.object_store("out").unwrap().add(&js("'v'")).unwrap();
    }
    idb::done(&tx).await.unwrap();
    // While the snapshot is being read (after the first probe), "another
    // tab" uses id 100 and deletes it again: the generator moves to 100,
    // but no record of it is in the snapshot.
    // (The probe after the snapshot waits for this transaction, so it has
    // committed when the backup returns; its delete request is tracked at
    // once, as a listener added after the fact would never fire.)
    let late: Rc<RefCell<Option<wasm_bindgen_futures::JsFuture>>> = Rc::new(RefCell::new(None));
    let (db2, late2) = (db.clone(), late.clone());
    let rep = Reporter::observed(move |phase, _| {
        if phase == Phase::Reading && late2.borrow().is_none() {
            let tx =
                idb::transaction(&db2, &["out".into()], IdbTransactionMode::Readwrite).unwrap();
            let st = tx.object_store("out").unwrap();
            st.put_with_key(&js("'late'"), &JsValue::from_f64(100.0))
                .unwrap();
            let d = st.delete(&JsValue::from_f64(100.0)).unwrap();
            *late2.borrow_mut() = Some(idb::track(&d));
        }
    });
    let (_, blob) = backup::backup(
        &backup_req(select("t-race", &["out"])),
        &JsValue::UNDEFINED,
        &rep,
    )
    .await
    .unwrap();
    let deleted = late.borrow_mut().take().expect("the late write ran");
    deleted.await.unwrap();
    db.close();
    assert_eq!(next_key("t-race", "out", "1").await, 101.0);
    idb::delete_database("t-race").await.unwrap();
    restore_from(blob, "t-race", &["out"]).await;
    let db = idb::open("t-race").await.unwrap();
    let (keys, _) = get_all(&db, "out").await;
    assert_eq!(keys.length(), 10, "the snapshot has the ten records only");
    db.close();
    assert_eq!(
        next_key("t-race", "out", "1").await,
        101.0,
        "an id used after the snapshot is not handed out again"
    );
}
