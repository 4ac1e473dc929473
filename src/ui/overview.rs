//! The store overview: databases, stores, record counts, sizes and the
//! "encrypted" mark, plus "Load sample data" on an empty origin.

use leptos::prelude::*;

use super::use_ctx;
use crate::client::Attachments;
use crate::protocol::{Outcome, Request};
use crate::strings;

/// The overview table.
#[component]
pub fn Overview() -> impl IntoView {
    let ctx = use_ctx();
    let load_sample = move |_| {
        let engine = ctx.engine.get_value();
        ctx.busy.set(true);
        leptos::task::spawn_local(async move {
            let r = engine
                .call(
                    Request::LoadSample {
                        now_ms: js_sys::Date::now(),
                    },
                    Attachments::default(),
                    |_| {},
                )
                .await;
            ctx.busy.set(false);
            match r {
                Ok((Outcome::SampleLoaded { records }, _)) => {
                    ctx.announce(strings::sample_loaded(records))
                }
                Ok(_) => {}
                Err(e) => ctx.fail(&e),
            }
            ctx.refresh();
        });
    };
    view! {
        <section class="overview" aria-label=strings::t("Stores")>
            <h2>{strings::t("Stores")}</h2>
            {move || match ctx.overview.get() {
                None => view! { <p>{strings::t("Loading…")}</p> }.into_any(),
                Some(o) if o.databases.is_empty() => view! {
                    <div class="empty">
                        <p>{strings::t(strings::EMPTY)}</p>
                        <button type="button" on:click=load_sample disabled=move || ctx.busy.get()>
                            {strings::t("Load sample data")}
                        </button>
                    </div>
                }
                .into_any(),
                Some(o) => view! {
                    <table>
                        <thead>
                            <tr>
                                <th scope="col">{strings::t("Database")}</th>
                                <th scope="col">{strings::t("Store")}</th>
                                <th scope="col" class="num">{strings::t("Records")}</th>
                                <th scope="col" class="num">{strings::t("Size")}</th>
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
                                                    <td>{s.encrypted.then(|| view! { <span class="badge">{strings::t("encrypted")}</span> })}</td>
                                                </tr>
                                            }
                                            .into_any()
                                        })
                                        .collect();
                                    if empty {
                                        rows.push(view! { <tr><td>{db.clone()}</td><td colspan="4">{strings::t("no stores")}</td></tr> }.into_any());
                                    }
                                    rows
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                    <p class="key-id">
                        {o.key_id.map(|k| strings::master_key_id(&k)).unwrap_or_else(|| strings::t("No master key yet (one is created on first use).").into())}
                    </p>
                }
                .into_any(),
            }}
        </section>
    }
}
