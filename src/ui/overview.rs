//! The store overview: databases, stores, record counts, sizes and the
//! "encrypted" mark, plus "Load sample data" on an empty origin.

use coffer_protocol::{strings, Msg, Part, PartsInfo};
use leptos::prelude::*;

use super::selection::SkippedList;
use super::storage::StorageLine;
use super::task::Task;
use super::use_ctx;
use crate::client::api;

/// The overview table.
#[component]
pub fn Overview() -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let load_sample = move |_| {
        Task::new(ctx).refresh().spawn(|engine, _| async move {
            let records = api::load_sample(&engine).await?;
            Ok(Msg::SampleLoaded { records })
        });
    };
    view! {
        <section class="overview" aria-label=l.t("Stores")>
            <h2>{l.t("Stores")}</h2>
            {move || match ctx.overview.get() {
                None => view! { <p>{l.t("Loading…")}</p> }.into_any(),
                Some(o) if o.databases.is_empty() => view! {
                    <div class="empty">
                        <p>{l.t(strings::EMPTY)}</p>
                        <button type="button" on:click=load_sample disabled=move || ctx.busy.get()>
                            {l.t("Load sample data")}
                        </button>
                    </div>
                    <PartsOverview parts=o.parts />
                }
                .into_any(),
                Some(o) => view! {
                    <table>
                        <thead>
                            <tr>
                                <th scope="col">{l.t("Database")}</th>
                                <th scope="col">{l.t("Store")}</th>
                                <th scope="col" class="num">{l.t("Records")}</th>
                                <th scope="col" class="num">{l.t("Size")}</th>
                                <th scope="col">""</th>
                            </tr>
                        </thead>
                        <tbody>
                            {o
                                .databases
                                .into_iter()
                                .flat_map(|d| {
                                    let db = format!("{} (v{})", d.name, d.version);
                                    let empty = d.stores.is_empty();
                                    let mut rows: Vec<_> = d
                                        .stores
                                        .into_iter()
                                        .enumerate()
                                        .map(|(i, s)| {
                                            view! {
                                                <tr data-testid=format!("row-{}-{}", d.name, s.name)>
                                                    <td>{if i == 0 { db.clone() } else { String::new() }}</td>
                                                    <td>{s.name.clone()}</td>
                                                    <td class="num">{s.records}</td>
                                                    <td class="num">{if s.bytes > 0 { format!("≈ {}", strings::bytes(s.bytes)) } else { "–".into() }}</td>
                                                    <td>{s.encrypted.then(|| view! { <span class="badge">{l.t("encrypted")}</span> })}</td>
                                                </tr>
                                            }
                                            .into_any()
                                        })
                                        .collect();
                                    if empty {
                                        rows.push(view! { <tr><td>{db.clone()}</td><td colspan="4">{l.t("no stores")}</td></tr> }.into_any());
                                    }
                                    rows
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                    <PartsOverview parts=o.parts />
                    <p class="key-id">
                        {o.key_id.map(|k| l.master_key_id(&k)).unwrap_or_else(|| l.t("No master key yet (one is created on first use).").to_owned())}
                    </p>
                }
                .into_any(),
            }}
            <StorageLine />
            <super::auto::LastBackupLine />
        </section>
    }
}

/// The origin's storage beyond IndexedDB: localStorage, the private file
/// system and each cache, with their figures and the cached responses
/// that cannot be backed up.
#[component]
fn PartsOverview(
    /// What is present.
    parts: PartsInfo,
) -> impl IntoView {
    let l = use_ctx().lang();
    (!parts.is_empty()).then(|| {
        let skipped = parts.skipped().into_iter().cloned().collect::<Vec<_>>();
        view! {
            <table class="parts" data-testid="parts-overview">
                <thead>
                    <tr>
                        <th scope="col">{l.t("Other storage")}</th>
                        <th scope="col">""</th>
                        <th scope="col" class="num">{l.t("Size")}</th>
                    </tr>
                </thead>
                <tbody>
                    {parts.local_storage.map(|ls| view! {
                        <tr data-testid="part-local-storage">
                            <td>{l.part_label(Part::LocalStorage)}</td>
                            <td>{l.items(ls.items)}</td>
                            <td class="num">{strings::bytes(ls.bytes)}</td>
                        </tr>
                    })}
                    {parts.opfs.map(|o| view! {
                        <tr data-testid="part-opfs">
                            <td>{l.part_label(Part::Opfs)}</td>
                            <td>{l.files_in_folders(o.files, o.directories)}</td>
                            <td class="num">{strings::bytes(o.bytes)}</td>
                        </tr>
                    })}
                    {parts.caches.unwrap_or_default().into_iter().map(|c| view! {
                        <tr data-testid=format!("part-cache-{}", c.name)>
                            <td>{format!("{}: {}", l.part_label(Part::Caches), c.name)}</td>
                            <td>{l.responses(c.entries)}</td>
                            <td class="num">{strings::bytes(c.bytes)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <SkippedList skipped=skipped />
        }
    })
}
