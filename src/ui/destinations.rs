//! The "Destinations" card: the stored destinations (no secrets), a form
//! to add or edit one, "Test connection", and the list of backups on a
//! destination with "Restore…", which downloads the file and hands it to
//! the "Restore backup" card's normal check, preview and confirmation.
//! The logic is [`DestCard`] and [`DestForm`] (`src/destform.rs`).

use coffer_protocol::strings::{self, DEST_NONE, DEST_RISK, DEST_TEXT, DEST_TITLE};
use coffer_protocol::{DestinationInfo, DestinationKind, Msg};
use leptos::html::Input;
use leptos::prelude::*;

use super::common::{secret, ProgressBar};
use super::task::Task;
use super::{use_ctx, Ctx};
use crate::client::api;
use crate::destform::{DestCard, DestForm};
use crate::state::TaskState;

/// Reloads [`Ctx::destinations`].
pub fn refresh(ctx: Ctx) {
    let engine = ctx.engine.get_value();
    leptos::task::spawn_local(async move {
        if let Ok(ds) = api::dest_list(&engine).await {
            let _ = ctx.destinations.try_set(ds);
        }
    });
}

/// One text field of the form.
#[component]
fn FormField(
    form: RwSignal<Option<DestForm>>,
    label: &'static str,
    testid: &'static str,
    get: fn(&DestForm) -> String,
    set: fn(&mut DestForm, String),
    #[prop(optional)] disabled: bool,
) -> impl IntoView {
    let l = use_ctx().lang();
    view! {
        <label class="field">
            {l.t(label)}
            <input
                type="text"
                autocomplete="off"
                spellcheck="false"
                data-testid=testid
                disabled=disabled
                prop:value=move || form.with(|f| f.as_ref().map(get).unwrap_or_default())
                on:input=move |ev| form.update(|f| if let Some(f) = f { set(f, event_target_value(&ev)) })
            />
        </label>
    }
}

/// The add/edit form.
#[component]
fn DestFormView(card: RwSignal<DestCard>) -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let form = RwSignal::new(card.with_untracked(|c| c.form.clone()));
    let secret_input: NodeRef<Input> = NodeRef::new();
    let editing = form.with_untracked(|f| f.as_ref().is_some_and(|f| f.editing));
    let is_s3 = move || form.with(|f| f.as_ref().is_some_and(|f| f.kind == DestinationKind::S3));
    let save = move |_| {
        let Some(f) = form.get_untracked() else {
            return;
        };
        let pw = secret(secret_input.get_untracked()).unwrap_or_default();
        let (id, settings) = match f.settings(pw) {
            Ok(x) => x,
            Err(e) => return ctx.fail(e),
        };
        if let Some(i) = secret_input.get_untracked() {
            i.set_value("");
        }
        Task::new(ctx)
            .not_busy()
            .spawn(move |engine, _| async move {
                let ds = api::dest_save(&engine, &id, settings).await?;
                ctx.destinations.set(ds);
                card.update(DestCard::close);
                Ok(Msg::DestinationSaved { id })
            });
    };
    view! {
        <form class="field-row dest-form" data-testid="dest-form" on:submit=move |ev| { ev.prevent_default(); save(()); }>
            <label class="field inline">
                {l.t("Kind")}
                <select
                    data-testid="dest-kind"
                    disabled=editing
                    on:change=move |ev| {
                        let k = if event_target_value(&ev) == "webdav" { DestinationKind::WebDav } else { DestinationKind::S3 };
                        form.update(|f| if let Some(f) = f { f.kind = k });
                    }
                >
                    <option value="s3" selected=is_s3>{l.t("S3-compatible storage")}</option>
                    <option value="webdav" selected=move || !is_s3()>{l.t("WebDAV share")}</option>
                </select>
            </label>
            <FormField form=form label="Name (letters, digits, - and _)" testid="dest-id" get=|f| f.id.clone() set=|f, v| f.id = v disabled=editing />
            <Show
                when=is_s3
                fallback=move || view! {
                    <FormField form=form label="Address of the folder" testid="dest-url" get=|f| f.url.clone() set=|f, v| f.url = v />
                    <FormField form=form label="User name" testid="dest-user" get=|f| f.user.clone() set=|f, v| f.user = v />
                }
            >
                <FormField form=form label="Endpoint" testid="dest-endpoint" get=|f| f.endpoint.clone() set=|f, v| f.endpoint = v />
                <FormField form=form label="Region" testid="dest-region" get=|f| f.region.clone() set=|f, v| f.region = v />
                <FormField form=form label="Bucket" testid="dest-bucket" get=|f| f.bucket.clone() set=|f, v| f.bucket = v />
                <FormField form=form label="Prefix (folder in the bucket)" testid="dest-prefix" get=|f| f.prefix.clone() set=|f, v| f.prefix = v />
                <FormField form=form label="Access key id" testid="dest-access-key" get=|f| f.access_key_id.clone() set=|f, v| f.access_key_id = v />
            </Show>
            <label class="field">
                {move || l.t(if is_s3() { "Secret access key" } else { "Password" })}
                <input type="password" node_ref=secret_input autocomplete="new-password" data-testid="dest-secret" />
                {editing.then(|| view! { <span class="note">{l.t("Leave empty to keep the stored one.")}</span> })}
            </label>
            <div class="actions">
                <button type="submit" data-testid="dest-save">{l.t("Save destination")}</button>
                <button type="button" class="secondary" on:click=move |_| card.update(DestCard::close)>{l.t("Cancel")}</button>
            </div>
        </form>
    }
}

