//! The history card: what Coffer did (newest first), a filter by kind and
//! an export as JSON Lines. It reloads whenever the status line or the
//! overview changes, i.e. after every operation.

use coffer_protocol::history::to_json_lines;
use coffer_protocol::strings::{self, HISTORY_TEXT, HISTORY_TITLE};
use coffer_protocol::{HistoryEntry, HistoryKind};
use leptos::prelude::*;

use super::common::download;
use super::use_ctx;
use crate::client::api;

fn when(ms: f64) -> String {
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms))
        .to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)
        .as_string()
        .unwrap_or_default()
}

fn details(l: coffer_protocol::Lang, e: &HistoryEntry) -> String {
    let mut parts = Vec::new();
    if !e.databases.is_empty() {
        parts.push(e.databases.join(", "));
    }
    if e.stores > 0 {
        parts.push(format!("{} {}", e.stores, l.t("stores")));
    }
    if e.records > 0 {
        parts.push(l.records(&e.records.to_string()));
    }
    if e.bytes > 0 {
        parts.push(strings::bytes(e.bytes));
    }
    if let Some(k) = &e.key_id {
        parts.push(format!("{} {}…", l.t("key"), k.get(..16).unwrap_or(k)));
    }
    if let Some(d) = &e.destination {
        parts.push(format!("→ {d}"));
    }
    parts.join(" · ")
}

/// The history card.
#[component]
pub fn HistoryCard() -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let kind = RwSignal::new(None::<HistoryKind>);
    let entries = RwSignal::new(Vec::<HistoryEntry>::new());
    Effect::new(move |_| {
        // Reload after every operation (each ends in an announcement or a
        // new overview).
        ctx.status.track();
        ctx.overview.track();
        let k = kind.get();
        let engine = ctx.engine.get_value();
        leptos::task::spawn_local(async move {
            if let Ok(v) = api::history(&engine, k).await {
                let _ = entries.try_set(v);
            }
        });
    });
    let export = move |_| {
        let text = entries.with_untracked(|e| to_json_lines(e));
        let parts = js_sys::Array::of1(&text.into());
        match web_sys::Blob::new_with_str_sequence(&parts) {
            Ok(b) => {
                if let Err(f) = download(&b, None, "coffer-history.jsonl") {
                    ctx.fail(f);
                }
            }
            Err(e) => ctx.fail(super::common::js_failure("cannot export the history", &e)),
        }
    };
    view! {
        <section class="card history" aria-labelledby="history-title">
            <h2 id="history-title">{l.t(HISTORY_TITLE)}</h2>
            <p>{l.t(HISTORY_TEXT)}</p>
            <div class="history-tools">
                <label class="field inline">
                    {l.t("Show")}
                    <select
                        data-testid="history-filter"
                        on:change=move |ev| kind.set(HistoryKind::parse(&event_target_value(&ev)))
                    >
                        <option value="">{strings::history_filter(l, None)}</option>
                        {HistoryKind::ALL
                            .into_iter()
                            .map(|k| view! { <option value=k.as_str()>{strings::history_filter(l, Some(k))}</option> })
                            .collect_view()}
                    </select>
                </label>
                <button type="button" class="secondary" on:click=export>{l.t("Export as JSON Lines")}</button>
            </div>
            // It scrolls, so it takes the focus (the arrow keys scroll it).
            <div class="table-scroll" tabindex="0" role="region" aria-labelledby="history-title">
                <Show
                    when=move || entries.with(|e| !e.is_empty())
                    fallback=move || view! { <p>{l.t("No entries yet.")}</p> }
                >
                    <table data-testid="history">
                        <thead>
                            <tr>
                                <th scope="col">{l.t("Time")}</th>
                                <th scope="col">{l.t("What")}</th>
                                <th scope="col">{l.t("Details")}</th>
                                <th scope="col">{l.t("Result")}</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For
                                each=move || entries.get()
                                key=|e| format!("{}:{:?}:{:?}", e.id, e.ended_ms, e.outcome)
                                children=move |e| {
                                    let failed = matches!(e.outcome, coffer_protocol::HistoryOutcome::Failed { .. });
                                    view! {
                                        <tr data-kind=e.kind.as_str()>
                                            <td>{when(e.time_ms)}</td>
                                            <td>{strings::history_kind(l, e.kind)}</td>
                                            <td class="details">{details(l, &e)}</td>
                                            <td class=if failed { "risk" } else { "" }>{strings::history_outcome(l, e.outcome)}</td>
                                        </tr>
                                    }
                                }
                            />
                        </tbody>
                    </table>
                </Show>
            </div>
        </section>
    }
}
