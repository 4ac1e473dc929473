//! The store overview: databases, stores, record counts, sizes and the
//! "encrypted" mark, plus "Load sample data" on an empty origin.

use coffer_protocol::{strings, Msg};
use leptos::prelude::*;

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
