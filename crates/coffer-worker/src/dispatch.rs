//! The worker's message loop: decodes requests, runs each as its own task
//! (backup, restore and key replacement under the origin-wide Web Lock)
//! and posts its one outcome, or its failure.

use coffer_protocol::{
    decode_request, Call, Empty, ErrorCode, Event, Failure, Outcome, Request, StoreKeys,
    StoreValue, ToWorker, LOCK_NAME, META_DB,
};
use js_sys::Reflect;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, MessageEvent};

use crate::error::{AppError, AppResult};
use crate::history::{describe, Pending};
use crate::report::{post, scope, Attach, Reporter};
use crate::{
    auto, backup, destinations, history, keys, lock, measure, overview, registry, remote, restore,
    sample, stores, tabs,
};
use coffer_protocol::HistoryKind;

/// The current key id, for the history (never the key).
async fn key_id() -> Option<String> {
    keys::current_key().await.ok().map(|k| k.key.id().to_hex())
}

/// What came with a request besides its JSON.
struct Attached {
    file: Option<Blob>,
    key: JsValue,
    value: JsValue,
}

impl Attached {
    fn file(&self) -> AppResult<Blob> {
        self.file
            .clone()
            .ok_or_else(|| AppError::new(ErrorCode::BadArgument, "no file was given"))
    }
}

/// `outcome` of request type `C`, with nothing attached.
fn plain<C: Call>(outcome: C::Outcome) -> (Outcome, Attach) {
    (C::wrap(outcome), Attach::default())
}

