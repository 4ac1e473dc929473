import { launch, startServer, openApp, sleep } from './lib.mjs';
import { rmSync, mkdirSync } from 'node:fs';
const srv = await startServer(8120);
const dir = '/tmp/rel/probe-profile';
rmSync(dir, { recursive: true, force: true }); mkdirSync(dir, { recursive: true });
const ctx = await launch(dir, srv.base);
const page = ctx.pages()[0] || await ctx.newPage();
await page.goto('/__seed');
for (const [n, conc] of [[200, 1], [1000, 50], [2000, 50]]) {
  const t = Date.now();
  await page.evaluate(async ({ n, conc }) => {
    const w = new Worker('/worker_loader.js');
    let next = 1; const waiting = new Map();
    const ready = new Promise((ok) => { w.onmessage = (e) => {
      const m = JSON.parse(e.data.msg);
      if (m.ev.type === 'ready') return ok();
      const p = waiting.get(m.id);
      if (!p) return;
      if (m.ev.type === 'done') { waiting.delete(m.id); p.ok(); }
      if (m.ev.type === 'failed') { waiting.delete(m.id); p.err(new Error(JSON.stringify(m.ev))); }
    }; });
    await ready;
    const call = (req, extra = {}) => new Promise((ok, err) => { const id = next++; waiting.set(id, { ok, err }); w.postMessage({ msg: JSON.stringify({ v: 2, id, req }), ...extra }); });
    await call({ type: 'store-create', db: 'probe', store: 'vault' });
    const pad = 'p'.repeat(1000);
    for (let i = 0; i < n; i += conc) {
      const ps = [];
      for (let j = i; j < Math.min(n, i + conc); j++) ps.push(call({ type: 'store-put', db: 'probe', store: 'vault' }, { key: `k-${n}-${j}`, value: { j, pad } }));
      await Promise.all(ps);
    }
    w.terminate();
  }, { n, conc });
  console.log(n, conc, Date.now() - t, 'ms');
}
await openApp(page);
console.log(await page.locator('[data-testid=row-probe-vault]').textContent());
await ctx.close();
srv.stop();
