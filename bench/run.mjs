// Browser benchmark of Coffer (issue #5): drives the real release build in
// headless Chromium through Playwright and, for each reference database,
// measures in one browser session:
//   - Coffer backup and restore through the UI (buttons, download, file input),
//   - dexie-export-import exportDB / importDB on the same database,
//   - the raw IndexedDB floor (getAll in one transaction; clear + put in one
//     relaxed-durability transaction),
//   - peak JS heap (page and engine worker) and wasm memory, the longest
//     main-thread task, and the app's download size.
// Writes the browser section of BENCHMARKS.md (between the
// <!-- browser-bench:begin --> / <!-- browser-bench:end --> markers).
//
// Usage: node bench/run.mjs [--size medium|large|both] [--runs N]
//        [--dist DIR] [--out FILE] [--no-write] [--json FILE] [--profile]
//        [--keep FILE] [--backup-only N] [--restore-only N]
// --keep FILE: also report the sizes in FILE (an earlier --json output)
// that this invocation does not measure (e.g. a one-run large database).
// --profile: one Coffer backup + restore under the CPU profiler (page and
// engine worker); writes bench/out/*.cpuprofile and prints the functions
// with the most self time (build with data-wasm-opt="0" to keep names).
// --backup-only N: only N × (raw read floor, Coffer backup), with each
// ratio and their median (for comparing builds; writes nothing).
// --restore-only N: one Coffer backup, then N × (raw write floor, Coffer
// restore), likewise.
// Normally run through scripts/bench.sh, which builds dist/ first.
import { createServer } from 'node:http';
import { copyFile, readFile, readdir, stat, writeFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { cpus, tmpdir } from 'node:os';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');

// --- arguments ----------------------------------------------------------------
const args = { size: 'medium', runs: 3, dist: join(repo, 'dist'), out: join(repo, 'BENCHMARKS.md'), write: true, json: join(here, 'out', 'results.json') };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const v = () => process.argv[++i];
  if (a === '--size') args.size = v();
  else if (a === '--runs') args.runs = Number(v());
  else if (a === '--dist') args.dist = v();
  else if (a === '--out') args.out = v();
  else if (a === '--json') args.json = v();
  else if (a === '--no-write') args.write = false;
  else if (a === '--keep') args.keep = v();
  else if (a === '--profile') args.profile = true;
  else if (a === '--backup-only') args.backupOnly = Number(v());
  else if (a === '--restore-only') args.restoreOnly = Number(v());
  else if (a === '--trace') { args.profile = true; args.trace = true; }
  else if (a === '--help' || a === '-h') {
    console.log('node bench/run.mjs [--size medium|large|both] [--runs N] [--dist DIR] [--out FILE] [--no-write] [--json FILE]');
    process.exit(0);
  } else throw new Error(`unknown argument ${a}`);
}
if (!['medium', 'large', 'both'].includes(args.size)) throw new Error('--size must be medium, large or both');
if (!(args.runs >= 1)) throw new Error('--runs must be at least 1');
const SIZES = { medium: { scale: 1, seed: 1 }, large: { scale: 10, seed: 2 } };
const sizes = args.size === 'both' ? ['medium', 'large'] : [args.size];

const log = (...m) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...m);
const MiB = 1024 * 1024;

