//! The fields a locked backup or a backup under another key asks for.

use leptos::html::Input;
use leptos::prelude::*;

use crate::ui::use_ctx;

/// The backup passphrase (when asked for) and the key file with its
/// passphrase (when asked for); `on_unlock` checks the file again.
#[component]
pub fn UnlockFields(
    /// Whether the backup's passphrase is asked for.
    need_passphrase: Signal<bool>,
    /// Whether a key file is asked for, and of which key id.
    need_key: Signal<Option<String>>,
    /// The passphrase input.
    passphrase: NodeRef<Input>,
    /// The key file input.
    key_file: NodeRef<Input>,
    /// The key file's passphrase input.
    key_passphrase: NodeRef<Input>,
    /// Checks the file again with what was entered.
    on_unlock: Callback<()>,
) -> impl IntoView {
    let l = use_ctx().lang();
    view! {
        <Show when=move || need_passphrase.get()>
            <div class="field-row">
                <label class="field">
                    {l.t("Backup passphrase")}
                    <input type="password" node_ref=passphrase autocomplete="off" />
                </label>
                <button type="button" class="secondary" on:click=move |_| on_unlock.run(())>{l.t("Unlock")}</button>
            </div>
        </Show>
        <Show when=move || need_key.with(Option::is_some)>
            <div class="field-row">
                <p>
                    {move || match need_key.get() {
                        Some(id) if !id.is_empty() => l.need_key_file(&id),
                        _ => l.t("The encrypted stores need the key file of the backup's master key.").to_owned(),
                    }}
                </p>
                <label class="field">
                    {l.t("Key file")}
                    <input type="file" accept=".json,application/json" node_ref=key_file on:change=move |_| on_unlock.run(()) />
                </label>
                <label class="field">
                    {l.t("Key file passphrase (if any)")}
                    <input type="password" node_ref=key_passphrase autocomplete="off" />
                </label>
                <button type="button" class="secondary" on:click=move |_| on_unlock.run(())>{l.t("Use key file")}</button>
            </div>
        </Show>
    }
}
