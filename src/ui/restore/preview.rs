//! What a checked backup holds, and what restoring it would overwrite.

use coffer_protocol::{Part, Preview};
use leptos::prelude::*;

use crate::ui::use_ctx;

/// The backup's creation time, key relation and one row per store.
#[component]
pub fn PreviewTable(
    /// The checked backup.
    preview: Preview,
) -> impl IntoView {
    let l = use_ctx().lang();
    let p = preview;
    view! {
        <p>{l.created(&p.created, p.locked)}</p>
        <p>{l.backup_key(p.backup_key_id.as_deref(), p.current_key_id.as_deref(), p.key_ok)}</p>
        {l.authentication(&p.authentication).map(|t| view! { <p class="risk" role="alert" data-testid="unauthenticated">{t}</p> })}
        <table>
            <thead><tr><th scope="col">{l.t("Database")}</th><th scope="col">{l.t("Store")}</th><th scope="col" class="num">{l.t("Records")}</th><th scope="col">{l.t("Effect")}</th></tr></thead>
            <tbody>
                {p.databases.iter().flat_map(|d| d.stores.iter().map(move |s| view! {
                    <tr>
                        <td>{d.name.clone()}</td>
                        <td>{s.name.clone()}{s.encrypted.then(|| view! { <span class="badge">{l.t("encrypted")}</span> })}</td>
                        <td class="num">{s.records}</td>
                        <td>{l.t(if s.exists { "overwrites existing store" } else { "new" })}</td>
                    </tr>
                })).collect_view()}
                {p.parts.local_storage.map(|ls| view! {
                    <tr data-testid="preview-local-storage">
                        <td colspan="2">{l.part_label(Part::LocalStorage)}</td>
                        <td class="num">{l.items(ls.items)}</td>
                        <td>{l.part_effect(Part::LocalStorage, true)}</td>
                    </tr>
                })}
                {p.parts.opfs.clone().map(|o| view! {
                    <tr data-testid="preview-opfs">
                        <td colspan="2">{l.part_label(Part::Opfs)}</td>
                        <td class="num">{l.files_in_folders(o.files, o.directories)}</td>
                        <td>{l.part_effect(Part::Opfs, true)}</td>
                    </tr>
                })}
                {p.parts.caches.clone().unwrap_or_default().into_iter().map(|c| view! {
                    <tr data-testid=format!("preview-cache-{}", c.name)>
                        <td>{l.part_label(Part::Caches)}</td>
                        <td>{c.name.clone()}</td>
                        <td class="num">{l.responses(c.entries)}</td>
                        <td>{l.part_effect(Part::Caches, c.exists)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
