//! The demo database a newcomer can create on an empty origin: notes with
//! dates and tags, attachments as Blobs and Files, and the encrypted stores
//! `secrets` and `sessions`.

use js_sys::{Array, Date, Object, Reflect};
use wasm_bindgen::JsValue;

use crate::browser::blobio::blob_from_bytes;
use crate::browser::idb::{self, Opened};
use crate::error::{AppError, AppResult};
use crate::{keys, stores};
use coffer_engine::model::{IndexSchema, KeyPath, StoreSchema};
use coffer_protocol::ErrorCode;
use coffer_protocol::SampleLoaded;

/// Name of the demo database.
pub const SAMPLE_DB: &str = "coffer-demo";

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &(*k).into(), v);
    }
    o.into()
}

fn strs(items: &[&str]) -> JsValue {
    items
        .iter()
        .map(|s| JsValue::from_str(s))
        .collect::<Array>()
        .into()
}

/// Creates the demo database (fails if it exists).
pub async fn load_sample(now_ms: f64) -> AppResult<SampleLoaded> {
    if idb::database_names()
        .await?
        .iter()
        .any(|(n, _)| n == SAMPLE_DB)
    {
        return Err(AppError::new(
            ErrorCode::SampleExists,
            "the sample database already exists",
        ));
    }
    let Opened::Upgrade { db, request, .. } = idb::open_versioned(SAMPLE_DB, 1.0, || {}).await?
    else {
        return Err(AppError::new(
            ErrorCode::SampleExists,
            "the sample database already exists",
        ));
    };
    let mut notes = StoreSchema::new("notes");
    notes.key_path = Some(KeyPath::Single("id".into()));
    notes.auto_increment = true;
    notes.indexes = vec![
        IndexSchema {
            name: "by-created".into(),
            key_path: KeyPath::Single("created".into()),
            unique: false,
            multi_entry: false,
        },
        IndexSchema {
            name: "by-tag".into(),
            key_path: KeyPath::Single("tags".into()),
            unique: false,
            multi_entry: true,
        },
    ];
    let notes_store = idb::create_store(&db, &notes)?;
    let attachments = idb::create_store(&db, &StoreSchema::new("attachments"))?;
    for s in ["secrets", "sessions"] {
        db.create_object_store(s)
            .map_err(|e| AppError::js("cannot create a store", e))?;
    }
    let day = 86_400_000.0;
    let texts: [(&str, &str, &[&str]); 5] = [
        (
            "Welcome to Coffer",
            "Everything on this page lives in IndexedDB. Back it up, wipe it, restore it.",
            &["intro"],
        ),
        (
            "Groceries",
            "oat milk, coffee beans, rye bread",
            &["home", "todo"],
        ),
        (
            "Trip to Lisbon",
            "Flights booked for May; hotel near Alfama.",
            &["travel"],
        ),
        (
            "Unicode ✓",
            "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich 🥊",
            &["test"],
        ),
        (
            "Meeting notes",
            "Decided: backups are consistent snapshots, restores are all-or-nothing.",
            &["work", "todo"],
        ),
    ];
    let mut records = 0u64;
    for (i, (title, body, tags)) in texts.iter().enumerate() {
        let created = Date::new(&JsValue::from_f64(now_ms - day * (texts.len() - i) as f64));
        let v = obj(&[
            ("title", JsValue::from_str(title)),
            ("body", JsValue::from_str(body)),
            ("tags", strs(tags)),
            ("created", created.into()),
            ("pinned", JsValue::from_bool(i == 0)),
        ]);
        notes_store
            .add(&v)
            .map_err(|e| AppError::js("cannot add a note", e))?;
        records += 1;
    }
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="28" fill="#6b4f3a"/></svg>"##;
    let picture = blob_from_bytes(svg, "image/svg+xml")?;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let binary = blob_from_bytes(&bytes, "application/octet-stream")?;
    let file = web_sys::File::new_with_blob_sequence_and_options(
        &Array::of1(&blob_from_bytes(b"Shopping list\n- coffee\n", "text/plain")?.into()),
        "list.txt",
        &{
            let o = web_sys::FilePropertyBag::new();
            o.set_type("text/plain");
            o.set_last_modified(now_ms - day);
            o
        },
    )
    .map_err(|e| AppError::js("cannot create a File", e))?;
    for (key, note, name, body) in [
        ("logo", 1.0, "logo.svg", JsValue::from(picture)),
        ("data", 3.0, "data.bin", JsValue::from(binary)),
        ("list", 2.0, "list.txt", JsValue::from(file)),
    ] {
        let v = obj(&[
            ("note", JsValue::from_f64(note)),
            ("name", JsValue::from_str(name)),
            ("body", body),
        ]);
        attachments
            .put_with_key(&v, &key.into())
            .map_err(|e| AppError::js("cannot add an attachment", e))?;
        records += 1;
    }
    idb::finish_open(&request).await?;
    db.close();
    crate::registry::register(&[
        (SAMPLE_DB.to_owned(), "secrets".to_owned()),
        (SAMPLE_DB.to_owned(), "sessions".to_owned()),
    ])
    .await?;
    let secrets = [
        (
            "mail",
            obj(&[
                ("user", "ada@example.org".into()),
                ("password", "correct horse battery staple".into()),
            ]),
        ),
        (
            "bank",
            obj(&[
                ("iban", "DE02 1203 0000 0000 2020 51".into()),
                ("pin", JsValue::from_f64(4711.0)),
            ]),
        ),
    ];
    for (k, v) in secrets {
        stores::put(SAMPLE_DB, "secrets", &k.into(), &v).await?;
        records += 1;
    }
    let session = obj(&[
        ("token", "s3ss10n-t0k3n".into()),
        (
            "expires",
            Date::new(&JsValue::from_f64(now_ms + day)).into(),
        ),
    ]);
    stores::put(SAMPLE_DB, "sessions", &JsValue::from_f64(1.0), &session).await?;
    records += 1;
    // Touch the key so the page shows one even before the first backup.
    keys::current_key().await?;
    Ok(SampleLoaded { records })
}