async fn handle(id: u32, req: Request, att: Attached) -> AppResult<(Outcome, Attach)> {
    use coffer_protocol as p;
    let rep = Reporter::new(id);
    Ok(match req {
        Request::Overview(r) => plain::<p::Overview>(overview::overview(&r.scope).await?),
        Request::Backup(r) => {
            // The destination first: an unknown one fails before anything
            // is read.
            let target = match &r.destination {
                Some(id) => Some((id.clone(), destinations::get(id).await?)),
                None => None,
            };
            let _guard = lock::acquire(LOCK_NAME, &rep).await?;
            let (dbs, n) = describe(&r.selection, |d| r.scope.allows(d) && d != META_DB);
            let pending = Pending::new(HistoryKind::Backup)
                .with(|e| {
                    e.databases = dbs;
                    e.stores = n;
                    e.destination = Some(if r.download { "download" } else { "app" }.into());
                })
                .started()
                .await;
            let mut res = backup::backup(&r, &att.value, &rep).await;
            if let (Ok((done, blob)), Some((id, d))) = (&mut res, &target) {
                match remote::upload_to(id, d, &done.file_name, blob, &rep).await {
                    Ok(u) => done.uploaded = Some(u),
                    Err(e) => res = Err(e),
                }
            }
            let kid = key_id().await;
            pending
                .finish(&res, |e, (d, _)| {
                    e.records = d.records;
                    e.bytes = d.bytes;
                    e.key_id = kid;
                    if let Some(u) = &d.uploaded {
                        e.destination = Some(u.target.clone());
                    } else if let Some(dest) = &mut e.destination {
                        dest.push(':');
                        dest.push_str(&d.file_name);
                    }
                })
                .await;
            let (done, blob) = res?;
            (
                p::Backup::wrap(done),
                Attach {
                    file: Some(blob),
                    download: r.download,
                    ..Attach::default()
                },
            )
        }
        Request::Inspect(r) => plain::<p::Inspect>(restore::inspect(att.file()?, &r, &rep).await?),
        Request::Restore(r) => {
            let file = att.file()?;
            let _guard = lock::acquire(LOCK_NAME, &rep).await?;
            let (dbs, n) = describe(&r.selection, |d| r.scope.allows(d) && d != META_DB);
            let source = Reflect::get(&file, &"name".into())
                .ok()
                .and_then(|n| n.as_string())
                .map(|n| remote::fetched_from(&n).unwrap_or(n));
            let pending = Pending::new(HistoryKind::Restore)
                .with(|e| {
                    e.databases = dbs;
                    e.stores = n;
                    e.destination = source;
                })
                .started()
                .await;
            let res = restore::restore(file, &r, &rep).await;
            let kid = key_id().await;
            pending
                .finish(&res, |e, (x, _)| {
                    e.stores = x.stores;
                    e.records = x.records;
                    e.key_id = kid;
                })
                .await;
            let (done, local) = res?;
            (
                p::Restore::wrap(done),
                Attach {
                    value: local,
                    ..Attach::default()
                },
            )
        }
        Request::ExportKey(r) => {
            let res = keys::export_key(r.passphrase.as_deref()).await;
            Pending::new(HistoryKind::KeyExport)
                .with(|e| e.destination = Some(if r.download { "download" } else { "app" }.into()))
                .finish(&res, |e, (d, _)| {
                    e.key_id = Some(d.key_id.clone());
                    if let Some(dest) = &mut e.destination {
                        dest.push(':');
                        dest.push_str(&d.file_name);
                    }
                })
                .await;
            let (done, blob) = res?;
            (
                p::ExportKey::wrap(done),
                Attach {
                    file: Some(blob),
                    download: r.download,
                    ..Attach::default()
                },
            )
        }
        Request::ReplaceKey(r) => {
            let _guard = lock::acquire(LOCK_NAME, &rep).await?;
            let pending = Pending::new(HistoryKind::KeyReplace).started().await;
            let res = keys::replace_key(&r.source, r.now_ms, &rep).await;
            pending
                .finish(&res, |e, k| {
                    e.key_id = Some(k.key_id.clone());
                    e.records = k.resealed;
                })
                .await;
            plain::<p::ReplaceKey>(res?)
        }
        Request::History(r) => plain::<p::History>(p::HistoryList {
            entries: history::list(r.kind).await?,
        }),
        Request::AutoGet(_) => {
            // The folder handle goes along, so that the page can ask for
            // permission again (only a window can).
            let state = auto::state().await?;
            (
                p::AutoGet::wrap(state),
                Attach {
                    value: auto::folder().await?,
                    ..Attach::default()
                },
            )
        }
        Request::AutoSet(r) => {
            let handle = (!att.value.is_undefined()).then(|| att.value.clone());
            plain::<p::AutoSet>(auto::set(r.settings, handle).await?)
        }
        Request::AutoRun(r) => {
            let _guard = lock::acquire(LOCK_NAME, &rep).await?;
            plain::<p::AutoRun>(auto::run(&r, &att.value, &rep).await?)
        }
        Request::DestList(_) => plain::<p::DestList>(p::DestinationList {
            destinations: destinations::infos().await?,
        }),
        Request::DestSave(r) => {
            let old = destinations::get(&r.id).await.ok();
            let d = destinations::from_settings(&r.settings, old.as_ref());
            destinations::save(&r.id, &d).await?;
            plain::<p::DestSave>(p::DestinationList {
                destinations: destinations::infos().await?,
            })
        }
        Request::DestRemove(r) => {
            destinations::remove(&r.id).await?;
            plain::<p::DestRemove>(p::DestinationList {
                destinations: destinations::infos().await?,
            })
        }
        Request::DestTest(r) => {
            let d = destinations::get(&r.id).await?;
            let rm = remote::checked(&d)?;
            let tested = remote::test(&remote::Fetch, &rm)
                .await
                .map_err(|e| remote::app_error(e, &d))?;
            plain::<p::DestTest>(tested)
        }
        Request::DestBackups(r) => {
            let d = destinations::get(&r.id).await?;
            let rm = remote::checked(&d)?;
            let entries = remote::list(&remote::Fetch, &rm)
                .await
                .map_err(|e| remote::app_error(e, &d))?;
            plain::<p::DestBackups>(p::RemoteBackups {
                backups: entries
                    .into_iter()
                    .map(|e| p::RemoteBackup {
                        name: e.name,
                        bytes: e.size,
                        modified: e.modified,
                    })
                    .collect(),
            })
        }
        Request::DestFetch(r) => {
            let d = destinations::get(&r.id).await?;
            let rm = remote::checked(&d)?;
            let blob = remote::download(&remote::Fetch, &rm, &r.name)
                .await
                .map_err(|e| remote::app_error(e, &d))?;
            let file = crate::browser::blobio::named_file(&blob, &r.name)?;
            let source = destinations::info(&r.id, &d).label(&r.name);
            remote::remember_fetched(&r.name, &source);
            (
                p::DestFetch::wrap(p::Fetched {
                    name: r.name,
                    bytes: blob.size() as u64,
                    source,
                }),
                Attach {
                    file: Some(file),
                    ..Attach::default()
                },
            )
        }
        Request::DestUpload(r) => {
            let file = att.file()?;
            let d = destinations::get(&r.id).await?;
            plain::<p::DestUpload>(remote::upload_to(&r.id, &d, &r.name, &file, &rep).await?)
        }
        Request::LoadSample(r) => plain::<p::LoadSample>(sample::load_sample(r.now_ms).await?),
        Request::Measure(r) => plain::<p::Measure>(p::Measured {
            timings: measure::measure(r.mib.clamp(1, 256))?,
        }),
        Request::DeleteDatabases(r) => {
            for n in r.names {
                if n == META_DB {
                    return Err(AppError::new(
                        ErrorCode::Misuse,
                        "Coffer's own key storage cannot be deleted here",
                    ));
                }
                crate::browser::idb::delete_database(&n).await?;
            }
            plain::<p::DeleteDatabases>(Empty {})
        }
        Request::StoreCreate(r) => {
            stores::create_encrypted_store(&r.db, &r.store).await?;
            plain::<p::StoreCreate>(Empty {})
        }
        Request::StorePut(r) => {
            stores::put(&r.db, &r.store, &att.key, &att.value).await?;
            plain::<p::StorePut>(Empty {})
        }
        Request::StoreGet(r) => {
            let v = stores::get(&r.db, &r.store, &att.key).await?;
            let found = v.is_some();
            let (value, transfer) = v.map_or((None, Vec::new()), |o| (Some(o.value), o.buffers));
            (
                p::StoreGet::wrap(StoreValue { found }),
                Attach {
                    value,
                    transfer,
                    ..Attach::default()
                },
            )
        }
        Request::StoreDelete(r) => {
            stores::delete(&r.db, &r.store, &att.key).await?;
            plain::<p::StoreDelete>(Empty {})
        }
        Request::StoreList(r) => {
            let keys = stores::list(&r.db, &r.store).await?;
            (
                p::StoreList::wrap(StoreKeys {
                    count: u64::from(keys.length()),
                }),
                Attach {
                    value: Some(keys.into()),
                    ..Attach::default()
                },
            )
        }
    })
}

