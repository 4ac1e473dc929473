//! The "Restore backup" card: pick or drop a file, see it validated and
//! previewed, choose stores, confirm, restore. The flow's logic is the
//! plain struct [`RestoreFlow`]; the view is a file picker, the unlock
//! fields, the preview table and the confirmation dialog.

mod confirm;
mod file_picker;
mod preview;
mod unlock;

use coffer_protocol::{strings, KeyFileInput, Msg};
use leptos::html::Input;
use leptos::prelude::*;
use web_sys::File;

use self::confirm::ConfirmRestore;
use self::file_picker::FilePicker;
use self::preview::PreviewTable;
use self::unlock::UnlockFields;
use super::common::{input_file, read_text, secret, ProgressBar};
use super::selection::{apply_tick, PartsSelection, SelectionList};
use super::task::Task;
use super::use_ctx;
use crate::client::api::{self, UnlockOptions};
use crate::state::{RestoreFlow, TaskState};

/// The inputs of the unlock fields.
#[derive(Clone, Copy)]
struct UnlockInputs {
    passphrase: NodeRef<Input>,
    key_file: NodeRef<Input>,
    key_passphrase: NodeRef<Input>,
}

impl UnlockInputs {
    /// Empties them: a new file was picked, and what was entered for the
    /// last one (a key file, passphrases) does not apply to it. The inputs
    /// keep their values while hidden, and would be read for the new file.
    fn clear(self) {
        for input in [self.passphrase, self.key_file, self.key_passphrase] {
            if let Some(i) = input.get_untracked() {
                i.set_value("");
            }
        }
    }

    /// What they hold now (the key file read as text).
    async fn read(self) -> UnlockOptions {
        let key_file = match self.key_file.get_untracked().and_then(|i| input_file(&i)) {
            Some(f) => read_text(&f).await.ok().map(|text| KeyFileInput {
                text,
                passphrase: secret(self.key_passphrase.get_untracked()),
            }),
            None => None,
        };
        UnlockOptions {
            passphrase: secret(self.passphrase.get_untracked()),
            key_file,
            accept_unauthenticated: false,
        }
    }
}

