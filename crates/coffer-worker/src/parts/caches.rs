//! Cache Storage: every cache's requests and responses, backed up with
//! their bodies and restored so that `cache.match` gives the same
//! responses.
//!
//! An opaque response (a `no-cors` request to another origin) or an
//! opaque-redirect one cannot be read by any script: it is listed in the
//! backup (`skipped`) and in the UI, never silently dropped.
//!
//! A restore builds each selected cache as `coffer-staging:<name>` first
//! (step `staging` in Coffer's journal), then (step `swap`) replaces the
//! live cache by a copy of the staged one and deletes the staged one. A
//! failure while staging leaves every live cache untouched; the next start
//! deletes staged caches left before `swap` and finishes a swap stopped
//! after it ([`settle`]).

use coffer_engine::format::parts::{Header, SkipReason, SkippedResponse};
use coffer_engine::CacheEntryMeta;
use coffer_protocol::{CacheInfo, ErrorCode, Phase, ProgressInfo, Scope, SkippedInfo};
use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::backup::Writer;
use crate::browser::blobio::{BlobParts, BlobReader};
use crate::browser::js::{call, call_await, get, global, obj};
use crate::error::{AppError, AppResult};
use crate::restore::Reader;
use crate::{meta, Reporter};

/// Prefix of a staged cache's name.
pub const STAGING_PREFIX: &str = "coffer-staging:";

/// Prefix of the caches of Coffer's own service worker (public/sw.js):
/// this app's files, never part of a backup.
pub const APP_PREFIX: &str = "coffer-app-";

/// The journal key of a caches restore.
const JOURNAL_KEY: &str = "caches";

fn storage() -> AppResult<JsValue> {
    let c = get(&global(), "caches");
    if c.is_undefined() {
        return Err(AppError::new(
            ErrorCode::BrowserUnsupported,
            "Cache Storage is not available here",
        ));
    }
    Ok(c)
}

fn fail(what: &str) -> impl Fn(JsValue) -> AppError + '_ {
    move |e| AppError::js(what, e)
}

/// Whether the browser has Cache Storage.
pub fn available() -> bool {
    !get(&global(), "caches").is_undefined()
}

/// The names of the origin's caches (not Coffer's staged ones nor its
/// service worker's), in
/// creation order. A name holding a lone surrogate cannot be backed up
/// (manifest names are JSON strings): it is an error naming it.
async fn names() -> AppResult<Vec<String>> {
    let keys = call_await(&storage()?, "keys", &[])
        .await
        .map_err(fail("cannot list the caches"))?;
    let mut out = Vec::new();
    for k in Array::from(&keys).iter() {
        let s: &js_sys::JsString = k.unchecked_ref();
        let name = k.as_string().unwrap_or_default();
        if !s.is_valid_utf16() {
            return Err(AppError::new(
                ErrorCode::Unencodable,
                format!("cache name {name:?} holds a lone surrogate, which a backup cannot hold"),
            )
            .about(name));
        }
        if !name.starts_with(STAGING_PREFIX) && !name.starts_with(APP_PREFIX) {
            out.push(name);
        }
    }
    Ok(out)
}

async fn open(name: &str) -> AppResult<JsValue> {
    call_await(&storage()?, "open", &[name.into()])
        .await
        .map_err(fail("cannot open a cache"))
}

fn headers(h: &JsValue) -> AppResult<Vec<Header>> {
    let it = call(h, "entries", &[]).map_err(fail("cannot read headers"))?;
    let all = js_sys::try_iter(&it)
        .map_err(fail("cannot read headers"))?
        .ok_or_else(|| AppError::new(ErrorCode::BrowserError, "headers are not iterable"))?;
    let mut out = Vec::new();
    for pair in all {
        let pair = Array::from(&pair.map_err(fail("cannot read headers"))?);
        out.push((
            pair.get(0).as_string().unwrap_or_default(),
            pair.get(1).as_string().unwrap_or_default(),
        ));
    }
    Ok(out)
}

/// One cached request and its response.
struct Cached {
    request: JsValue,
    response: JsValue,
}

async fn entries(cache: &JsValue) -> AppResult<Vec<Cached>> {
    let reqs = call_await(cache, "keys", &[])
        .await
        .map_err(fail("cannot list a cache"))?;
    let mut out = Vec::new();
    for request in Array::from(&reqs).iter() {
        let response = call_await(cache, "match", std::slice::from_ref(&request))
            .await
            .map_err(fail("cannot read a cached response"))?;
        if !response.is_undefined() {
            out.push(Cached { request, response });
        }
    }
    Ok(out)
}

