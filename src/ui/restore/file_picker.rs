//! Picking or dropping the backup file.

use leptos::prelude::*;
use web_sys::File;

use crate::ui::common::input_file;
use crate::ui::use_ctx;

/// A file input inside a drop zone; `on_file` hears the chosen file.
#[component]
pub fn FilePicker(
    /// Called with the picked or dropped file.
    on_file: Callback<File>,
    /// The current file's name.
    file_name: Signal<String>,
) -> impl IntoView {
    let l = use_ctx().lang();
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(f) = input_file(&input) {
            on_file.run(f);
        }
        // Emptied, so that choosing the same file again (after a restore,
        // or after it changed on disk) is a change again.
        input.set_value("");
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        if let Some(f) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|l| l.get(0))
        {
            on_file.run(f);
        }
    };
    view! {
        <div
            class="dropzone"
            data-testid="dropzone"
            on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
            on:drop=on_drop
        >
            <label class="field">
                {l.t("Backup file")}
                <input type="file" accept=".zip,.coffer,application/zip" on:change=on_pick />
            </label>
            <span>{l.t("or drop it here")}</span>
            <span class="file-name">{move || file_name.get()}</span>
        </div>
    }
}
