//! "Back up automatically": the folder, the schedule and the retention,
//! the line "Last backup: 3 days ago" under the overview, and the
//! scheduler that asks the worker every [`tick_ms`] whether a backup is
//! due. A run that cannot write the folder is announced at once and stays
//! on screen (the card and the overview) until a run succeeds; the next
//! tick retries.

use coffer_protocol::auto::Reminder;
use coffer_protocol::strings::{self, AUTO_TEXT, AUTO_TITLE, AUTO_UNSUPPORTED};
use coffer_protocol::{AutoState, Failure, Msg};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::common::{js_failure, ProgressBar};
use super::task::Task;
use super::{use_ctx, Ctx};
use crate::client::api;
use crate::schedule::{tick_ms, AutoForm};
use crate::state::TaskState;

/// Whether this browser has `showDirectoryPicker`.
pub fn has_directory_picker() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"showDirectoryPicker".into()).ok())
        .is_some_and(|f| f.is_function())
}

/// Asks the user for a folder (`None`: they cancelled).
async fn pick_folder() -> Result<Option<JsValue>, Failure> {
    let w = web_sys::window()
        .ok_or_else(|| Failure::new(coffer_protocol::ErrorCode::BrowserError, "no window"))?;
    let f: js_sys::Function = js_sys::Reflect::get(&w, &"showDirectoryPicker".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| {
            Failure::new(
                coffer_protocol::ErrorCode::BrowserUnsupported,
                "no directory picker",
            )
        })?;
    let o = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&o, &"mode".into(), &"readwrite".into());
    let _ = js_sys::Reflect::set(&o, &"id".into(), &"coffer-auto".into());
    let p: js_sys::Promise = f
        .call1(&w, &o)
        .map_err(|e| js_failure("cannot choose a folder", &e))?
        .unchecked_into();
    match JsFuture::from(p).await {
        Ok(h) => Ok(Some(h)),
        Err(e) => {
            let (name, _) = match e.dyn_ref::<js_sys::Error>() {
                Some(err) => (String::from(err.name()), ()),
                None => (String::new(), ()),
            };
            if name == "AbortError" {
                Ok(None)
            } else {
                Err(js_failure("cannot choose a folder", &e))
            }
        }
    }
}

/// Asks the browser again for write access to the folder (a click must
/// have started this), then runs a backup at once.
async fn grant_again(ctx: Ctx) -> Result<(), Failure> {
    let engine = ctx.engine.get_value();
    let (_, handle) = api::auto_state_and_folder(&engine).await?;
    let f: Option<js_sys::Function> = js_sys::Reflect::get(&handle, &"requestPermission".into())
        .ok()
        .and_then(|f| f.dyn_into().ok());
    if let Some(f) = f {
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &"mode".into(), &"readwrite".into());
        let p: js_sys::Promise = f
            .call1(&handle, &o)
            .map_err(|e| js_failure("cannot ask for access to the folder", &e))?
            .unchecked_into();
        JsFuture::from(p)
            .await
            .map_err(|e| js_failure("cannot ask for access to the folder", &e))?;
    }
    run(ctx, true, None);
    Ok(())
}

/// Reloads [`Ctx::auto`].
pub fn refresh(ctx: Ctx) {
    let engine = ctx.engine.get_value();
    leptos::task::spawn_local(async move {
        if let Ok(s) = api::auto_state(&engine).await {
            let _ = ctx.auto.try_set(Some(s));
        }
    });
}