// --- static server: dist/ plus the bench's own page script and Dexie -----------
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml' };
const extra = {
  '/__bench/page.js': join(here, 'page.js'),
  '/__bench/dexie.js': join(here, 'node_modules', 'dexie', 'dist', 'dexie.js'),
  '/__bench/dexie-export-import.js': join(here, 'node_modules', 'dexie-export-import', 'dist', 'dexie-export-import.js'),
};
function serve(root) {
  const server = createServer(async (req, res) => {
    let path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    if (path === '/' || path === '') path = '/index.html';
    const file = extra[path] || join(root, path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end('not found');
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

// --- statistics ------------------------------------------------------------------
// N × (raw floor, Coffer operation) through `once(run)`, which returns both
// times in ms (and a note): prints each ratio and their median.
async function quick(size, what, rawWhat, n, once) {
  const ratios = [];
  for (let run = 1; run <= n; run++) {
    const { raw, coffer, note } = await once(run);
    ratios.push(coffer / raw);
    log(`${size} ${what}-only ${run}: ${rawWhat} ${(raw / 1000).toFixed(2)} s, ${what} ${(coffer / 1000).toFixed(2)} s${note ? ` (${note})` : ''}, ratio ${(coffer / raw).toFixed(2)}`);
  }
  log(`${size} ${what}-only: median ratio ${median(ratios).toFixed(2)}`);
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const max = (xs) => Math.max(...xs.filter((x) => Number.isFinite(x)));
const PHASES = ['setup', 'reading', 'writing'];
// "setup 0.10 s, reading 1.80 s, writing 0.55 s" (null: no measures).
const fmtPhases = (p) => (p && PHASES.every((k) => Number.isFinite(p[k]))
  ? PHASES.map((k) => `${k} ${(p[k] / 1000).toFixed(2)} s`).join(', ')
  : null);

// --- download size -----------------------------------------------------------------
async function downloadSize(dist) {
  const files = (await readdir(dist)).filter((f) => f.endsWith('.wasm') || f.endsWith('.js'));
  let raw = 0, gz = 0;
  const parts = [];
  for (const f of files) {
    const b = await readFile(join(dist, f));
    const g = gzipSync(b, { level: 9 }).length;
    raw += b.length; gz += g;
    parts.push({ file: f, raw: b.length, gz: g });
  }
  return { raw, gz, parts };
}

// --- memory sampling during an operation --------------------------------------------
// The engine worker's JS heap comes from CDP on the worker target: a page
// CDP session auto-attaches to workers (non-flat, so messages go through
// Target.sendMessageToTarget) and asks Runtime.getHeapUsage.
class WorkerCdp {
  constructor(cdp) {
    this.cdp = cdp; this.sessions = new Map(); this.pending = new Map(); this.id = 0;
    cdp.on('Target.attachedToTarget', (e) => { if (e.targetInfo.type === 'worker') this.sessions.set(e.sessionId, e.targetInfo); });
    cdp.on('Target.detachedFromTarget', (e) => this.sessions.delete(e.sessionId));
    cdp.on('Target.receivedMessageFromTarget', (e) => {
      const m = JSON.parse(e.message);
      const p = this.pending.get(m.id);
      if (p) { this.pending.delete(m.id); m.error ? p.err(new Error(m.error.message)) : p.ok(m.result); }
    });
  }
  async init() { await this.cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false }); }
  send(method, params = {}) {
    const sid = [...this.sessions.keys()].pop();
    if (!sid) return Promise.resolve(null);
    const id = ++this.id;
    return new Promise((ok, err) => {
      this.pending.set(id, { ok, err });
      this.cdp.send('Target.sendMessageToTarget', { sessionId: sid, message: JSON.stringify({ id, method, params }) }).catch(err);
    });
  }
}

class Sampler {
  constructor(page, cdp, getWorker, wcdp) { this.page = page; this.cdp = cdp; this.getWorker = getWorker; this.wcdp = wcdp; }
  async sample() {
    const s = {};
    try {
      const m = await this.cdp.send('Performance.getMetrics');
      s.pageHeap = m.metrics.find((x) => x.name === 'JSHeapUsedSize')?.value;
    } catch { /* page busy or gone */ }
    try { s.appWasm = await this.page.evaluate(() => window.__bench.appWasmBytes()); } catch { }
    try { const h = await withTimeout(this.wcdp.send('Runtime.getHeapUsage'), 5000); if (h) s.workerHeap = h.usedSize; } catch { }
    const w = this.getWorker();
    if (w) {
      try {
        const r = await withTimeout(w.evaluate(() => ({
          // wasm_bindgen (no-modules) hands back the instance's exports once
          // initialised; the engine's linear memory is exports.memory.
          wasm: (typeof wasm_bindgen !== 'undefined' && wasm_bindgen.initSync) ? wasm_bindgen.initSync().memory.buffer.byteLength : 0,
        })), 5000);
        if (r) s.workerWasm = r.wasm;
      } catch { }
    }
    return s;
  }
  start() {
    this.peak = { pageHeap: 0, appWasm: 0, workerWasm: 0, workerHeap: 0, total: 0 };
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        this.add(await this.sample());
        await sleep(100);
      }
    })();
  }
  add(s) {
    for (const k of ['pageHeap', 'appWasm', 'workerWasm', 'workerHeap']) if (Number.isFinite(s[k])) this.peak[k] = Math.max(this.peak[k], s[k]);
    const total = (s.pageHeap || 0) + (s.appWasm || 0) + (s.workerWasm || 0) + (s.workerHeap || 0);
    this.peak.total = Math.max(this.peak.total, total);
  }
  async stop() {
    this.running = false;
    await this.loop;
    this.add(await this.sample());
    return this.peak;
  }
}
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
function withTimeout(p, ms) {
  return Promise.race([p, new Promise((ok) => setTimeout(() => ok(null), ms))]);
}

