//! Checkboxes for databases and their stores (backup and restore cards).

use coffer_protocol::DbInfo;
use leptos::prelude::*;

use super::use_ctx;
use crate::state::SelectionState;

/// Applies a tick of [`SelectionList`] to `s`.
pub fn apply_tick(s: &mut SelectionState, (db, store, on): (String, Option<String>, bool)) {
    match store {
        Some(store) => s.set(&db, &store, on),
        None => s.set_db(&db, on),
    }
}

/// One checkbox per database (ticking all its stores) and per store.
#[component]
pub fn SelectionList(
    /// The databases to choose from.
    databases: Signal<Vec<DbInfo>>,
    /// The ticks.
    selection: Signal<SelectionState>,
    /// Ticks (`true`) or unticks a store (`Some(name)`) or a whole
    /// database (`None`) of a database.
    on_tick: Callback<(String, Option<String>, bool)>,
    /// Whether the ticks choose what to restore (else: what to back up);
    /// decides the accessible names.
    #[prop(optional)]
    restore: bool,
) -> impl IntoView {
    let l = use_ctx().lang();
    view! {
        <ul class="selection">
            {move || {
                databases
                    .get()
                    .into_iter()
                    .map(|d| {
                        let name = d.name.clone();
                        let (n2, n3) = (name.clone(), name.clone());
                        view! {
                            <li>
                                <label>
                                    <input
                                        type="checkbox"
                                        aria-label=l.select_db(restore, &name)
                                        prop:checked=move || selection.with(|s| s.db_state(&n2) != Some(false))
                                        on:change=move |ev| {
                                            on_tick.run((n3.clone(), None, event_target_checked(&ev)));
                                        }
                                    />
                                    <strong>{name.clone()}</strong>
                                </label>
                                <ul>
                                    {d
                                        .stores
                                        .into_iter()
                                        .map(|s| {
                                            let (db1, db2) = (name.clone(), name.clone());
                                            let (s1, s2) = (s.name.clone(), s.name.clone());
                                            view! {
                                                <li>
                                                    <label>
                                                        <input
                                                            type="checkbox"
                                                            aria-label=l.select_store(restore, &name, &s.name)
                                                            prop:checked=move || selection.with(|x| x.is_on(&db1, &s1))
                                                            on:change=move |ev| {
                                                                on_tick.run((db2.clone(), Some(s2.clone()), event_target_checked(&ev)));
                                                            }
                                                        />
                                                        {s.name.clone()}
                                                        {s.encrypted.then(|| view! { <span class="badge">{l.t("encrypted")}</span> })}
                                                    </label>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
    }
}