/// Runs a backup now if one is due (or `force`), then reloads the state.
pub fn run(ctx: Ctx, force: bool, progress: Option<super::task::TaskProgress>) {
    let mut t = Task::new(ctx).not_busy();
    if let Some(p) = progress {
        t = t.progress(p);
    }
    t.spawn(move |engine, tracker| async move {
        let r = api::auto_run(&engine, force, tracker.callback()).await;
        refresh(ctx);
        let ran = r?;
        Ok(match ran.file_name {
            Some(file_name) if ran.ran => Msg::AutoBackupWritten {
                file_name,
                deleted: ran.deleted.len() as u64,
            },
            _ => Msg::None,
        })
    });
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// Starts the scheduler: asks at once (a backup overdue at start runs
/// now), then every [`tick_ms`] of the current settings.
fn schedule(ctx: Ctx) {
    fn arm(ctx: Ctx) {
        let Some(w) = web_sys::window() else { return };
        // Until the state is known, look again in a second (a backup
        // overdue at start runs then).
        let delay = ctx
            .auto
            .try_with_untracked(|a| a.as_ref().map(|a| tick_ms(&a.settings)))
            .flatten()
            .unwrap_or(1000);
        let f = Closure::once_into_js(move || {
            // The UI was unmounted: stop.
            if ctx.engine.try_with_value(|e| e.is_terminated()) != Some(false) {
                return;
            }
            let enabled = ctx.auto.with_untracked(|a| {
                a.as_ref()
                    .is_some_and(|a| a.settings.enabled && a.folder.is_some())
            });
            if enabled && !ctx.busy.get_untracked() {
                run(ctx, false, None);
            }
            arm(ctx);
        });
        let _ = w
            .set_timeout_with_callback_and_timeout_and_arguments_0(f.unchecked_ref(), delay as i32);
    }
    arm(ctx);
}

/// "Last backup: 3 days ago" (a warning past the schedule), and the
/// warning while automatic backups fail.
#[component]
pub fn LastBackupLine() -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let clock = RwSignal::new(now());
    if let Some(w) = web_sys::window() {
        let f = Closure::<dyn FnMut()>::new(move || {
            let _ = clock.try_set(now());
        });
        let _ = w.set_interval_with_callback_and_timeout_and_arguments_0(
            f.as_ref().unchecked_ref(),
            30_000,
        );
        f.forget();
    }
    view! {
        {move || ctx.auto.get().map(|a| {
            let r = Reminder::at(Some(&a.settings), a.last_backup_ms, clock.get().max(now()));
            view! {
                <p class=if r.is_warning() { "last-backup risk" } else { "last-backup" } data-testid="last-backup" data-overdue=r.is_warning().to_string()>
                    {strings::last_backup(l, r)}
                </p>
                {a.last_failure.map(|code| view! {
                    <div class="auto-failed" role="alert" data-testid="auto-failed">
                        <p>{strings::auto_failed(l, code, a.folder.as_deref())}</p>
                        {(code == coffer_protocol::ErrorCode::FolderUnavailable && a.folder.is_some()).then(|| view! {
                            <button
                                type="button"
                                class="secondary"
                                on:click=move |_| {
                                    leptos::task::spawn_local(async move {
                                        if let Err(f) = grant_again(ctx).await {
                                            ctx.fail(f);
                                        }
                                    });
                                }
                            >
                                {l.t("Allow access again")}
                            </button>
                        })}
                    </div>
                })}
            }
        })}
    }
}

