//! wasm-bindgen tests (a dedicated worker of headless Chromium) of the
//! parts beyond IndexedDB: the origin private file system and Cache
//! Storage backed up and restored byte for byte, a restore that fails
//! midway or meets a file held open leaving the old tree whole, an
//! interrupted swap settled at the next start, and localStorage items
//! handed back to the page exactly.
#![cfg(target_arch = "wasm32")]

mod common;

use coffer_protocol::{ErrorCode, SelectedParts, Selection};
use coffer_worker::parts::opfs::{self as part_opfs, Step};
use coffer_worker::{backup, restore, Reporter};
use common::*;
use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

async fn run(src: &str) -> JsValue {
    let p: Promise = js(&format!("(async () => {{ {src} }})()"))
        .dyn_into()
        .unwrap();
    JsFuture::from(p).await.expect("the script runs")
}

/// Replaces the whole OPFS tree by `files` (path → text; a path ending in
/// `/` is an empty directory).
async fn set_tree(files: &[(&str, &str)]) {
    // Paths and texts here hold no quote or backslash.
    let list = files
        .iter()
        .map(|(p, t)| format!("[\"{p}\", \"{t}\"]"))
        .collect::<Vec<_>>()
        .join(", ");
    let list = format!("[{list}]");
    run(&format!(
        "const root = await navigator.storage.getDirectory();
         for await (const n of root.keys()) await root.removeEntry(n, {{ recursive: true }});
         for (const [path, text] of {list}) {{
           const parts = path.split('/');
           const name = parts.pop();
           let d = root;
           for (const p of parts) d = await d.getDirectoryHandle(p, {{ create: true }});
           if (name === '') continue;
           const f = await d.getFileHandle(name, {{ create: true }});
           const w = await f.createWritable();
           await w.write(text);
           await w.close();
         }}"
    ))
    .await;
}

/// The OPFS tree as sorted `path` or `path=content` lines (directories end
/// with `/`).
async fn tree() -> Vec<String> {
    let v = run(
        "const out = [];
         async function walk(d, prefix) {
           for await (const [n, h] of d.entries()) {
             if (h.kind === 'directory') { out.push(prefix + n + '/'); await walk(h, prefix + n + '/'); }
             else out.push(prefix + n + '=' + await (await h.getFile()).text());
           }
         }
         await walk(await navigator.storage.getDirectory(), '');
         return out.sort();",
    )
    .await;
    Array::from(&v)
        .iter()
        .map(|s| s.as_string().unwrap())
        .collect()
}

fn parts(local_storage: bool, opfs: bool, caches: &[&str]) -> Selection {
    Selection {
        databases: vec![],
        parts: SelectedParts {
            local_storage,
            opfs,
            caches: caches.iter().map(|c| c.to_string()).collect(),
        },
    }
}

async fn backup_parts(sel: Selection, local: &JsValue) -> web_sys::Blob {
    backup::backup(&backup_req(sel), local, &Reporter::silent())
        .await
        .unwrap()
        .1
}

const OLD: &[(&str, &str)] = &[("live.txt", "the app's data now"), ("x/y.txt", "y")];

#[wasm_bindgen_test]
async fn the_file_system_round_trips_and_replaces_the_live_tree() {
    part_opfs::settle().await.unwrap();
    let big = "0123456789abcdef".repeat(256 * 1024); // 4 MiB: several chunks
    let files: Vec<(&str, &str)> = vec![
        ("a.txt", "alpha"),
        ("db/", ""),
        ("db/main.sqlite3", big.as_str()),
        ("empty/", ""),
        ("nested/deeper/ü ñ.bin", "unicode names"),
        ("zero", ""),
    ];
    set_tree(&files).await;
    let want = tree().await;
    assert!(want.contains(&"empty/".to_owned()), "{want:?}");
    let blob = backup_parts(parts(false, true, &[]), &JsValue::UNDEFINED).await;
    set_tree(OLD).await;
    let (done, local) = restore::restore(
        blob,
        &restore_req(parts(false, true, &[])),
        &Reporter::silent(),
    )
    .await
    .unwrap();
    assert!(local.is_none());
    assert_eq!(done.parts.opfs_files, Some(4));
    // Byte for byte, the empty directory and file included; the live
    // files the backup does not hold are gone, and no staging is left.
    assert_eq!(tree().await, want);
}

