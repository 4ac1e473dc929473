//! The "Create backup" card.

use coffer_protocol::{strings, ErrorCode, Failure, Msg};
use leptos::html::Input;
use leptos::prelude::*;

use super::common::ProgressBar;
use super::common::{download, has_save_picker, pick_save_file, save_to_handle, secret};
use super::selection::{apply_tick, PartsSelection, SelectionList};
use super::task::Task;
use super::use_ctx;
use crate::client::api::{self, BackupOptions};
use crate::state::{SelectionState, TaskState};

/// The file name a save dialog suggests for a backup made now.
fn suggested_name() -> String {
    let iso = js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default();
    format!("coffer-backup-{}.zip", iso.get(..10).unwrap_or("backup"))
}

/// Creates backups.
#[component]
pub fn BackupCard() -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let selection = RwSignal::new(SelectionState::default());
    let databases =
        Signal::derive(move || ctx.overview.get().map(|o| o.databases).unwrap_or_default());
    let parts = Signal::derive(move || ctx.overview.get().map(|o| o.parts).unwrap_or_default());
    Effect::new(move |_| {
        let dbs = databases.get();
        let p = parts.get();
        selection.update(|s| *s = s.refreshed(&dbs, &p));
    });
    let lock = RwSignal::new(false);
    // Send to a destination (its id; empty: do not send), locked with the
    // master key by default.
    let send_to = RwSignal::new(String::new());
    let lock_key = RwSignal::new(true);
    let use_picker = RwSignal::new(has_save_picker());
    let pass: NodeRef<Input> = NodeRef::new();
    let progress = RwSignal::new(None::<TaskState>);
    let start = move |_| {
        let passphrase = secret(pass.get_untracked());
        if lock.get_untracked() && passphrase.is_none() {
            ctx.fail(Failure::new(
                ErrorCode::PassphraseMissing,
                "a passphrase is needed to lock the backup",
            ));
            return;
        }
        let destination = Some(send_to.get_untracked()).filter(|d| !d.is_empty());
        let sending = destination.is_some();
        let opts = BackupOptions {
            selection: selection.get_untracked().selection(),
            scope: ctx.scope.get_untracked(),
            passphrase: passphrase.filter(|_| lock.get_untracked()),
            download: !sending && !use_picker.get_untracked(),
            lock_with_key: sending && lock_key.get_untracked(),
            destination,
        };
        Task::new(ctx)
            .progress(progress)
            .spawn(move |engine, tracker| async move {
                if opts.destination.is_some() {
                    let b = api::backup(&engine, opts, tracker.callback()).await?;
                    return Ok(match b.uploaded {
                        Some(u) => Msg::BackupSent {
                            target: u.target,
                            bytes: u.bytes,
                            parts: u.parts,
                        },
                        None => Msg::None,
                    });
                }
                let handle = if opts.download {
                    None
                } else {
                    match pick_save_file(&suggested_name()).await? {
                        Some(h) => Some(h),
                        None => return Ok(Msg::None),
                    }
                };
                let b = api::backup(&engine, opts, tracker.callback()).await?;
                match &handle {
                    Some(h) => save_to_handle(h, &b.blob).await?,
                    None => download(&b.blob, b.url.as_deref(), &b.file_name)?,
                }
                Ok(Msg::BackupCreated {
                    file_name: b.file_name,
                    records: b.records,
                    bytes: b.bytes,
                    skipped: b.skipped,
                })
            });
    };
    view! {
        <section class="card" aria-labelledby="backup-title">
            <h2 id="backup-title">{l.t(strings::BACKUP_TITLE)}</h2>
            <p>{l.t(strings::BACKUP_TEXT)}</p>
            <p class="risk">{l.t(strings::BACKUP_RISK)}</p>
            <SelectionList databases=databases selection=selection.into() on_tick=Callback::new(move |t| selection.update(|s| apply_tick(s, t))) />
            <PartsSelection parts=parts selection=selection.into() on_tick=Callback::new(move |(p, on): (crate::state::PartItem, bool)| selection.update(|s| s.set_part(&p, on))) />
            <label>
                <input type="checkbox" prop:checked=move || lock.get() on:change=move |ev| lock.set(event_target_checked(&ev)) />
                {l.t("Encrypt the whole backup with a passphrase")}
            </label>
            <Show when=move || lock.get()>
                <label class="field">
                    {l.t("Backup passphrase")}
                    <input type="password" node_ref=pass autocomplete="new-password" />
                </label>
            </Show>
            <Show when=move || ctx.destinations.with(|d| !d.is_empty())>
                <label class="field inline">
                    {l.t("Send to destination")}
                    <select data-testid="backup-destination" on:change=move |ev| send_to.set(event_target_value(&ev))>
                        <option value="" selected=move || send_to.with(String::is_empty)>{l.t("Do not send (download only)")}</option>
                        {move || ctx.destinations.get().into_iter().map(|d| {
                            let id = d.id.clone();
                            let selected = {
                                let id = id.clone();
                                move || send_to.with(|s| *s == id)
                            };
                            view! { <option value=id.clone() selected=selected>{format!("{} ({})", d.id, d.location)}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <Show when=move || send_to.with(|s| !s.is_empty())>
                    <label>
                        <input type="checkbox" data-testid="backup-lock-key" prop:checked=move || lock_key.get() on:change=move |ev| lock_key.set(event_target_checked(&ev)) />
                        {l.t("Lock with the master key")}
                    </label>
                </Show>
            </Show>
            <Show
                when=has_save_picker
                fallback=move || view! { <p class="note" data-testid="no-save-picker">{l.t(strings::NO_SAVE_PICKER)}</p> }
            >
                <label>
                    <input type="checkbox" prop:checked=move || use_picker.get() on:change=move |ev| use_picker.set(event_target_checked(&ev)) />
                    {l.t("Choose where to save")}
                </label>
            </Show>
            <button
                type="button"
                on:click=start
                disabled=move || ctx.busy.get() || selection.with(SelectionState::is_empty)
            >
                {l.t(strings::BACKUP_TITLE)}
            </button>
            <ProgressBar progress=progress label="Backup progress" />
        </section>
    }
}