// --- CPU profiles (--profile) ------------------------------------------------------
// Self time per function of a CDP Profiler profile, largest first.
function topSelf(profile, n = 30) {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const self = new Map();
  const total = profile.timeDeltas.reduce((a, b) => a + b, 0);
  profile.samples.forEach((id, i) => {
    const f = byId.get(id).callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url ? f.url.split('/').pop() : ''}`.trim();
    self.set(name, (self.get(name) || 0) + (profile.timeDeltas[i] || 0));
  });
  return { totalMs: total / 1000, top: [...self].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [k, v / 1000]) };
}
// Main-thread tasks over 50 ms in a Chromium trace, with the events inside.
function longTasksInTrace(file) {
  const t = JSON.parse(readFileSync(file, 'utf8'));
  const ev = t.traceEvents || t;
  const main = new Set(ev.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const onMain = ev.filter((e) => main.has(`${e.pid}:${e.tid}`) && e.ph === 'X');
  for (const task of onMain.filter((e) => e.name === 'RunTask' && e.dur > 50_000)) {
    const inner = new Map();
    for (const e of onMain) if (e !== task && e.ts >= task.ts && e.ts < task.ts + task.dur && e.dur > 1000) inner.set(e.name + (e.args?.data?.type ? `(${e.args.data.type})` : '') + (e.args?.data?.functionName ? ` ${e.args.data.functionName}` : ''), Math.max(inner.get(e.name) || 0, e.dur / 1000));
    console.log(`long task ${(task.dur / 1000).toFixed(0)} ms: ${[...inner].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k, v]) => `${k} ${v.toFixed(0)}ms`).join(', ')}`);
  }
}

// The longest stretch of main-thread samples without idle time, and the
// functions (with their callers) that fill it.
function longestBusy(profile) {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n);
  let best = { ms: 0, fns: new Map() }, cur = { ms: 0, fns: new Map() };
  profile.samples.forEach((id, i) => {
    const n = byId.get(id);
    const d = (profile.timeDeltas[i + 1] || 0) / 1000;
    if (n.callFrame.functionName === '(idle)') { cur = { ms: 0, fns: new Map() }; return; }
    cur.ms += d;
    const chain = [];
    for (let x = n; x && chain.length < 4; x = parent.get(x.id)) if (x.callFrame.functionName && !x.callFrame.functionName.startsWith('(')) chain.push(x.callFrame.functionName.replace(/::h[0-9a-f]{16}/g, '').slice(0, 60));
    const k = chain.join(' < ') || n.callFrame.functionName;
    cur.fns.set(k, (cur.fns.get(k) || 0) + d);
    if (cur.ms > best.ms) best = cur;
  });
  return { ms: best.ms, top: [...best.fns].sort((a, b) => b[1] - a[1]).slice(0, 12) };
}
async function profiled(label, page, wcdp, fn, cdp) {
  await wcdp.send('Profiler.enable');
  await wcdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await wcdp.send('Profiler.start');
  if (args.trace) await page.context().browser().startTracing(page, { path: join(here, 'out', `${label}.trace.json`), categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'blink'] });
  if (cdp) { await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 200 }); await cdp.send('Profiler.start'); }
  const r = await fn();
  if (args.trace) {
    await page.context().browser().stopTracing();
    longTasksInTrace(join(here, 'out', `${label}.trace.json`));
  }
  if (cdp) {
    const { profile } = await cdp.send('Profiler.stop');
    await writeFile(join(here, 'out', `${label}.page.cpuprofile`), JSON.stringify(profile));
    const b = longestBusy(profile);
    console.log(`\n== ${label}: page, longest busy stretch ${b.ms.toFixed(0)} ms ==`);
    for (const [k, v] of b.top) console.log(`${v.toFixed(1).padStart(8)} ms  ${k}`);
  }
  const p = await wcdp.send('Profiler.stop');
  // Live vs collectable: the worker's heap before and after a forced GC.
  const before = await wcdp.send('Runtime.getHeapUsage');
  await wcdp.send('HeapProfiler.collectGarbage');
  const after = await wcdp.send('Runtime.getHeapUsage');
  if (before && after) console.log(`worker heap after ${label}: ${(before.usedSize / MiB).toFixed(1)} MiB used, ${(after.usedSize / MiB).toFixed(1)} MiB after a forced GC`);
  if (p && p.profile) {
    await writeFile(join(here, 'out', `${label}.worker.cpuprofile`), JSON.stringify(p.profile));
    const t = topSelf(p.profile);
    console.log(`\n== ${label}: worker CPU profile, ${t.totalMs.toFixed(0)} ms sampled ==`);
    for (const [k, v] of t.top) console.log(`${v.toFixed(0).padStart(8)} ms  ${k}`);
  }
  return r;
}

// --- the browser session ---------------------------------------------------------------
async function main() {
  if (!existsSync(join(args.dist, 'index.html'))) throw new Error(`${args.dist}/index.html missing: build the app first (trunk build --release)`);
  for (const f of Object.values(extra)) if (!existsSync(f)) throw new Error(`${f} missing: run npm ci in bench/`);
  const server = await serve(args.dist);
  const base = `http://127.0.0.1:${server.address().port}/`;
  log(`serving ${args.dist} on ${base}`);
  // IndexedDB on disk, as users have it: a persistent profile in a fresh
  // temporary folder. (A Playwright incognito context keeps IndexedDB in
  // memory with a small quota; the large database does not fit there.)
  // --trace needs Playwright's Browser object, which only the incognito
  // launch gives.
  const launch = {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--enable-precise-memory-info'],
  };
  const contextOptions = { acceptDownloads: true, viewport: { width: 1280, height: 900 } };
  let browser, context, profileDir = null;
  if (args.trace) {
    browser = await chromium.launch(launch);
    context = await browser.newContext(contextOptions);
  } else {
    profileDir = await mkdtemp(join(tmpdir(), 'coffer-bench-'));
    context = await chromium.launchPersistentContext(profileDir, { ...launch, ...contextOptions });
    browser = { close: () => context.close(), on: (ev, f) => context.on(ev === 'disconnected' ? 'close' : ev, f) };
  }
  const closeAll = async () => {
    await browser.close();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  };
  const page = await context.newPage();
  page.setDefaultTimeout(30 * 60_000);
  page.on('pageerror', (e) => log('page error:', e.message));
  page.on('crash', () => log('the page crashed'));
  page.on('close', () => log('the page closed'));
  browser.on('disconnected', () => log('the browser disconnected'));
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') log(`console.${m.type()}:`, m.text()); });
  let worker = null;
  page.on('worker', (w) => { worker = w; w.on('console', (m) => log(`worker console.${m.type()}:`, m.text())); w.on('close', () => { if (worker === w) worker = null; }); });
  await page.addInitScript(() => {
    // Downloads, not the File System Access dialog (as a user without it).
    delete window.showSaveFilePicker;
    const l = window.__longTasks = { entries: [], since: 0 };
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) l.entries.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
    } catch { }
    // Long animation frames name the scripts that ran in them: what a long
    // task was.
    l.frames = [];
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          if (e.duration < 50) continue;
          l.frames.push({
            start: e.startTime, duration: Math.round(e.duration), blocking: Math.round(e.blockingDuration || 0),
            scripts: (e.scripts || []).map((s) => `${s.invoker || '?'} ${s.sourceFunctionName || ''} ${(s.sourceURL || '').split('/').pop()} ${Math.round(s.duration)} ms`.trim()),
          });
        }
      }).observe({ type: 'long-animation-frame', buffered: true });
    } catch { }
    addEventListener('TrunkApplicationStarted', (e) => { window.__appWasm = e.detail && e.detail.wasm; });
    // Page-clock timestamps of the user's clicks, of the download anchor's
    // click, and of every announcement in the status region (it can be
    // replaced quickly, e.g. by the "another tab" broadcast).
    window.__clicks = [];
    document.addEventListener('click', (e) => {
      const t = performance.now();
      const el = e.target;
      window.__clicks.push({ t, download: !!(el && el.tagName === 'A' && el.hasAttribute('download')), text: (el && el.textContent || '').trim().slice(0, 40) });
    }, true);
    window.__statusLog = [];
    let last = null;
    new MutationObserver(() => {
      const el = document.querySelector('[role="status"]');
      if (!el) return;
      const text = el.textContent || '';
      if (text === last) return;
      last = text;
      window.__statusLog.push({ t: performance.now(), text, error: el.classList.contains('error') });
    }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['class'] });
  });
  await page.goto(base);
  await page.getByRole('heading', { name: 'Backup Management' }).waitFor();
  await page.getByText('Loading…').waitFor({ state: 'detached' }).catch(() => { });
  await page.addScriptTag({ url: '/__bench/dexie.js' });
  await page.addScriptTag({ url: '/__bench/dexie-export-import.js' });
  await page.addScriptTag({ url: '/__bench/page.js' });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  for (let i = 0; i < 100 && !worker; i++) await sleep(100);
  if (!worker) log('warning: no engine worker seen; worker memory will be missing');
  const wcdp = new WorkerCdp(cdp);
  await wcdp.init();
  const sampler = new Sampler(page, cdp, () => worker, wcdp);
  const status = page.getByRole('status', { includeHidden: true });

  const gc = async () => {
    await cdp.send('HeapProfiler.collectGarbage').catch(() => { });
    await withTimeout(wcdp.send('HeapProfiler.collectGarbage'), 5000).catch(() => { });
  };

  // Runs `fn` with memory sampling and long-task accounting.
  async function measured(fn) {
    await gc();
    await page.evaluate(() => window.__bench.longTasksReset());
    sampler.start();
    let r;
    try { r = await fn(); } finally { var mem = await sampler.stop(); }
    await sleep(300); // long-task entries arrive asynchronously
    const lt = await page.evaluate(() => window.__bench.longTasks());
    // What the engine worker still holds once garbage is collected (a leak
    // shows here, and grows with the database).
    await gc();
    const h = await withTimeout(wcdp.send('Runtime.getHeapUsage'), 5000).catch(() => null);
    if (lt.count) log(`long task(s): ${lt.count}, longest ${lt.max.toFixed(0)} ms; long frames: ${JSON.stringify(lt.frames.slice(0, 5))}`);
    return { ...r, mem, longTask: lt.max, longTasks: lt.count, longFrames: lt.frames.slice(0, 20), retained: h ? h.usedSize : NaN };
  }

  // Waits for an announcement matching `re` logged after entry `since`;
  // returns its page-clock time. Throws on an error announcement.
  async function waitStatus(re, since) {
    const h = await page.waitForFunction(([src, flags, since]) => {
      const re = new RegExp(src, flags);
      for (const e of window.__statusLog.slice(since)) if (e.error || re.test(e.text)) return e;
      return false;
    }, [re.source, re.flags, since], { polling: 20, timeout: opTimeout });
    const e = await h.jsonValue();
    if (e.error) throw new Error(`Coffer reported: ${e.text}`);
    return e;
  }
  const mark = () => page.evaluate(() => ({ status: window.__statusLog.length, clicks: window.__clicks.length }));
  const clicksSince = (n) => page.evaluate((n) => window.__clicks.slice(n), n);

  async function refreshOverview(db) {
    await page.evaluate(() => window.coffer.refresh());
    await page.getByTestId(`row-${db}-files`).waitFor();
  }

  async function cofferBackup(dir, db) {
    await refreshOverview(db);
    const button = page.getByRole('button', { name: 'Create backup' });
    await button.waitFor();
    await page.waitForFunction(() => {
      const b = [...document.querySelectorAll('button')].find((x) => x.textContent.trim() === 'Create backup');
      return b && !b.disabled;
    }, null, { polling: 50 });
    return await measured(async () => {
      const m = await mark();
      const dl = page.waitForEvent('download', { timeout: opTimeout });
      await button.click();
      const d = await dl;
      const st = await waitStatus(/Backup created/, m.status);
      const clicks = await clicksSince(m.clicks);
      const start = clicks.find((c) => !c.download)?.t;
      const end = clicks.find((c) => c.download)?.t ?? st.t;
      const path = join(dir, `coffer-${Date.now()}.zip`);
      await d.saveAs(path);
      await d.delete().catch(() => { });
      return { ms: end - start, path, bytes: (await stat(path)).size, text: st.text, phases: await backupPhases() };
    });
  }

  // The engine worker's User Timing measures of the backup just made
  // (src/worker/backup.rs): setup, reading and writing, in ms.
  async function backupPhases() {
    if (!worker) return null;
    try {
      return await worker.evaluate(() => Object.fromEntries(performance.getEntriesByType('measure')
        .filter((m) => m.name.startsWith('coffer-backup:'))
        .map((m) => [m.name.slice('coffer-backup:'.length), m.duration])));
    } catch {
      return null;
    }
  }

  async function cofferRestore(path) {
    const check = await measured(async () => {
      const m = await mark();
      const t0 = await page.evaluate(() => performance.now());
      await page.getByLabel('Backup file').setInputFiles(path);
      const st = await waitStatus(/Backup checked/, m.status);
      await page.getByTestId('preview').waitFor();
      return { ms: st.t - t0 };
    });
    const btn = page.getByRole('button', { name: 'Restore backup' });
    await page.waitForFunction(() => {
      const b = [...document.querySelectorAll('button')].find((x) => x.textContent.trim() === 'Restore backup');
      return b && !b.disabled;
    }, null, { polling: 50 });
    await btn.click();
    const dialog = page.getByRole('dialog', { name: 'Restore this backup?' });
    await dialog.waitFor();
    const restore = await measured(async () => {
      const m = await mark();
      await dialog.getByRole('button', { name: 'Restore now' }).click();
      const st = await waitStatus(/Restore complete/, m.status);
      const start = (await clicksSince(m.clicks))[0].t;
      return { ms: st.t - start, text: st.text };
    });
    return { check, restore };
  }

  let opTimeout = 15 * 60_000;
  const B = (fn, ...a) => page.evaluate(([fn, a]) => window.__bench[fn](...a), [fn, a]);

  const browserVersion = (await cdp.send('Browser.getVersion').catch(() => ({}))).product?.replace(/^[^/]*\//, '') || 'unknown';
  const results = { browser: browserVersion, storage: profileDir ? 'disk' : 'memory', cpus: cpus().length, cpu: cpus()[0]?.model?.trim(), runs: args.runs, sizes: {} };
  const outDir = join(here, 'out');
  await mkdir(outDir, { recursive: true });

  try {
  for (const size of sizes) {
    const { scale, seed } = SIZES[size];
    opTimeout = Number(process.env.BENCH_OP_TIMEOUT_MS) || 15 * 60_000 * scale;
    page.setDefaultTimeout(opTimeout);
    const db = `bench-${size}`;
    for (const other of await B('listDbs')) if (other.startsWith('bench-')) await B('deleteDb', other);
    log(`${size}: generating ${db} (scale ${scale}, seed ${seed})`);
    const tg = performance.now();
    const counts = await B('generate', db, scale, seed);
    const expected = await B('census', db);
    const records = Object.values(counts).reduce((a, b) => a + b, 0);
    log(`${size}: ${records} records in ${((performance.now() - tg) / 1000).toFixed(1)} s`, JSON.stringify(expected.stores));
    const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage);
    await B('rawRead', db, true); // warm-up, untimed: the first read after generation is cold
    const runs = [];
    const verify = async (what) => {
      // Schema and counts must survive; the version may grow (Coffer's
      // restore upgrades the database to replace its stores).
      const c = await B('census', db);
      const version = c.version;
      c.version = expected.version;
      if (JSON.stringify(c) !== JSON.stringify(expected)) throw new Error(`${what} left a different database: ${JSON.stringify(c)} vs ${JSON.stringify(expected)}`);
      return version;
    };
    // A Coffer restore of `path`, checked; whether it kept the version
    // (restored in place rather than by an upgrade).
    const restoreAndVerify = async (path) => {
      const before = (await B('census', db)).version;
      const { check, restore } = await cofferRestore(path);
      return { check, restore, inPlace: (await verify('Coffer restore')) === before };
    };
    if (args.backupOnly) {
      // Quick comparison of backup speed only: N × (raw read, Coffer backup).
      await quick(size, 'backup', 'raw read', args.backupOnly, async () => {
        const raw = await measured(() => B('rawRead', db, false));
        const b = await cofferBackup(outDir, db);
        await rm(b.path, { force: true });
        return { raw: raw.ms, coffer: b.ms, note: fmtPhases(b.phases) };
      });
      continue;
    }
    if (args.restoreOnly) {
      // Quick comparison of restore speed only: N × (raw write, Coffer restore).
      const b = await cofferBackup(outDir, db);
      await quick(size, 'restore', 'raw write', args.restoreOnly, async (run) => {
        const raw = await measured(() => B('rawWrite', db));
        // A new name each time: choosing the same file again is no change.
        const path = b.path.replace(/\.zip$/, `-${run}.zip`);
        await copyFile(b.path, path);
        const { restore, inPlace } = await restoreAndVerify(path);
        await rm(path, { force: true });
        return { raw: raw.ms, coffer: restore.ms, note: inPlace ? 'in place' : 'by upgrade' };
      });
      await rm(b.path, { force: true });
      continue;
    }
    if (args.profile) {
      const b = await profiled(`${size}-backup`, page, wcdp, () => cofferBackup(outDir, db), cdp);
      log(`${size}: backup ${(b.ms / 1000).toFixed(2)} s, peak memory ${JSON.stringify(Object.fromEntries(Object.entries(b.mem).map(([k, v]) => [k, +(v / MiB).toFixed(1)])))} MiB`);
      const { check, restore } = await profiled(`${size}-restore`, page, wcdp, () => cofferRestore(b.path), cdp);
      log(`${size}: check ${(check.ms / 1000).toFixed(2)} s, restore ${(restore.ms / 1000).toFixed(2)} s`);
      await verify('Coffer restore');
      continue;
    }
    for (let run = 1; run <= args.runs; run++) {
      const r = {};
      log(`${size} run ${run}: raw read`);
      r.rawRead = await measured(() => B('rawRead', db, false));
      r.rawReadBlobs = await measured(() => B('rawRead', db, true));
      log(`${size} run ${run}: raw write`);
      r.rawWrite = await measured(() => B('rawWrite', db));
      await verify('raw write');
      log(`${size} run ${run}: Coffer backup`);
      r.backup = await cofferBackup(outDir, db);
      log(`${size} run ${run}: Coffer restore (${(r.backup.bytes / MiB).toFixed(1)} MiB archive)`);
      const { check, restore, inPlace } = await restoreAndVerify(r.backup.path);
      r.check = check; r.restore = restore; r.restoredInPlace = inPlace;
      log(`${size} run ${run}: dexie exportDB`);
      try {
        r.dexieExport = await measured(() => B('dexieExport', db));
        log(`${size} run ${run}: dexie importDB`);
        r.dexieImport = await measured(() => B('dexieImport', db));
        await verify('dexie importDB');
      } catch (e) {
        log(`${size} run ${run}: dexie failed: ${e.message}`);
        r.dexieError = String(e.message || e).slice(0, 200);
      }
      await B('dropExport');
      await import('node:fs/promises').then((f) => f.rm(r.backup.path, { force: true }));
      const summary = Object.entries(r).filter(([, v]) => v && v.ms).map(([k, v]) => `${k} ${(v.ms / 1000).toFixed(2)} s`).join(', ');
      log(`${size} run ${run}: ${summary}${r.backup.phases ? ` (backup in the worker: ${fmtPhases(r.backup.phases)})` : ''}`);
      runs.push(r);
    }
    await B('deleteDb', db);
    results.sizes[size] = { counts, records, usage, runs };
  }
  } catch (e) {
    // Leave evidence of where it stopped.
    try {
      await page.screenshot({ path: join(outDir, 'failure.png'), fullPage: true });
      log(`failed; status: ${await status.textContent({ timeout: 2000 })}; screenshot in ${join(outDir, 'failure.png')}`);
    } catch { }
    throw e;
  }
  if (args.backupOnly || args.restoreOnly) { await closeAll(); server.close(); return; }
  if (args.profile) {
    const m = await page.evaluate(() => window.coffer.measure(64));
    for (const t of m) log(`measure: ${t.name}: ${(t.amount / t.micros).toFixed(1)} per µs`);
    await closeAll(); server.close(); return;
  }
  // Sealing speed of the wasm engine in its worker (window.coffer.measure).
  results.seal = [];
  for (let i = 0; i < Math.max(3, args.runs); i++) {
    log(`sealing speed in the worker, round ${i + 1}`);
    results.seal.push(await page.evaluate(() => window.coffer.measure(64)));
  }
  results.download = await downloadSize(args.dist);
  if (args.keep) {
    const old = JSON.parse(readFileSync(args.keep, 'utf8'));
    for (const [size, r] of Object.entries(old.sizes || {})) {
      if (!results.sizes[size]) results.sizes[size] = { ...r, keptFrom: { runs: old.runs, browser: old.browser } };
    }
  }
  await writeFile(args.json, JSON.stringify(results, null, 2));
  log(`raw results in ${args.json}`);
  await closeAll();
  server.close();
  const md = render(results);
  console.log('\n' + md);
  if (args.write) {
    await updateBenchmarks(args.out, md);
    log(`updated ${args.out}`);
  }
}

