// Coffer's service worker: precaches every file of the build and serves
// them cache-first, so the app loads and works with no network.
//
// `scripts/sw-precache.mjs` (a Trunk post-build hook) fills in BUILD (a hash
// of every file) and FILES (every file Trunk wrote, with its hashed name).
// A new build is a new sw.js: it installs beside the running one, fills its
// own cache `coffer-app-<BUILD>` all or nothing (`addAll`), and waits. The page
// then offers "Reload to update" (public/register-sw.js); only when the user
// agrees does it take over, and only then are the old caches deleted, so a
// page never mixes files of two builds.
const BUILD = 'dev';
const FILES = [];
// Coffer's backups leave caches of this prefix out (they hold this app's
// own files), and activation deletes only these: never an app's cache, nor
// a cache restore's staged `coffer-staging:` copies.
const PREFIX = 'coffer-app-';
const CACHE = PREFIX + BUILD;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // Bypass the HTTP cache: these must be this build's files.
    await cache.addAll(FILES.map((f) => new Request(f, { cache: 'reload' })));
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    // The first install takes the open page at once (nothing to mix with);
    // later builds only activate after "Reload to update".
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(req, { ignoreSearch: req.mode === 'navigate' });
    if (hit) return hit;
    const path = new URL(req.url).pathname;
    const scope = new URL(self.registration.scope).pathname;
    if (req.mode === 'navigate' && (path === scope || path === scope + 'index.html')) {
      // The app's page: this build's, cache-first like its files.
      const page = await cache.match('index.html');
      if (page) return page;
    }
    if (req.mode === 'navigate') {
      // Another page of the origin (the app is one page; a host or a test
      // server may serve others) comes from the network; with no network,
      // the app's page answers.
      try {
        return await fetch(req);
      } catch (e) {
        const page = await cache.match('index.html');
        if (page) return page;
        throw e;
      }
    }
    return fetch(req);
  })());
});