fn skip_reason(response: &JsValue) -> Option<SkipReason> {
    match get(response, "type").as_string().as_deref() {
        Some("opaque") => Some(SkipReason::Opaque),
        Some("opaqueredirect") => Some(SkipReason::Opaqueredirect),
        _ => None,
    }
}

fn url_of(request: &JsValue) -> String {
    get(request, "url").as_string().unwrap_or_default()
}

async fn body_blob(response: &JsValue) -> AppResult<web_sys::Blob> {
    call_await(response, "blob", &[])
        .await
        .map_err(fail("cannot read a cached response's body"))?
        .dyn_into()
        .map_err(|_| AppError::new(ErrorCode::BrowserError, "a body is not a Blob"))
}

/// The caches `scope` allows, with their figures and the responses that
/// cannot be backed up.
pub async fn info(scope: &Scope) -> AppResult<Option<Vec<CacheInfo>>> {
    if !available() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for name in names().await? {
        if !scope.allows_cache(&name) {
            continue;
        }
        let cache = open(&name).await?;
        let mut info = CacheInfo {
            name: name.clone(),
            exists: true,
            ..CacheInfo::default()
        };
        for e in entries(&cache).await? {
            match skip_reason(&e.response) {
                Some(r) => info.skipped.push(SkippedInfo {
                    cache: name.clone(),
                    url: url_of(&e.request),
                    reason: r.as_str().into(),
                }),
                None => {
                    info.entries += 1;
                    info.bytes += body_blob(&e.response).await?.size() as u64;
                }
            }
        }
        out.push(info);
    }
    Ok(Some(out))
}

/// Backs up the caches named in `selected` (those that exist) into `w`.
pub async fn backup(
    w: &mut Writer,
    selected: &[String],
    rep: &Reporter,
    progress: &mut ProgressInfo,
) -> AppResult<Vec<CacheInfo>> {
    w.include_caches();
    let mut out = Vec::new();
    for name in names().await? {
        if !selected.contains(&name) {
            continue;
        }
        let cache = open(&name).await?;
        let ci = w.add_cache(&name)?;
        let mut info = CacheInfo {
            name: name.clone(),
            exists: true,
            ..CacheInfo::default()
        };
        for e in entries(&cache).await? {
            let url = url_of(&e.request);
            let method = get(&e.request, "method").as_string().unwrap_or_default();
            if let Some(reason) = skip_reason(&e.response) {
                w.skip_cache_entry(
                    ci,
                    SkippedResponse {
                        url: url.clone(),
                        method,
                        reason,
                    },
                )?;
                info.skipped.push(SkippedInfo {
                    cache: name.clone(),
                    url,
                    reason: reason.as_str().into(),
                });
                continue;
            }
            let meta = CacheEntryMeta {
                url: url.clone(),
                method,
                request_headers: headers(&get(&e.request, "headers"))?,
                status: get(&e.response, "status").as_f64().unwrap_or(0.0) as u16,
                status_text: get(&e.response, "statusText")
                    .as_string()
                    .unwrap_or_default(),
                response_headers: headers(&get(&e.response, "headers"))?,
            };
            let blob = body_blob(&e.response).await?;
            let mut r = BlobReader::new(blob, 1 << 20)?;
            let n = w
                .add_cache_entry(ci, meta, &mut r)
                .map_err(|err| AppError::from(err).about(format!("{name}: {url}")))?;
            info.entries += 1;
            info.bytes += n;
            progress.done_bytes += n;
            rep.progress(Phase::Reading, *progress, false);
        }
        out.push(info);
    }
    Ok(out)
}

fn header_list(h: &[Header]) -> JsValue {
    h.iter()
        .map(|(n, v)| -> JsValue {
            [JsValue::from_str(n), JsValue::from_str(v)]
                .iter()
                .collect::<Array>()
                .into()
        })
        .collect::<Array>()
        .into()
}

fn construct(ctor: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: js_sys::Function = get(&global(), ctor).dyn_into()?;
    Reflect::construct(&f, &args.iter().collect::<Array>())
}

fn intent(step: &str, names: &[String]) -> JsValue {
    obj(&[
        ("step", step.into()),
        (
            "names",
            names
                .iter()
                .map(|n| JsValue::from_str(n))
                .collect::<Array>()
                .into(),
        ),
    ])
}