fn on_message(e: MessageEvent) {
    let data = e.data();
    let get = |k: &str| Reflect::get(&data, &k.into()).unwrap_or(JsValue::UNDEFINED);
    let text = get("msg").as_string().unwrap_or_default();
    let m: ToWorker = match decode_request(&text) {
        Ok(m) => m,
        Err(err) => {
            let f = Failure::new(ErrorCode::Protocol, err.to_string());
            post(0, Event::Failed(f), Attach::default());
            return;
        }
    };
    let att = Attached {
        file: get("file").dyn_into::<Blob>().ok(),
        key: get("key"),
        value: get("value"),
    };
    wasm_bindgen_futures::spawn_local(async move {
        let id = m.id;
        match handle(id, m.req, att).await {
            Ok((o, attach)) => post(id, Event::Done(o), attach),
            Err(err) => post(id, Event::Failed(*err.0), Attach::default()),
        }
    });
}

/// The worker's entry point: installs the handler and posts `Ready`.
pub fn run() {
    console_error_panic_hook::set_once();
    let Some(s) = scope() else {
        return;
    };
    let f = Closure::<dyn FnMut(MessageEvent)>::new(on_message);
    s.set_onmessage(Some(f.as_ref().unchecked_ref()));
    f.forget();
    // Finish a key replacement, a staged restore and the registrations of
    // a restore that a previous session was interrupted in. The page may have shown
    // its first overview before: "settled" tells every tab, this one too,
    // to reload it.
    wasm_bindgen_futures::spawn_local(async {
        let rep = Reporter::silent();
        if let Ok(_g) = lock::acquire(LOCK_NAME, &rep).await {
            let finished = keys::resume_pending().await.unwrap_or(false);
            let _ = crate::parts::settle().await;
            let staged = restore::staging::settle()
                .await
                .is_ok_and(|r| !r.is_empty());
            let registered = registry::settle_restore()
                .await
                .is_ok_and(|r| !r.is_empty());
            // Entries of operations whose worker was stopped (Cancel).
            let _ = history::settle().await;
            if finished || staged || registered {
                tabs::broadcast("settled");
            }
        }
    });
    post(
        0,
        Event::Ready {
            instance: tabs::instance(),
        },
        Attach::default(),
    );
}
