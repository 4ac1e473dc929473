//! The other tabs of the origin: this worker's instance id and the
//! BroadcastChannel on which it tells them about restores and key changes.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

thread_local! {
    static INSTANCE: u32 = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
}

/// This worker's random instance id.
pub fn instance() -> u32 {
    INSTANCE.with(|i| *i)
}

/// Tells the other tabs that something changed (`kind`: `key-changed`,
/// `restored`; `settled`: work left by an earlier session was finished at
/// start-up, which this worker's own page hears too).
pub fn broadcast(kind: &str) {
    if let Ok(ch) = web_sys::BroadcastChannel::new(coffer_protocol::CHANNEL_NAME) {
        let o = Object::new();
        let _ = Reflect::set(&o, &"type".into(), &JsValue::from_str(kind));
        let _ = Reflect::set(
            &o,
            &"instance".into(),
            &JsValue::from_f64(f64::from(instance())),
        );
        let _ = ch.post_message(&o);
        ch.close();
    }
}
