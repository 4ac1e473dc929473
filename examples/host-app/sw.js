// The host app's service worker: precaches the app's own files and every
// file of Coffer's folder (listed by the build in coffer/coffer-files.json,
// docs/embed.md "Offline"), and serves them cache-first, so the app and
// its Backup Management work with no network. Each Coffer build gets its
// own cache (named after the list's `build` hash), and the page uses one
// cache at a time, so UI and engine always come from the same build.
const CACHE = 'host-app-v1-';
const META = 'host-app-meta';
const APP = ['./', './index.html', './app.js', './style.css'];

async function getMeta(key) {
  const r = await (await caches.open(META)).match(key);
  return r ? r.text() : null;
}

async function setMeta(key, value) {
  await (await caches.open(META)).put(key, new Response(value));
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const list = await (await fetch('./coffer/coffer-files.json', { cache: 'reload' })).json();
    const cache = await caches.open(CACHE + list.build);
    await cache.addAll([...APP, ...list.files.map((f) => './coffer/' + f)]);
    await setMeta('./__pending', list.build);
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const build = await getMeta('./__pending');
    if (build) {
      await setMeta('./__current', build);
      for (const n of await caches.keys()) {
        if (n.startsWith(CACHE) && n !== CACHE + build) await caches.delete(n);
      }
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const build = await getMeta('./__current');
    const hit = build && (await (await caches.open(CACHE + build)).match(req, { ignoreSearch: true }));
    return hit || fetch(req);
  })());
});
