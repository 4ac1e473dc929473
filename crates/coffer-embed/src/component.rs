//! The Leptos component for host apps written in Leptos.

use leptos::html::Div;
use leptos::prelude::*;

use super::config::BackupConfig;
use super::element::{mount_in_shadow, Embedded};

/// The whole Backup Management system in one line, isolated in its own
/// Shadow DOM, with the same options as the `<coffer-backup>` element:
///
/// ```ignore
/// use coffer_embed::{BackupConfig, BackupManagement, Theme};
/// view! { <BackupManagement config=BackupConfig::new().exclude(["cache"]).theme(Theme::Dark) /> }
/// ```
///
/// The engine worker must be reachable: copy `coffer-worker.js` and
/// `worker_bg.wasm` from the embed artifact next to your page, or point
/// [`BackupConfig::worker_url`] at them.
#[component]
pub fn BackupManagement(
    /// What to show and how (default: everything, automatic theme).
    #[prop(optional)]
    config: BackupConfig,
) -> impl IntoView {
    let host: NodeRef<Div> = NodeRef::new();
    let mounted = StoredValue::new_local(None::<Embedded>);
    let config = StoredValue::new(config);
    Effect::new(move |_| {
        let Some(el) = host.get() else {
            return;
        };
        if mounted.with_value(|m| m.is_some()) {
            return;
        }
        match mount_in_shadow(el.into(), config.get_value()) {
            Ok(e) => mounted.set_value(Some(e)),
            Err(e) => leptos::logging::error!("Coffer: {} ({})", e.message, e.code),
        }
    });
    on_cleanup(move || {
        if let Some(Some(m)) = mounted.try_update_value(|m| m.take()) {
            m.unmount();
        }
    });
    view! { <div class="coffer-backup" node_ref=host></div> }
}