/// One stored destination and its actions.
#[component]
fn DestRow(
    d: DestinationInfo,
    card: RwSignal<DestCard>,
    progress: RwSignal<Option<TaskState>>,
) -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let id = d.id.clone();
    let kind = match d.kind {
        DestinationKind::S3 => "S3",
        DestinationKind::WebDav => "WebDAV",
    };
    let test = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            Task::new(ctx)
                .not_busy()
                .spawn(move |engine, _| async move {
                    let t = api::dest_test(&engine, &id).await?;
                    Ok(Msg::DestinationOk {
                        id,
                        backups: t.backups,
                    })
                });
        }
    };
    let show = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            Task::new(ctx)
                .not_busy()
                .progress(progress)
                .spawn(move |engine, _| async move {
                    let b = api::dest_backups(&engine, &id).await?;
                    card.update(|c| c.backups = Some((id, b)));
                    Ok(Msg::None)
                });
        }
    };
    let remove = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            Task::new(ctx)
                .not_busy()
                .spawn(move |engine, _| async move {
                    let ds = api::dest_remove(&engine, &id).await?;
                    card.update(|c| c.listed(&ds));
                    ctx.destinations.set(ds);
                    Ok(Msg::DestinationRemoved { id })
                });
        }
    };
    let edit_info = d.clone();
    view! {
        <li class="dest" data-testid=format!("dest-{id}")>
            <div>
                <strong>{d.id.clone()}</strong>
                <span class="badge">{kind}</span>
                <div class="file-name">{d.location.clone()}</div>
            </div>
            <div class="actions">
                <button type="button" class="secondary" on:click=test disabled=move || ctx.busy.get()>{l.t("Test connection")}</button>
                <button type="button" class="secondary" on:click=show disabled=move || ctx.busy.get()>{l.t("Show backups")}</button>
                <button type="button" class="secondary" on:click=move |_| card.update(|c| c.edit(&edit_info))>{l.t("Edit")}</button>
                <button type="button" class="secondary" on:click=remove disabled=move || ctx.busy.get()>{l.t("Remove")}</button>
            </div>
        </li>
    }
}

/// The backups on one destination, each with "Restore…".
#[component]
fn RemoteList(card: RwSignal<DestCard>) -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let restore = move |id: String, name: String| {
        Task::new(ctx)
            .not_busy()
            .spawn(move |engine, _| async move {
                let (fetched, file) = api::dest_fetch(&engine, &id, &name).await?;
                ctx.remote_file.set(Some(file));
                Ok(Msg::RemoteFetched {
                    source: fetched.source,
                })
            });
    };
    move || {
        card.with(|c| c.backups.clone()).map(|(id, backups)| {
            let caption = format!("{} {id}", l.t("Backups on"));
            let region = caption.clone();
            if backups.is_empty() {
                return view! { <p class="note" data-testid="remote-empty">{l.t("No backups on this destination.")}</p> }.into_any();
            }
            let rows = backups.into_iter().map(|b| {
                let (id, name) = (id.clone(), b.name.clone());
                let label = format!("{} {}", l.t("Restore…"), b.name);
                view! {
                    <tr>
                        <td class="file-name">{b.name.clone()}</td>
                        <td class="num">{strings::bytes(b.bytes)}</td>
                        <td>{b.modified.clone()}</td>
                        <td>
                            <button
                                type="button"
                                class="secondary"
                                aria-label=label
                                disabled=move || ctx.busy.get()
                                on:click=move |_| restore(id.clone(), name.clone())
                            >
                                {l.t("Restore…")}
                            </button>
                        </td>
                    </tr>
                }
            }).collect_view();
            view! {
                <div class="table-scroll" data-testid="remote-backups" tabindex="0" role="region" aria-label=region>
                    <table>
                        <caption>{caption}</caption>
                        <thead><tr>
                            <th scope="col">{l.t("File")}</th>
                            <th scope="col" class="num">{l.t("Size")}</th>
                            <th scope="col">{l.t("Modified")}</th>
                            <th scope="col"><span class="visually-hidden">{l.t("Restore…")}</span></th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }.into_any()
        })
    }
}

/// The "Destinations" card.
#[component]
pub fn DestinationsCard() -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let card = RwSignal::new(DestCard::default());
    let progress = RwSignal::new(None::<TaskState>);
    // The form is made anew only when it opens, closes or edits another
    // destination, not when the backups list changes.
    let form_open =
        Memo::new(move |_| card.with(|c| c.form.as_ref().map(|f| (f.id.clone(), f.editing))));
    refresh(ctx);
    view! {
        <section class="card destinations" aria-labelledby="dest-title">
            <h2 id="dest-title">{l.t(DEST_TITLE)}</h2>
            <p>{l.t(DEST_TEXT)}</p>
            <p class="risk">{l.t(DEST_RISK)}</p>
            {move || {
                let ds = ctx.destinations.get();
                if ds.is_empty() {
                    view! { <p class="note">{l.t(DEST_NONE)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="dest-list">
                            {ds.into_iter().map(|d| view! { <DestRow d=d card=card progress=progress /> }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
            {move || {
                match form_open.get() {
                    Some(_) => view! { <DestFormView card=card /> }.into_any(),
                    None => view! {
                        <div class="actions">
                            <button type="button" data-testid="dest-add" on:click=move |_| card.update(DestCard::add)>{l.t("Add destination")}</button>
                        </div>
                    }.into_any(),
                }
            }}
            <ProgressBar progress=progress label="Destination progress" />
            <RemoteList card=card />
        </section>
    }
}
