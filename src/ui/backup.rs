//! The "Create backup" card.

use leptos::html::Input;
use leptos::prelude::*;

use super::common::{
    download, has_save_picker, pick_save_file, save_to_handle, task_over, track_progress,
    ProgressBar,
};
use super::use_ctx;
use crate::client::Attachments;
use crate::protocol::{DbInfo, Outcome, ProgressInfo, Request};
use crate::state::SelectionState;
use crate::strings;

/// Checkboxes for databases and their stores.
#[component]
pub fn SelectionList(
    /// The databases to choose from.
    databases: Signal<Vec<DbInfo>>,
    /// The ticks.
    selection: RwSignal<SelectionState>,
    /// Whether the ticks choose what to restore (else: what to back up);
    /// decides the accessible names.
    #[prop(optional)]
    restore: bool,
) -> impl IntoView {
    view! {
        <ul class="selection">
            {move || {
                databases
                    .get()
                    .into_iter()
                    .map(|d| {
                        let name = d.name.clone();
                        let n2 = name.clone();
                        let n3 = name.clone();
                        view! {
                            <li>
                                <label>
                                    <input
                                        type="checkbox"
                                        aria-label=strings::select_db(restore, &name)
                                        prop:checked=move || selection.get().db_state(&n2) != Some(false)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            selection.update(|s| s.set_db(&n3, on));
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
                                                            aria-label=strings::select_store(restore, &name, &s.name)
                                                            prop:checked=move || selection.get().is_on(&db1, &s1)
                                                            on:change=move |ev| {
                                                                let on = event_target_checked(&ev);
                                                                selection.update(|x| x.set(&db2, &s2, on));
                                                            }
                                                        />
                                                        {s.name.clone()}
                                                        {s.encrypted.then(|| view! { <span class="badge">{strings::t("encrypted")}</span> })}
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

/// Creates backups.
#[component]
pub fn BackupCard() -> impl IntoView {
    let ctx = use_ctx();
    let selection = RwSignal::new(SelectionState::default());
    let databases =
        Signal::derive(move || ctx.overview.get().map(|o| o.databases).unwrap_or_default());
    Effect::new(move |_| {
        let dbs = databases.get();
        selection.update(|s| *s = s.refreshed(&dbs));
    });
    let lock = RwSignal::new(false);
    let use_picker = RwSignal::new(has_save_picker());
    let pass: NodeRef<Input> = NodeRef::new();
    let progress = RwSignal::new(None::<(String, ProgressInfo)>);
    let start = move |_| {
        let sel = selection.get_untracked().selection();
        let passphrase = if lock.get_untracked() {
            match pass
                .get_untracked()
                .map(|i| i.value())
                .filter(|p| !p.is_empty())
            {
                Some(p) => Some(p),
                None => {
                    ctx.fail(&crate::error::AppError::new(
                        "passphrase-missing",
                        strings::t("Enter a passphrase, or untick “Encrypt the whole backup”."),
                    ));
                    return;
                }
            }
        } else {
            None
        };
        let engine = ctx.engine.get_value();
        let picker = use_picker.get_untracked();
        ctx.busy.set(true);
        progress.set(Some((
            strings::t("Starting").into(),
            ProgressInfo::default(),
        )));
        leptos::task::spawn_local(async move {
            let now = js_sys::Date::now();
            let handle = if picker {
                match pick_save_file(&format!(
                    "coffer-backup-{}.zip",
                    &js_sys::Date::new(&now.into())
                        .to_iso_string()
                        .as_string()
                        .unwrap_or_default()[..10]
                ))
                .await
                {
                    Ok(Some(h)) => Some(h),
                    Ok(None) => {
                        task_over(ctx, progress);
                        return;
                    }
                    Err(e) => {
                        task_over(ctx, progress);
                        ctx.fail(&e);
                        return;
                    }
                }
            } else {
                None
            };
            let r = engine
                .call(
                    Request::Backup {
                        selection: sel,
                        passphrase,
                        now_ms: now,
                        download: handle.is_none(),
                    },
                    Attachments::default(),
                    track_progress(ctx, progress),
                )
                .await;
            let r = match r {
                Ok((
                    Outcome::Backup {
                        file_name,
                        records,
                        bytes,
                    },
                    att,
                )) => match att.file {
                    Some(blob) => {
                        let saved = match &handle {
                            Some(h) => save_to_handle(h, &blob).await,
                            None => download(&blob, att.url.as_deref(), &file_name),
                        };
                        saved.map(|_| strings::backup_created(&file_name, records, bytes))
                    }
                    None => Err(crate::error::AppError::new(
                        "browser-error",
                        strings::t("the backup file is missing"),
                    )),
                },
                Ok(_) => Err(crate::error::AppError::new(
                    "protocol",
                    strings::t("unexpected answer"),
                )),
                Err(e) => Err(e),
            };
            task_over(ctx, progress);
            match r {
                Ok(t) => ctx.announce(t),
                Err(e) => ctx.fail(&e),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="backup-title">
            <h2 id="backup-title">{strings::t(strings::BACKUP_TITLE)}</h2>
            <p>{strings::t(strings::BACKUP_TEXT)}</p>
            <p class="risk">{strings::t(strings::BACKUP_RISK)}</p>
            <SelectionList databases=databases selection=selection />
            <label>
                <input type="checkbox" prop:checked=move || lock.get() on:change=move |ev| lock.set(event_target_checked(&ev)) />
                {strings::t("Encrypt the whole backup with a passphrase")}
            </label>
            <Show when=move || lock.get()>
                <label class="field">
                    {strings::t("Backup passphrase")}
                    <input type="password" node_ref=pass autocomplete="new-password" />
                </label>
            </Show>
            <Show when=has_save_picker>
                <label>
                    <input type="checkbox" prop:checked=move || use_picker.get() on:change=move |ev| use_picker.set(event_target_checked(&ev)) />
                    {strings::t("Choose where to save")}
                </label>
            </Show>
            <button
                type="button"
                on:click=start
                disabled=move || ctx.busy.get() || selection.get().is_empty()
            >
                {strings::t(strings::BACKUP_TITLE)}
            </button>
            <ProgressBar progress=progress label=strings::t("Backup progress") />
        </section>
    }
}
