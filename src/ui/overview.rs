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
                Ok((Outcome::SampleLoaded { records }, _)) => ctx.announce(format!(
                    "Sample data loaded: {records} records in database “coffer-demo”."
                )),
                Ok(_) => {}
                Err(e) => ctx.fail(&e),
            }
            ctx.refresh();
        });
    };
    view! {
        <section class="overview" aria-label="Stores">
            <h2>"Stores"</h2>
            {move || match ctx.overview.get() {
                None => view! { <p>"Loading…"</p> }.into_any(),
                Some(o) if o.databases.is_empty() => view! {
                    <div class="empty">
                        <p>{strings::EMPTY}</p>
                        <button type="button" on:click=load_sample disabled=move || ctx.busy.get()>
                            "Load sample data"
                        </button>
                    </div>
                }
                .into_any(),
                Some(o) => view! {
                    <table>
                        <thead>
                            <tr>
                                <th scope="col">"Database"</th>
                                <th scope="col">"Store"</th>
                                <th scope="col" class="num">"Records"</th>
                                <th scope="col" class="num">"Size"</th>
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
                                                    <td>{s.encrypted.then(|| view! { <span class="badge">"encrypted"</span> })}</td>
                                                </tr>
                                            }
                                            .into_any()
                                        })
                                        .collect();
                                    if empty {
                                        rows.push(view! { <tr><td>{db.clone()}</td><td colspan="4">"no stores"</td></tr> }.into_any());
                                    }
                                    rows
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                    <p class="key-id">
                        {o.key_id.map(|k| format!("Master key id: {k}")).unwrap_or_else(|| "No master key yet (one is created on first use).".into())}
                    </p>
                }
                .into_any(),
            }}
        </section>
    }
}
