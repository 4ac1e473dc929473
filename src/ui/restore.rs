//! The "Restore backup" card: pick or drop a file, see it validated and
//! previewed, choose stores, confirm, restore.

use leptos::html::Input;
use leptos::prelude::*;
use web_sys::File;

use super::backup::SelectionList;
use super::common::{input_file, read_text, track_progress, Dialog, ProgressBar};
use super::use_ctx;
use crate::client::Attachments;
use crate::error::AppError;
use crate::protocol::{KeyFileInput, Outcome, Preview, ProgressInfo, Request};
use crate::state::SelectionState;
use crate::strings;

/// Restores backups.
#[component]
pub fn RestoreCard() -> impl IntoView {
    let ctx = use_ctx();
    let file = StoredValue::new_local(None::<File>);
    let file_name = RwSignal::new(String::new());
    let pass: NodeRef<Input> = NodeRef::new();
    let key_input: NodeRef<Input> = NodeRef::new();
    let key_pass: NodeRef<Input> = NodeRef::new();
    let preview = RwSignal::new(None::<Preview>);
    let need_pass = RwSignal::new(false);
    let need_key = RwSignal::new(None::<String>);
    let selection = RwSignal::new(SelectionState::default());
    let confirm = RwSignal::new(false);
    let progress = RwSignal::new(None::<(String, ProgressInfo)>);
    let checking = RwSignal::new(false);

    let passphrase = move || {
        pass.get_untracked()
            .map(|i| i.value())
            .filter(|p| !p.is_empty())
    };
    let key_file = move || async move {
        let input = key_input.get_untracked()?;
        let f = input_file(&input)?;
        let text = read_text(&f).await.ok()?;
        Some(KeyFileInput {
            text,
            passphrase: key_pass
                .get_untracked()
                .map(|i| i.value())
                .filter(|p| !p.is_empty()),
        })
    };
    let on_error = move |e: &AppError| {
        match e.code.as_str() {
            "passphrase-required" | "wrong-passphrase" => need_pass.set(true),
            "key-required" | "wrong-key" | "mac-mismatch" if need_key.get_untracked().is_none() => {
                need_key.set(Some(String::new()));
            }
            _ => {}
        }
        ctx.fail(e);
    };
    let inspect = move || {
        let Some(f) = file.get_value() else {
            return;
        };
        let engine = ctx.engine.get_value();
        preview.set(None);
        checking.set(true);
        progress.set(Some(("Checking".into(), ProgressInfo::default())));
        leptos::task::spawn_local(async move {
            let kf = key_file().await;
            let r = engine
                .call(
                    Request::Inspect {
                        passphrase: passphrase(),
                        key_file: kf,
                    },
                    Attachments {
                        file: Some(f.into()),
                        ..Attachments::default()
                    },
                    track_progress(ctx, progress),
                )
                .await;
            checking.set(false);
            progress.set(None);
            match r {
                Ok((Outcome::Preview(p), _)) => {
                    selection.set(SelectionState::all(&p.databases));
                    if !p.key_ok {
                        need_key.set(p.backup_key_id.clone());
                    }
                    ctx.announce(format!(
                        "Backup checked: {} records in {} database(s), {}. Nothing has been written yet.",
                        p.records,
                        p.databases.len(),
                        strings::bytes(p.bytes)
                    ));
                    preview.set(Some(p));
                }
                Ok(_) => {}
                Err(e) => on_error(&e),
            }
        });
    };
    let choose = move |f: File| {
        file_name.set(f.name());
        file.set_value(Some(f));
        need_pass.set(false);
        need_key.set(None);
        inspect();
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(f) = input_file(&input) {
            choose(f);
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        if let Some(f) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|l| l.get(0))
        {
            choose(f);
        }
    };
    let restore_now = move |_| {
        confirm.set(false);
        let Some(f) = file.get_value() else {
            return;
        };
        let engine = ctx.engine.get_value();
        let sel = selection.get_untracked().selection();
        ctx.busy.set(true);
        progress.set(Some(("Starting".into(), ProgressInfo::default())));
        leptos::task::spawn_local(async move {
            let kf = key_file().await;
            let r = engine
                .call(
                    Request::Restore {
                        selection: sel,
                        passphrase: passphrase(),
                        key_file: kf,
                    },
                    Attachments {
                        file: Some(f.into()),
                        ..Attachments::default()
                    },
                    track_progress(ctx, progress),
                )
                .await;
            ctx.busy.set(false);
            progress.set(None);
            match r {
                Ok((
                    Outcome::Restored {
                        databases,
                        stores,
                        records,
                        resealed,
                    },
                    _,
                )) => {
                    let mut t = format!("Restore complete: {records} records in {stores} store(s) of {databases} database(s).");
                    if resealed > 0 {
                        t.push_str(&format!(" {resealed} encrypted records were re-sealed to the current master key."));
                    }
                    ctx.announce(t);
                    preview.set(None);
                }
                Ok(_) => {}
                Err(e) => on_error(&e),
            }
            ctx.refresh();
        });
    };
    let preview_dbs =
        Signal::derive(move || preview.get().map(|p| p.databases).unwrap_or_default());
    view! {
        <section class="card" aria-labelledby="restore-title">
            <h2 id="restore-title">{strings::RESTORE_TITLE}</h2>
            <p>{strings::RESTORE_TEXT}</p>
            <p class="risk">{strings::RESTORE_RISK}</p>
            <div
                class="dropzone"
                data-testid="dropzone"
                on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                on:drop=on_drop
            >
                <label class="field">
                    "Backup file"
                    <input type="file" accept=".zip,.coffer,application/zip" on:change=on_pick />
                </label>
                <span>"or drop it here"</span>
                <span class="file-name">{move || file_name.get()}</span>
            </div>
            <Show when=move || need_pass.get()>
                <div class="field-row">
                    <label class="field">
                        "Backup passphrase"
                        <input type="password" node_ref=pass autocomplete="off" />
                    </label>
                    <button type="button" class="secondary" on:click=move |_| inspect()>"Unlock"</button>
                </div>
            </Show>
            <Show when=move || need_key.get().is_some()>
                <div class="field-row">
                    <p>
                        {move || match need_key.get() {
                            Some(id) if !id.is_empty() => format!("The encrypted stores need the key file of master key id {id}."),
                            _ => "The encrypted stores need the key file of the backup's master key.".to_owned(),
                        }}
                    </p>
                    <label class="field">
                        "Key file"
                        <input type="file" accept=".json,application/json" node_ref=key_input on:change=move |_| inspect() />
                    </label>
                    <label class="field">
                        "Key file passphrase (if any)"
                        <input type="password" node_ref=key_pass autocomplete="off" />
                    </label>
                    <button type="button" class="secondary" on:click=move |_| inspect()>"Use key file"</button>
                </div>
            </Show>
            <Show when=move || preview.get().is_some()>
                <div class="preview" data-testid="preview">
                    {move || preview.get().map(|p| view! {
                        <p>{format!("Created {}{}", p.created, if p.locked { " · passphrase-locked" } else { "" })}</p>
                        <p>{match (&p.backup_key_id, &p.current_key_id) {
                            (Some(b), Some(c)) if b == c => format!("Master key id {b}: matches this site's key."),
                            (Some(b), _) if p.key_ok => format!("Sealed under key id {b}: records will be re-sealed to this site's key."),
                            (Some(b), _) => format!("Sealed under key id {b}: not this site's key."),
                            _ => "No master key recorded.".to_owned(),
                        }}</p>
                        <table>
                            <thead><tr><th scope="col">"Database"</th><th scope="col">"Store"</th><th scope="col" class="num">"Records"</th><th scope="col">"Effect"</th></tr></thead>
                            <tbody>
                                {p.databases.iter().flat_map(|d| d.stores.iter().map(move |s| view! {
                                    <tr>
                                        <td>{d.name.clone()}</td>
                                        <td>{s.name.clone()}{s.encrypted.then(|| view! { <span class="badge">"encrypted"</span> })}</td>
                                        <td class="num">{s.records}</td>
                                        <td>{if s.exists { "overwrites existing store" } else { "new" }}</td>
                                    </tr>
                                })).collect_view()}
                            </tbody>
                        </table>
                    })}
                    <SelectionList databases=preview_dbs selection=selection verb="Restore" />
                </div>
            </Show>
            <button
                type="button"
                on:click=move |_| confirm.set(true)
                disabled=move || ctx.busy.get() || checking.get() || preview.get().is_none() || selection.get().is_empty()
            >
                "Restore backup"
            </button>
            <ProgressBar progress=progress label="Restore progress" />
            <Dialog open=confirm title="Restore this backup?">
                <p>"These stores will be replaced by the backup's contents. Records added since the backup are lost:"</p>
                <ul>
                    {move || selection.get().items.into_iter().filter(|(_, _, on)| *on).map(|(d, s, _)| view! { <li>{format!("{d} / {s}")}</li> }).collect_view()}
                </ul>
                <div class="actions">
                    <button type="button" class="danger" on:click=restore_now>"Restore now"</button>
                    <button type="button" class="secondary" on:click=move |_| confirm.set(false)>"Cancel"</button>
                </div>
            </Dialog>
        </section>
    }
}
