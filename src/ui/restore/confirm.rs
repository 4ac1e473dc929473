//! The "Restore now" confirmation.

use leptos::prelude::*;

use crate::ui::dialog::{Dialog, DialogActions};
use crate::ui::use_ctx;

/// Lists the stores that will be replaced; `on_confirm` restores.
#[component]
pub fn ConfirmRestore(
    /// Whether the dialog is open.
    open: RwSignal<bool>,
    /// The ticked stores, `database / store`.
    ticked: Signal<Vec<String>>,
    /// Restores.
    on_confirm: Callback<()>,
) -> impl IntoView {
    let l = use_ctx().lang();
    view! {
        <Dialog open=open title="Restore this backup?">
            <p>{l.t("These stores will be replaced by the backup's contents. Records added since the backup are lost:")}</p>
            <ul>
                {move || ticked.get().into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}
            </ul>
            <DialogActions slot>
                <button type="button" class="danger" on:click=move |_| on_confirm.run(())>{l.t("Restore now")}</button>
                <button type="button" class="secondary" on:click=move |_| open.set(false)>{l.t("Cancel")}</button>
            </DialogActions>
        </Dialog>
    }
}
