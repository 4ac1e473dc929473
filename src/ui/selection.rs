//! Checkboxes for databases and their stores, and for the parts beyond
//! IndexedDB (backup and restore cards).

use coffer_protocol::{strings, DbInfo, Part, PartsInfo, SkippedInfo};
use leptos::prelude::*;

use super::use_ctx;
use crate::state::{PartItem, SelectionState};

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

/// One checkbox per part beyond IndexedDB present in `parts`:
/// localStorage, the file system, each cache (with its figures, and the
/// opaque responses that cannot be backed up).
#[component]
pub fn PartsSelection(
    /// What is present (and its figures).
    parts: Signal<PartsInfo>,
    /// The ticks.
    selection: Signal<SelectionState>,
    /// Ticks (`true`) or unticks a part.
    on_tick: Callback<(PartItem, bool)>,
    /// Whether the ticks choose what to restore (else: what to back up).
    #[prop(optional)]
    restore: bool,
) -> impl IntoView {
    let l = use_ctx().lang();
    move || {
        let p = parts.get();
        if p.is_empty() {
            return None;
        }
        let row = move |item: PartItem, title: String, figures: String| {
            let (i1, i2) = (item.clone(), item.clone());
            view! {
                <li>
                    <label>
                        <input
                            type="checkbox"
                            aria-label=item.label(l, restore)
                            prop:checked=move || selection.with(|s| s.is_part_on(&i1))
                            on:change=move |ev| on_tick.run((i2.clone(), event_target_checked(&ev)))
                        />
                        <strong>{title}</strong>
                        " "
                        <span class="figures">{figures}</span>
                    </label>
                </li>
            }
        };
        let mut rows = Vec::new();
        if let Some(ls) = p.local_storage {
            rows.push(row(
                PartItem::LocalStorage,
                l.part_label(Part::LocalStorage).to_owned(),
                format!("{} · {}", l.items(ls.items), strings::bytes(ls.bytes)),
            ));
        }
        if let Some(o) = &p.opfs {
            rows.push(row(
                PartItem::Opfs,
                l.part_label(Part::Opfs).to_owned(),
                format!(
                    "{} · {}",
                    l.files_in_folders(o.files, o.directories),
                    strings::bytes(o.bytes)
                ),
            ));
        }
        for c in p.caches.iter().flatten() {
            rows.push(row(
                PartItem::Cache(c.name.clone()),
                format!("{}: {}", l.part_label(Part::Caches), c.name),
                format!("{} · {}", l.responses(c.entries), strings::bytes(c.bytes)),
            ));
        }
        let skipped: Vec<SkippedInfo> = p.skipped().into_iter().cloned().collect();
        Some(view! {
            <ul class="selection parts" data-testid=if restore { "restore-parts" } else { "backup-parts" }>
                {rows}
            </ul>
            <SkippedList skipped=skipped />
        })
    }
}

/// The cached responses that cannot be (or were not) backed up, listed.
#[component]
pub fn SkippedList(
    /// The responses.
    skipped: Vec<SkippedInfo>,
) -> impl IntoView {
    let l = use_ctx().lang();
    (!skipped.is_empty()).then(|| {
        view! {
            <div class="skipped" role="note" data-testid="skipped-responses">
                <p>{l.skipped_responses(skipped.len() as u64)}</p>
                <ul>
                    {skipped
                        .into_iter()
                        .map(|s| view! { <li><code>{s.url}</code>" (" {s.cache} ", " {s.reason} ")"</li> })
                        .collect_view()}
                </ul>
            </div>
        }
    })
}
