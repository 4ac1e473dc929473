// Registers Coffer's service worker (public/sw.js) and tells the page when
// a new build is ready: it sets `window.cofferUpdate` (a function that
// switches to the new build and reloads) and dispatches the window event
// `coffer-update-available`, on which the page shows "Reload to update".
(() => {
  if (!('serviceWorker' in navigator)) return;
  const offer = (worker) => {
    window.cofferUpdate = () => {
      navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
      worker.postMessage({ type: 'skip-waiting' });
    };
    window.dispatchEvent(new Event('coffer-update-available'));
  };
  navigator.serviceWorker.register('sw.js').then((reg) => {
    // A new build that finished installing while no page took it.
    if (reg.waiting && navigator.serviceWorker.controller) offer(reg.waiting);
    reg.addEventListener('updatefound', () => {
      const w = reg.installing;
      if (!w) return;
      w.addEventListener('statechange', () => {
        // Installed while an older build controls the page: offer it.
        if (w.state === 'installed' && navigator.serviceWorker.controller) offer(w);
      });
    });
    // Look for a new build now and then while the app stays open.
    setInterval(() => reg.update().catch(() => {}), 60 * 60 * 1000);
  }).catch((e) => console.warn('Coffer: the service worker could not be registered:', e));
})();