/// Restores the backup's caches of `indices` (see the module docs);
/// returns the responses written.
pub async fn restore(
    reader: &mut Reader,
    indices: &[usize],
    rep: &Reporter,
    progress: &mut ProgressInfo,
) -> AppResult<u64> {
    let caches: Vec<_> = indices
        .iter()
        .map(|&i| (i, reader.manifest().caches()[i].clone()))
        .collect();
    let names: Vec<String> = caches.iter().map(|(_, c)| c.name.clone()).collect();
    let store = storage()?;
    meta::journal_put(JOURNAL_KEY, &intent("staging", &names)).await?;
    let mut written = 0;
    let staged = async {
        for (ci, c) in &caches {
            let staging = format!("{STAGING_PREFIX}{}", c.name);
            call_await(&store, "delete", &[staging.as_str().into()])
                .await
                .map_err(fail("cannot delete a cache"))?;
            let cache = open(&staging).await?;
            for (ei, e) in c.entries.iter().enumerate() {
                let mut parts = BlobParts::new(4 << 20);
                reader.copy_cache_body(*ci, ei, &mut parts)?;
                let body = if coffer_engine::format::parts::is_null_body_status(e.status) {
                    JsValue::NULL
                } else {
                    parts.into_blob("")?.into()
                };
                let init = obj(&[
                    ("status", JsValue::from(e.status)),
                    ("statusText", e.status_text.as_str().into()),
                    ("headers", header_list(&e.response_headers)),
                ]);
                let response = construct("Response", &[body, init])
                    .map_err(fail("cannot make a cached response"))?;
                let req_init = obj(&[
                    ("method", e.method.as_str().into()),
                    ("headers", header_list(&e.request_headers)),
                ]);
                let request = construct("Request", &[e.url.as_str().into(), req_init])
                    .map_err(fail("cannot make a cached request"))?;
                call_await(&cache, "put", &[request, response])
                    .await
                    .map_err(|err| {
                        AppError::js("cannot write a cache", err).about(e.url.clone())
                    })?;
                written += 1;
                progress.done_bytes += e.size;
                rep.progress(Phase::Restoring, *progress, false);
            }
        }
        Ok::<(), AppError>(())
    }
    .await;
    if let Err(e) = staged {
        let _ = drop_staged(&names).await;
        meta::journal_delete(JOURNAL_KEY).await?;
        return Err(e);
    }
    meta::journal_put(JOURNAL_KEY, &intent("swap", &names)).await?;
    swap(&names).await?;
    meta::journal_delete(JOURNAL_KEY).await?;
    Ok(written)
}

async fn drop_staged(names: &[String]) -> AppResult<()> {
    let store = storage()?;
    for n in names {
        call_await(&store, "delete", &[format!("{STAGING_PREFIX}{n}").into()])
            .await
            .map_err(fail("cannot delete a cache"))?;
    }
    Ok(())
}

/// Step `swap`: each live cache replaced by a copy of its staged one,
/// which then goes. Idempotent: a cache whose staged copy is gone is done.
async fn swap(names: &[String]) -> AppResult<()> {
    let store = storage()?;
    for n in names {
        let staging = format!("{STAGING_PREFIX}{n}");
        let has = call_await(&store, "has", &[staging.as_str().into()])
            .await
            .map_err(fail("cannot list the caches"))?;
        if !has.is_truthy() {
            continue;
        }
        call_await(&store, "delete", &[n.as_str().into()])
            .await
            .map_err(fail("cannot delete a cache"))?;
        let from = open(&staging).await?;
        let to = open(n).await?;
        for e in entries(&from).await? {
            call_await(&to, "put", &[e.request, e.response])
                .await
                .map_err(fail("cannot write a cache"))?;
        }
        call_await(&store, "delete", &[staging.as_str().into()])
            .await
            .map_err(fail("cannot delete a cache"))?;
    }
    Ok(())
}

/// Settles a caches restore a previous session did not finish. Returns
/// whether there was one.
pub async fn settle() -> AppResult<bool> {
    let Some((_, v)) = meta::journal_entries(JOURNAL_KEY)
        .await?
        .into_iter()
        .find(|(k, _)| k == JOURNAL_KEY)
    else {
        return Ok(false);
    };
    let names: Vec<String> = Array::from(&get(&v, "names"))
        .iter()
        .filter_map(|n| n.as_string())
        .collect();
    if available() {
        match get(&v, "step").as_string().as_deref() {
            Some("swap") => swap(&names).await?,
            _ => drop_staged(&names).await?,
        }
    }
    meta::journal_delete(JOURNAL_KEY).await?;
    Ok(true)
}