#[wasm_bindgen_test]
async fn a_file_held_open_is_reported_and_nothing_changes() {
    part_opfs::settle().await.unwrap();
    set_tree(&[("held.db", "v1")]).await;
    let blob = backup_parts(parts(false, true, &[]), &JsValue::UNDEFINED).await;
    set_tree(OLD).await;
    // Another context (here: this worker, as SQLite's pool would) holds a
    // sync access handle on a live file.
    let handle = run("const root = await navigator.storage.getDirectory();
         const f = await root.getFileHandle('live.txt');
         return await f.createSyncAccessHandle();")
    .await;
    let err = backup::backup(
        &backup_req(parts(false, true, &[])),
        &JsValue::UNDEFINED,
        &Reporter::silent(),
    )
    .await
    .expect_err("a torn copy is never made");
    assert_eq!(err.code(), ErrorCode::FilesInUse, "{err:?}");
    assert!(format!("{err:?}").contains("live.txt"), "{err:?}");
    let err = restore::restore(
        blob.clone(),
        &restore_req(parts(false, true, &[])),
        &Reporter::silent(),
    )
    .await
    .expect_err("a file in use cannot be replaced");
    assert_eq!(err.code(), ErrorCode::FilesInUse, "{err:?}");
    // Released: the restore goes through.
    let close: js_sys::Function = Reflect::get(&handle, &"close".into())
        .unwrap()
        .dyn_into()
        .unwrap();
    close.call0(&handle).unwrap();
    assert_eq!(
        tree().await,
        ["live.txt=the app's data now", "x/", "x/y.txt=y"]
    );
    restore::restore(
        blob,
        &restore_req(parts(false, true, &[])),
        &Reporter::silent(),
    )
    .await
    .unwrap();
    assert_eq!(tree().await, ["held.db=v1"]);
}

#[wasm_bindgen_test]
async fn a_failure_midway_leaves_the_old_tree_whole() {
    part_opfs::settle().await.unwrap();
    set_tree(&[("a", "1"), ("b", "2"), ("c", "3")]).await;
    let blob = backup_parts(parts(false, true, &[]), &JsValue::UNDEFINED).await;
    set_tree(OLD).await;
    part_opfs::fail_after_files(Some(2));
    let r = restore::restore(
        blob,
        &restore_req(parts(false, true, &[])),
        &Reporter::silent(),
    )
    .await;
    part_opfs::fail_after_files(None);
    let err = r.expect_err("fails after two files");
    assert_eq!(err.code(), ErrorCode::BrowserQuota, "{err:?}");
    assert_eq!(
        tree().await,
        ["live.txt=the app's data now", "x/", "x/y.txt=y"]
    );
    assert!(
        !part_opfs::settle().await.unwrap(),
        "nothing left to settle"
    );
}

#[wasm_bindgen_test]
async fn an_interrupted_swap_ends_with_the_old_tree_or_the_new_one() {
    let new = ["n.txt=new"];
    let old = ["live.txt=the app's data now", "x/", "x/y.txt=y"];
    for (stop, want) in [(Step::Staged, &old[..]), (Step::MovedOut, &new[..])] {
        part_opfs::settle().await.unwrap();
        set_tree(&[("n.txt", "new")]).await;
        let blob = backup_parts(parts(false, true, &[]), &JsValue::UNDEFINED).await;
        set_tree(OLD).await;
        part_opfs::stop_after(Some(stop));
        let r = restore::restore(
            blob,
            &restore_req(parts(false, true, &[])),
            &Reporter::silent(),
        )
        .await;
        part_opfs::stop_after(None);
        assert!(r.is_err(), "{stop:?} stops the restore");
        // The next start settles it.
        assert!(part_opfs::settle().await.unwrap(), "{stop:?}");
        assert_eq!(tree().await, want, "{stop:?}");
        assert!(!part_opfs::settle().await.unwrap(), "settled once");
    }
}

#[wasm_bindgen_test]
async fn caches_round_trip_so_match_gives_the_same_responses() {
    run("for (const k of await caches.keys()) await caches.delete(k);
         const c = await caches.open('app-v1');
         await c.put(new Request('https://example.com/app.js', { headers: { 'x-variant': 'a' } }),
           new Response(new Uint8Array([0, 1, 2, 255]), { status: 201, statusText: 'Made',
             headers: { 'content-type': 'application/octet-stream', 'vary': 'x-variant', 'etag': '\"7\"' } }));
         await c.put('https://example.com/empty', new Response(null, { status: 204 }));
         const other = await caches.open('other');
         await other.put('https://example.com/o', new Response('other'));")
    .await;
    let describe = "const out = [];
         for (const name of (await caches.keys()).sort()) {
           const c = await caches.open(name);
           for (const req of await c.keys()) {
             const r = await c.match(req);
             const body = Array.from(new Uint8Array(await r.arrayBuffer())).join(',');
             out.push([name, req.method, req.url, [...req.headers].join(';'), r.status, r.statusText,
               [...r.headers].join(';'), body].join(' | '));
           }
         }
         return out;";
    let want = run(describe).await;
    let blob = backup_parts(parts(false, false, &["app-v1"]), &JsValue::UNDEFINED).await;
    run("const c = await caches.open('app-v1');
         await c.delete('https://example.com/empty');
         await c.put('https://example.com/late', new Response('late'));
         await (await caches.open('other')).put('https://example.com/o2', new Response('kept'));")
    .await;
    let (done, _) = restore::restore(
        blob,
        &restore_req(parts(false, false, &["app-v1"])),
        &Reporter::silent(),
    )
    .await
    .unwrap();
    assert_eq!(done.parts.cache_entries, Some(2));
    let got = Array::from(&run(describe).await);
    let want = Array::from(&want);
    let lines = |a: &Array| -> Vec<String> { a.iter().map(|s| s.as_string().unwrap()).collect() };
    let (got, want) = (lines(&got), lines(&want));
    // app-v1 is exactly the backup's; "other", not restored, kept its
    // late entry; no staging cache is left.
    let app = |v: &[String]| -> Vec<String> {
        v.iter()
            .filter(|l| l.starts_with("app-v1 "))
            .cloned()
            .collect()
    };
    assert_eq!(app(&got), app(&want));
    assert!(
        got.iter().any(|l| l.contains("https://example.com/o2")),
        "{got:?}"
    );
    assert!(
        got.iter().all(|l| !l.starts_with("coffer-staging:")),
        "{got:?}"
    );
    assert!(app(&want)[0].contains("x-variant"), "{want:?}");
}

#[wasm_bindgen_test]
async fn local_storage_items_come_back_to_the_page_exactly() {
    // The page sends its items (lone surrogates included) with the backup
    // request and gets them back from the restore, in key order.
    let items = js("[['b', '2'], ['\\uD800', 'lone'], ['a', '\\uDC00x'], ['', '']]");
    let blob = backup_parts(parts(true, false, &[]), &items).await;
    let (done, local) = restore::restore(
        blob,
        &restore_req(parts(true, false, &[])),
        &Reporter::silent(),
    )
    .await
    .unwrap();
    assert_eq!(done.parts.local_storage, Some(4));
    let local = local.expect("items for the page");
    let same = js(
        "(got) => JSON.stringify(got) === JSON.stringify([['', ''], ['a', '\\uDC00x'], ['b', '2'], ['\\uD800', 'lone']])",
    );
    let f: js_sys::Function = same.dyn_into().unwrap();
    assert_eq!(f.call1(&JsValue::NULL, &local).unwrap(), JsValue::TRUE);
}