/// The "Back up automatically" card.
#[component]
pub fn AutoCard() -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let form = RwSignal::new(AutoForm::from_settings(&Default::default()));
    // The form follows the stored settings when they change.
    Effect::new(move |prev: Option<Option<coffer_protocol::AutoSettings>>| {
        let s = ctx
            .auto
            .with(|a| a.as_ref().map(|a: &AutoState| a.settings.clone()));
        if s != prev.clone().flatten() {
            if let Some(s) = &s {
                form.set(AutoForm::from_settings(s));
            }
        }
        s
    });
    schedule(ctx);
    // The "Last backup" line follows every operation's end.
    Effect::new(move |_| {
        ctx.status.track();
        refresh(ctx);
    });
    let progress = RwSignal::new(None::<TaskState>);
    let save = move |folder: Option<JsValue>| {
        let settings = match form.get_untracked().settings() {
            Ok(s) => s,
            Err(f) => return ctx.fail(f),
        };
        let engine = ctx.engine.get_value();
        leptos::task::spawn_local(async move {
            match api::auto_set(&engine, settings, folder).await {
                Ok(s) => {
                    ctx.auto.set(Some(s));
                    ctx.announce(Msg::AutoSaved);
                }
                Err(f) => ctx.fail(f),
            }
        });
    };
    let choose = move |_| {
        leptos::task::spawn_local(async move {
            match pick_folder().await {
                Ok(Some(h)) => {
                    form.update(|f| f.enabled = true);
                    save(Some(h));
                }
                Ok(None) => {}
                Err(f) => ctx.fail(f),
            }
        });
    };
    let field = move |label: &'static str,
                      get: fn(&AutoForm) -> String,
                      set: fn(&mut AutoForm, String),
                      testid: &'static str| {
        view! {
            <label class="field">
                {l.t(label)}
                <input
                    type="number"
                    min="0"
                    step="any"
                    data-testid=testid
                    prop:value=move || form.with(get)
                    on:change=move |ev| form.update(|f| set(f, event_target_value(&ev)))
                />
            </label>
        }
    };
    view! {
        <section class="card auto" aria-labelledby="auto-title">
            <h2 id="auto-title">{l.t(AUTO_TITLE)}</h2>
            <p>{l.t(AUTO_TEXT)}</p>
            {(!has_directory_picker()).then(|| view! { <p class="risk">{l.t(AUTO_UNSUPPORTED)}</p> })}
            <p class="file-name" data-testid="auto-folder">
                {move || ctx.auto.get().and_then(|a| a.folder).map(|f| strings::auto_folder(l, &f)).unwrap_or_else(|| l.t("No folder chosen.").to_owned())}
            </p>
            <Show when=has_directory_picker>
                <button type="button" class="secondary" on:click=choose>{l.t("Choose folder")}</button>
            </Show>
            <Show when=move || ctx.destinations.with(|d| !d.is_empty())>
                <label class="field inline">
                    {l.t("Back up to")}
                    <select
                        data-testid="auto-destination"
                        on:change=move |ev| form.update(|f| f.destination = event_target_value(&ev))
                    >
                        <option value="" selected=move || form.with(|f| f.destination.is_empty())>{l.t("The folder")}</option>
                        {move || ctx.destinations.get().into_iter().map(|d| {
                            let id = d.id.clone();
                            let selected = {
                                let id = id.clone();
                                move || form.with(|f| f.destination == id)
                            };
                            view! { <option value=id.clone() selected=selected>{format!("{} ({})", d.id, d.location)}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </Show>
            <label>
                <input
                    type="checkbox"
                    data-testid="auto-enabled"
                    prop:checked=move || form.with(|f| f.enabled)
                    on:change=move |ev| form.update(|f| f.enabled = event_target_checked(&ev))
                />
                {l.t("Back up automatically into this folder")}
            </label>
            <div class="auto-fields">
                {field("Every (hours)", |f| f.hours.clone(), |f, v| f.hours = v, "auto-hours")}
                {field("Keep the newest", |f| f.keep_last.clone(), |f, v| f.keep_last = v, "auto-keep-last")}
                {field("Keep one per day for (days)", |f| f.keep_daily.clone(), |f, v| f.keep_daily = v, "auto-keep-daily")}
                {field("Keep one per week for (weeks)", |f| f.keep_weekly.clone(), |f, v| f.keep_weekly = v, "auto-keep-weekly")}
            </div>
            <label>
                <input
                    type="checkbox"
                    prop:checked=move || form.with(|f| f.lock)
                    on:change=move |ev| form.update(|f| f.lock = event_target_checked(&ev))
                />
                {l.t("Lock each file with the master key")}
            </label>
            <div class="actions">
                <button type="button" on:click=move |_| save(None)>{l.t("Save settings")}</button>
                <button
                    type="button"
                    class="secondary"
                    disabled=move || ctx.busy.get() || !ctx.auto.with(|a| a.as_ref().is_some_and(|a| a.folder.is_some() || a.settings.destination.is_some()))
                    on:click=move |_| run(ctx, true, Some(progress))
                >
                    {l.t("Back up now")}
                </button>
            </div>
            <ProgressBar progress=progress label="Automatic backup progress" />
        </section>
    }
}