/// Restores backups.
#[component]
pub fn RestoreCard() -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let flow = RwSignal::new(RestoreFlow::default());
    let file = StoredValue::new_local(None::<File>);
    let inputs = UnlockInputs {
        passphrase: NodeRef::new(),
        key_file: NodeRef::new(),
        key_passphrase: NodeRef::new(),
    };
    let progress = RwSignal::new(None::<TaskState>);
    let confirming = RwSignal::new(false);

    let inspect = Callback::new(move |()| {
        let Some(f) = file.get_value() else {
            return;
        };
        flow.update(RestoreFlow::checking);
        let scope = ctx.scope.get_untracked();
        Task::new(ctx)
            .not_busy()
            .progress(progress)
            .spawn(move |engine, tracker| async move {
                let unlock = inputs.read().await;
                match api::inspect(&engine, &f, &scope, &unlock, tracker.callback()).await {
                    Ok(p) => {
                        let msg = Msg::BackupChecked {
                            records: p.records,
                            databases: p.databases.len() as u64,
                            bytes: p.bytes,
                        };
                        flow.update(|x| x.checked(p));
                        Ok(msg)
                    }
                    Err(e) => {
                        flow.update(|x| x.failed(&e));
                        Err(e)
                    }
                }
            });
    });
    let choose = Callback::new(move |f: File| {
        flow.update(|x| x.chose(f.name()));
        inputs.clear();
        file.set_value(Some(f));
        inspect.run(());
    });
    // A backup downloaded from a destination goes through the same check,
    // preview and confirmation as a picked file.
    Effect::new(move |_| {
        if let Some(f) = ctx.remote_file.get() {
            ctx.remote_file.set(None);
            choose.run(f);
            if let Some(h) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id("restore-title"))
            {
                h.scroll_into_view();
                if let Ok(h) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(h) {
                    let _ = h.focus();
                }
            }
        }
    });
    let restore_now = Callback::new(move |()| {
        confirming.set(false);
        let Some(f) = file.get_value() else {
            return;
        };
        let selection = flow.with_untracked(|x| x.selection.selection());
        let trusted = flow.with_untracked(|x| x.trusted);
        let scope = ctx.scope.get_untracked();
        Task::new(ctx)
            .progress(progress)
            .refresh()
            .spawn(move |engine, tracker| async move {
                let mut unlock = inputs.read().await;
                unlock.accept_unauthenticated = trusted;
                let r =
                    api::restore(&engine, &f, selection, &scope, &unlock, tracker.callback()).await;
                match r {
                    Ok(r) => {
                        flow.update(RestoreFlow::restored);
                        Ok(Msg::RestoreComplete {
                            records: r.records,
                            stores: r.stores,
                            databases: r.databases,
                            resealed: r.resealed,
                            parts: r.parts,
                        })
                    }
                    Err(e) => {
                        flow.update(|x| x.failed(&e));
                        Err(e)
                    }
                }
            });
    });
    let selection = Signal::derive(move || flow.with(|x| x.selection.clone()));
    let on_tick = Callback::new(move |t| flow.update(|x| apply_tick(&mut x.selection, t)));
    let on_part_tick = Callback::new(move |(p, on): (crate::state::PartItem, bool)| {
        flow.update(|x| x.selection.set_part(&p, on))
    });
    let preview_parts = Signal::derive(move || {
        flow.with(|x| {
            x.preview
                .as_ref()
                .map(|p| p.parts.clone())
                .unwrap_or_default()
        })
    });
    let preview_dbs = Signal::derive(move || {
        flow.with(|x| {
            x.preview
                .as_ref()
                .map(|p| p.databases.clone())
                .unwrap_or_default()
        })
    });
    view! {
        <section class="card" aria-labelledby="restore-title">
            <h2 id="restore-title" tabindex="-1">{l.t(strings::RESTORE_TITLE)}</h2>
            <p>{l.t(strings::RESTORE_TEXT)}</p>
            <p class="risk">{l.t(strings::RESTORE_RISK)}</p>
            <FilePicker on_file=choose file_name=Signal::derive(move || flow.with(|x| x.file_name.clone())) />
            <UnlockFields
                need_passphrase=Signal::derive(move || flow.with(|x| x.need_passphrase))
                need_key=Signal::derive(move || flow.with(|x| x.need_key.clone()))
                passphrase=inputs.passphrase
                key_file=inputs.key_file
                key_passphrase=inputs.key_passphrase
                on_unlock=inspect
            />
            <Show when=move || flow.with(|x| x.preview.is_some())>
                <div class="preview" data-testid="preview">
                    {move || flow.with(|x| x.preview.clone()).map(|p| view! { <PreviewTable preview=p /> })}
                    <Show when=move || flow.with(RestoreFlow::unauthenticated)>
                        <label class="trust">
                            <input
                                type="checkbox"
                                prop:checked=move || flow.with(|x| x.trusted)
                                on:change=move |ev| flow.update(|x| x.trusted = event_target_checked(&ev))
                            />
                            {l.t("I trust where this file came from: restore it although it is unauthenticated")}
                        </label>
                    </Show>
                    <SelectionList databases=preview_dbs selection=selection on_tick=on_tick restore=true />
                    <PartsSelection parts=preview_parts selection=selection on_tick=on_part_tick restore=true />
                </div>
            </Show>
            <button
                type="button"
                on:click=move |_| confirming.set(true)
                disabled=move || !flow.with(|x| x.can_restore(ctx.busy.get()))
            >
                {l.t(strings::RESTORE_TITLE)}
            </button>
            <ProgressBar progress=progress label="Restore progress" />
            <ConfirmRestore
                open=confirming
                ticked=Signal::derive(move || flow.with(|x| x.selection.ticked(l)))
                on_confirm=restore_now
            />
        </section>
    }
}
