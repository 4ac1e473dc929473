//! Clocks and User Timing marks of the worker.

use js_sys::Reflect;
use wasm_bindgen::JsCast;

/// The worker's `performance` object.
fn performance() -> Option<web_sys::Performance> {
    Reflect::get(&js_sys::global(), &"performance".into())
        .ok()?
        .dyn_into()
        .ok()
}

/// Milliseconds from `performance.now()` (or 0).
pub fn now() -> f64 {
    performance().map(|p| p.now()).unwrap_or(0.0)
}

/// Records a User Timing measure `name` from `start` to `end` (ms of
/// `performance.now()`), replacing an earlier one of that name: it shows in
/// the browser's performance tools, and the benchmark reads it. Failures
/// are ignored (timing is informational).
pub fn measure(name: &str, start: f64, end: f64) {
    let Some(perf) = performance() else {
        return;
    };
    perf.clear_measures_with_measure_name(name);
    // `measure(name, {start, end})`: web-sys has this form only behind
    // `web_sys_unstable_apis`, so it is called by name.
    let options = js_sys::Object::new();
    let _ = Reflect::set(&options, &"start".into(), &start.into());
    let _ = Reflect::set(&options, &"end".into(), &end.into());
    let f = Reflect::get(&perf, &"measure".into()).map(JsCast::unchecked_into::<js_sys::Function>);
    if let Ok(f) = f {
        let _ = f.call2(&perf, &name.into(), &options);
    }
}

/// A `time::OffsetDateTime` from JS milliseconds (`now_utc` panics on wasm).
pub fn time_from_ms(ms: f64) -> time::OffsetDateTime {
    let nanos = (ms.max(0.0) as i128) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// `Date.now()`.
pub fn date_now() -> f64 {
    js_sys::Date::now()
}