// --- the BENCHMARKS.md section ------------------------------------------------------
const fmtS = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '–');
const fmtMiB = (b) => (Number.isFinite(b) ? `${(b / MiB).toFixed(1)} MiB` : '–');
const fmtX = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');
const pf = (ok) => (ok === undefined ? '–' : ok ? 'pass' : '**fail**');

function render(res) {
  const L = [];
  L.push(`Measured by \`scripts/bench.sh\` (\`node bench/run.mjs --size ${args.size} --runs ${res.runs}\`) in headless Chromium ${res.browser} on ${res.cpu || 'unknown CPU'} (${res.cpus} threads), release build, one browser session per invocation, IndexedDB ${res.storage === 'memory' ? 'in memory (incognito context)' : 'on disk (a fresh persistent profile)'}. Every figure is the median of ${res.runs} run(s); ratios are computed within each run, then the median is taken.`);
  L.push('');
  L.push('Each run, on the same database: raw read floor (`getAll` on every store, plus `getAllKeys` for out-of-line stores, one readonly transaction), raw write floor (`clear` + `put` of every record, one relaxed-durability readwrite transaction), Coffer backup through the UI ("Create backup" click until the download starts), Coffer restore through the UI (file chosen → preview = "check"; "Restore now" click until "Restore complete" is announced), then dexie-export-import `exportDB` and `importDB` (after deleting the database). Record counts and schema are checked after every write.');
  for (const [size, s] of Object.entries(res.sizes)) {
    const rs = s.runs;
    const col = (k) => rs.map((r) => r[k]?.ms);
    const ratio = (a, b) => median(rs.map((r) => (r[a]?.ms && r[b]?.ms ? r[a].ms / r[b].ms : NaN)));
    const rBackupDexie = ratio('backup', 'dexieExport');
    const rBackupRaw = ratio('backup', 'rawRead');
    const rRestoreDexie = ratio('restore', 'dexieImport');
    const rRestoreRaw = ratio('restore', 'rawWrite');
    const mem = (k) => max(rs.map((r) => Math.max(r.backup?.mem?.[k] || 0, r.restore?.mem?.[k] || 0, r.check?.mem?.[k] || 0)));
    const peakTotal = max(rs.flatMap((r) => [r.backup?.mem?.total, r.restore?.mem?.total, r.check?.mem?.total]));
    const peakOf = (k) => max(rs.map((r) => r[k]?.mem?.total));
    const retained = max(rs.flatMap((r) => [r.backup?.retained, r.check?.retained, r.restore?.retained]));
    const longCoffer = max(rs.flatMap((r) => [r.backup?.longTask, r.restore?.longTask, r.check?.longTask]));
    const longCount = rs.reduce((a, r) => a + (r.backup?.longTasks || 0) + (r.restore?.longTasks || 0) + (r.check?.longTasks || 0), 0);
    const longDexie = max(rs.flatMap((r) => [r.dexieExport?.longTask, r.dexieImport?.longTask]));
    const archive = median(rs.map((r) => r.backup?.bytes));
    const dexieBytes = median(rs.map((r) => r.dexieExport?.bytes));
    const errs = rs.map((r) => r.dexieError).filter(Boolean);
    L.push('');
    L.push(`### ${size}: ${s.records.toLocaleString('en-US')} records (${Object.entries(s.counts).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}), IndexedDB usage ${fmtMiB(s.usage)}`);
    if (s.keptFrom) L.push('', `(${rs.length} run(s), from an earlier invocation kept with \`--keep\`; medians and ratios of those runs.)`);
    L.push('');
    L.push('| operation | median time | vs Coffer | notes |');
    L.push('|---|---|---|---|');
    L.push(`| Coffer backup (UI, worker) | ${fmtS(median(col('backup')))} | | archive ${fmtMiB(archive)} |`);
    const phaseMedians = PHASES.map((k) => median(rs.map((r) => r.backup?.phases?.[k])));
    if (phaseMedians.every(Number.isFinite)) {
      L.push(`| – in the worker: setup / reading / writing the archive | ${phaseMedians.map((ms) => (ms / 1000).toFixed(2)).join(' / ')} s | | User Timing \`coffer-backup:*\`; setup = key, schema, key-generator probe, counts |`);
    }
    L.push(`| Coffer restore: check + preview | ${fmtS(median(col('check')))} | | |`);
    const inPlace = rs.filter((r) => r.restoredInPlace).length;
    L.push(`| Coffer restore ("Restore now" → done) | ${fmtS(median(col('restore')))} | ${rs.some((r) => 'restoredInPlace' in r) ? `in place (version kept) in ${inPlace} of ${rs.length} run(s)` : ''} | |`);
    L.push(`| dexie-export-import exportDB | ${fmtS(median(col('dexieExport')))} | Coffer ${fmtX(rBackupDexie)} of it | export ${fmtMiB(dexieBytes)}${errs.length ? `; failed: ${errs[0]}` : ''} |`);
    L.push(`| dexie-export-import importDB | ${fmtS(median(col('dexieImport')))} | Coffer ${fmtX(rRestoreDexie)} of it | |`);
    L.push(`| raw read floor (getAll, one tx) | ${fmtS(median(col('rawRead')))} | Coffer ${fmtX(rBackupRaw)} of it | |`);
    L.push(`| raw read + every Blob's bytes | ${fmtS(median(col('rawReadBlobs')))} | Coffer ${fmtX(ratio('backup', 'rawReadBlobs'))} of it | not a target; Coffer must read the bytes |`);
    L.push(`| raw write floor (clear + put, one relaxed tx) | ${fmtS(median(col('rawWrite')))} | Coffer ${fmtX(rRestoreRaw)} of it | |`);
    L.push('');
    L.push('| target | measured | result |');
    L.push('|---|---|---|');
    const ok = (x, t) => (Number.isFinite(x) ? x <= t : undefined);
    L.push(`| backup ≥3× faster than exportDB (Coffer/dexie ≤ 0.33) | ${fmtX(rBackupDexie)} | ${pf(ok(rBackupDexie, 1 / 3))} |`);
    L.push(`| backup within 1.5× of raw read floor | ${fmtX(rBackupRaw)} | ${pf(ok(rBackupRaw, 1.5))} |`);
    L.push(`| restore ≥3× faster than importDB (Coffer/dexie ≤ 0.33) | ${fmtX(rRestoreDexie)} | ${pf(ok(rRestoreDexie, 1 / 3))} |`);
    L.push(`| restore within 1.5× of raw write floor | ${fmtX(rRestoreRaw)} | ${pf(ok(rRestoreRaw, 1.5))} |`);
    L.push(`| peak JS heap + wasm ≤ 128 MiB${size === 'large' ? '' : ' (target is for the 1 GiB db)'} | ${fmtMiB(peakTotal)} (backup ${fmtMiB(peakOf('backup'))}, check ${fmtMiB(peakOf('check'))}, restore ${fmtMiB(peakOf('restore'))}; maxima over the session: page heap ${fmtMiB(mem('pageHeap'))}, worker heap ${fmtMiB(mem('workerHeap'))}, worker wasm ${fmtMiB(mem('workerWasm'))}, page wasm ${fmtMiB(mem('appWasm'))}) | ${size === 'large' ? pf(ok(peakTotal, 128 * MiB)) : 'info'} |`);
    L.push(`| engine worker's JS heap after a Coffer operation, after a forced GC (not a target: a leak shows here) | ${fmtMiB(retained)} (largest) | info |`);
    const frames = rs.flatMap((r) => ['backup', 'check', 'restore'].flatMap((k) => (r[k]?.longFrames || []).map((f) => ({ ...f, op: k }))));
    const worst = frames.sort((a, b) => b.duration - a.duration)[0];
    const what = worst ? `; longest frame (${worst.op}) ${worst.duration} ms, scripts: ${worst.scripts.length ? worst.scripts.join('; ').replace(/\|/g, '/') : 'none (browser work, no script)'}` : '';
    L.push(`| no main-thread task > 50 ms during Coffer backup/restore | ${longCount} long task(s) in ${rs.length} run(s), longest ${longCount ? longCoffer.toFixed(0) + ' ms' : '–'}${what} (dexie-export-import on the main thread: ${Number.isFinite(longDexie) && longDexie > 0 ? longDexie.toFixed(0) + ' ms' : '–'}) | ${pf(longCount === 0)} |`);
  }
  const d = res.download;
  L.push('');
  L.push(`App download (every .wasm and .js in dist/, gzip level 9): **${(d.gz / 1024).toFixed(0)} KiB** (${d.parts.map((p) => `${p.file} ${(p.gz / 1024).toFixed(0)} KiB`).join(', ')}; uncompressed ${(d.raw / 1024).toFixed(0)} KiB) — target ≤ 350 KiB: ${pf(d.gz <= 350 * 1024)}.`);
  L.push('');
  if (res.seal?.length) {
    const fig = (name) => median(res.seal.map((round) => {
      const t = round.find((x) => x.name === name);
      return t ? t.amount / (t.micros / 1e6) : NaN;
    }));
    const seal = fig('seal 64 KiB records') / 1e6;
    const open = fig('open 64 KiB records') / 1e6;
    const small = fig('seal 200-byte records (records)') / 1e3;
    L.push('');
    L.push(`Sealing in the browser (\`window.coffer.measure(64)\`: the wasm engine in its worker, 64 MiB as 64 KiB records under a throw-away key, median of ${res.seal.length} rounds): seal **${seal.toFixed(0)} MB/s**, open **${open.toFixed(0)} MB/s**, 200-byte records ${small.toFixed(0)} k records/s — target ≥ 500 MB/s: **${seal >= 500 && open >= 500 ? 'pass' : 'fail'}**.`);
  }
  return L.join('\n');
}

async function updateBenchmarks(file, md) {
  const begin = '<!-- browser-bench:begin -->';
  const end = '<!-- browser-bench:end -->';
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const block = `${begin}\n${md}\n${end}`;
  const i = text.indexOf(begin), j = text.indexOf(end);
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else text = text.replace(/\s*$/, '') + `\n\n## Browser\n\n${block}\n`;
  await writeFile(file, text);
}

main().catch((e) => { console.error(e); process.exit(1); });
process.on('SIGTERM', () => { console.error('bench: terminated'); process.exit(143); });
