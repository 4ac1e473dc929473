// End-to-end tests of destinations (issue #17) against the real test
// servers: S3 (s3rver) and WebDAV (WsgiDAV), each with and without a CORS
// rule for this page (scripts/servers.sh). Adds destinations, tests their
// connection (OK, wrong credentials, CORS missing: the message carries the
// rule), sends a backup larger than one multipart part, lists it and
// restores from it through the normal preview and confirmation.
import { test, expect } from '@playwright/test';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const shots = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: axePath });
  return await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`) }));
  }, WCAG);
}

// Nothing wider than the window, and nothing wider than its card.
async function overflows(page) {
  return await page.evaluate(() => {
    const out = [];
    if (document.scrollingElement.scrollWidth > innerWidth) out.push(`page ${document.scrollingElement.scrollWidth} > ${innerWidth}`);
    for (const el of document.querySelectorAll('section.destinations *, section.destinations')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > innerWidth + 0.5) out.push(`${el.tagName}.${el.className} right ${Math.round(r.right)}`);
    }
    return out;
  });
}

const s3Port = Number(process.env.COFFER_S3_PORT || 8650);
const davPort = Number(process.env.COFFER_DAV_PORT || 8651);
const davNoCorsPort = Number(process.env.COFFER_DAV_NOCORS_PORT || 8652);
const S3 = `http://127.0.0.1:${s3Port}`;
const DAV_PW = 'coffer-dav-pw';

const status = (page) => page.getByRole('status');

async function open(page) {
  await page.addInitScript(() => { delete window.showSaveFilePicker; });
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Backup Management' })).toBeVisible();
  await expect(page.getByText('Loading…')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Destinations' })).toBeVisible();
}

async function addS3(page, id, { bucket = 'coffer', secret = 'S3RVER', prefix = 'e2e', keyId = 'S3RVER' } = {}) {
  const card = page.locator('section.destinations');
  await card.getByTestId('dest-add').click();
  const form = card.getByTestId('dest-form');
  await form.getByLabel('Kind').selectOption('s3');
  await form.getByLabel('Name (letters, digits, - and _)').fill(id);
  await form.getByLabel('Endpoint').fill(S3);
  await form.getByLabel('Region').fill('us-east-1');
  await form.getByLabel('Bucket', { exact: true }).fill(bucket);
  await form.getByLabel('Prefix (folder in the bucket)').fill(prefix);
  await form.getByLabel('Access key id').fill(keyId);
  await form.getByLabel('Secret access key').fill(secret);
  await form.getByRole('button', { name: 'Save destination' }).click();
  await expect(status(page)).toContainText(`Destination “${id}” saved.`);
  await expect(card.getByTestId(`dest-${id}`)).toBeVisible();
}

async function addDav(page, id, { port = davPort, password = DAV_PW } = {}) {
  const card = page.locator('section.destinations');
  await card.getByTestId('dest-add').click();
  const form = card.getByTestId('dest-form');
  await form.getByLabel('Kind').selectOption('webdav');
  await form.getByLabel('Name (letters, digits, - and _)').fill(id);
  await form.getByLabel('Address of the folder').fill(`http://127.0.0.1:${port}/`);
  await form.getByLabel('User name').fill('coffer');
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Save destination' }).click();
  await expect(status(page)).toContainText(`Destination “${id}” saved.`);
}

async function testConnection(page, id) {
  await page.getByTestId(`dest-${id}`).getByRole('button', { name: 'Test connection' }).click();
}

// ~12 MiB of incompressible records (more than one 8 MiB part once zipped)
// and a few small ones.
async function seed(page) {
  await page.evaluate(async () => {
    const req = indexedDB.open('e2e-remote', 1);
    req.onupgradeneeded = () => { req.result.createObjectStore('blobs'); req.result.createObjectStore('notes', { keyPath: 'id' }); };
    const db = await new Promise((ok, err) => { req.onsuccess = () => ok(req.result); req.onerror = () => err(req.error); });
    const tx = db.transaction(['blobs', 'notes'], 'readwrite');
    for (let i = 0; i < 12; i++) {
      const bytes = new Uint8Array(1 << 20);
      for (let o = 0; o < bytes.length; o += 65536) crypto.getRandomValues(bytes.subarray(o, o + 65536));
      tx.objectStore('blobs').put(bytes, 'chunk-' + i);
    }
    for (let i = 0; i < 5; i++) tx.objectStore('notes').put({ id: i, text: 'note ' + i, when: new Date(1700000000000 + i) });
    await new Promise((ok, err) => { tx.oncomplete = ok; tx.onerror = () => err(tx.error); });
    db.close();
  });
}

// Every record of e2e-remote, with a digest of each chunk.
async function dump(page) {
  return await page.evaluate(async () => {
    const db = await new Promise((ok, err) => { const r = indexedDB.open('e2e-remote'); r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
    const out = {};
    for (const name of Array.from(db.objectStoreNames)) {
      const tx = db.transaction(name);
      const s = tx.objectStore(name);
      const [keys, values] = await Promise.all([s.getAllKeys(), s.getAll()].map((r) => new Promise((ok) => { r.onsuccess = () => ok(r.result); })));
      out[name] = [];
      for (let i = 0; i < keys.length; i++) {
        let v = values[i];
        if (v instanceof Uint8Array) {
          const d = await crypto.subtle.digest('SHA-256', v);
          v = { len: v.length, sha: Array.from(new Uint8Array(d)).map((b) => b.toString(16).padStart(2, '0')).join('') };
        } else if (v && v.when instanceof Date) {
          v = { ...v, when: v.when.getTime() };
        }
        out[name].push([keys[i], v]);
      }
    }
    db.close();
    return out;
  });
}

async function wipe(page) {
  await page.evaluate(() => new Promise((ok, err) => { const r = indexedDB.deleteDatabase('e2e-remote'); r.onsuccess = ok; r.onerror = () => err(r.error); }));
}

test('add S3 and WebDAV destinations; test connection: OK, wrong credentials, CORS missing', async ({ page }) => {
  await open(page);
  await addS3(page, 's3ok');
  await testConnection(page, 's3ok');
  await expect(status(page)).toContainText('Connection to “s3ok” works');

  // s3rver checks the access key id, not SigV4 signatures.
  await addS3(page, 's3bad', { keyId: 'NOSUCHKEY', secret: 'not-the-secret' });
  await testConnection(page, 's3bad');
  await expect(status(page)).toContainText('refused the credentials');
  await expect(status(page)).toContainText('(remote-denied)');

  await addDav(page, 'davok');
  await testConnection(page, 'davok');
  await expect(status(page)).toContainText('Connection to “davok” works');

  await addDav(page, 'davbad', { password: 'wrong-pw' });
  await testConnection(page, 'davbad');
  await expect(status(page)).toContainText('(remote-denied)');

  const origin = new URL(page.url()).origin;
  await addS3(page, 's3nocors', { bucket: 'coffer-nocors' });
  await testConnection(page, 's3nocors');
  await expect(status(page)).toContainText('(remote-cors)');
  await expect(status(page)).toContainText('"CORSRules"');
  await expect(status(page)).toContainText(`"AllowedOrigins": ["${origin}"]`);
  await expect(status(page)).toContainText('"ExposeHeaders": ["ETag"]');

  await addDav(page, 'davnocors', { port: davNoCorsPort });
  await testConnection(page, 'davnocors');
  await expect(status(page)).toContainText('(remote-cors)');
  await expect(status(page)).toContainText(`Access-Control-Allow-Origin: ${origin}`);

  // No secret is shown, kept in localStorage or in the page.
  const html = await page.content();
  const local = await page.evaluate(() => JSON.stringify(Object.entries(localStorage)));
  for (const secret of [DAV_PW, 'not-the-secret', 'wrong-pw']) {
    expect(html).not.toContain(secret);
    expect(local).not.toContain(secret);
  }
  // Editing shows the settings but not the secret; an empty secret keeps it.
  await page.getByTestId('dest-davok').getByRole('button', { name: 'Edit' }).click();
  const form = page.getByTestId('dest-form');
  await expect(form.getByLabel('User name')).toHaveValue('coffer');
  await expect(form.getByLabel('Password')).toHaveValue('');
  await form.getByRole('button', { name: 'Save destination' }).click();
  await expect(status(page)).toContainText('Destination “davok” saved.');
  await testConnection(page, 'davok');
  await expect(status(page)).toContainText('Connection to “davok” works');

  await page.getByTestId('dest-s3bad').getByRole('button', { name: 'Remove' }).click();
  await expect(status(page)).toContainText('Destination “s3bad” removed');
  await expect(page.getByTestId('dest-s3bad')).toHaveCount(0);
});

for (const kind of ['s3', 'webdav']) {
  test(`${kind}: a backup larger than one part is sent, listed and restored`, async ({ page }) => {
    await open(page);
    const id = kind === 's3' ? 'big-s3' : 'big-dav';
    if (kind === 's3') await addS3(page, id, { prefix: 'big' });
    else await addDav(page, id);
    await seed(page);
    await page.reload();
    await expect(page.getByTestId('row-e2e-remote-blobs')).toBeVisible();
    const before = await dump(page);
    expect(before.blobs).toHaveLength(12);

    await page.getByTestId('backup-destination').selectOption(id);
    await expect(page.getByTestId('backup-lock-key')).toBeChecked();
    await page.getByRole('button', { name: 'Create backup' }).click();
    const sent = new RegExp(`Backup sent to ${kind}:${id}/coffer-backup-[0-9-]+\\.zip \\(1[2-9]\\.\\d MiB in ${kind === 's3' ? 2 : 1} part\\(s\\)\\)`);
    await expect(status(page)).toContainText(sent, { timeout: 60_000 });
    const name = (await status(page).textContent()).match(/coffer-backup-[0-9-]+\.zip/)[0];

    // The list shows it (the servers' data may hold earlier runs' files too).
    await page.getByTestId(`dest-${id}`).getByRole('button', { name: 'Show backups' }).click();
    const list = page.getByTestId('remote-backups');
    await expect(list.getByRole('row', { name: new RegExp(name) })).toHaveCount(1);
    await expect(list).not.toContainText('connection-test');

    await wipe(page);
    await list.getByRole('button', { name: `Restore… ${name}` }).click();
    await expect(status(page)).toContainText('Backup checked', { timeout: 60_000 });
    await expect(page.getByTestId('preview')).toBeVisible();
    await page.getByRole('button', { name: 'Restore backup' }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore this backup?' });
    await dialog.getByRole('button', { name: 'Restore now' }).click();
    await expect(status(page)).toContainText('Restore complete', { timeout: 60_000 });
    expect(await dump(page)).toEqual(before);

    // The history names where the backup went and where the restore came from.
    const history = page.locator('section', { has: page.getByRole('heading', { name: 'History' }) });
    await expect(history).toContainText(`${kind}:${id}/coffer-backup-`);
  });
}

test('automatic backups to a destination: the retention deletes only their own files', async ({ page }) => {
  await open(page);
  const id = 'auto-s3';
  await addS3(page, id, { prefix: `auto-${Date.now()}` });
  await page.getByRole('button', { name: 'Load sample data' }).click();
  await expect(status(page)).toContainText('Sample data loaded');

  // A backup sent by hand: the retention never deletes it.
  await page.getByTestId('backup-destination').selectOption(id);
  await page.getByRole('button', { name: 'Create backup' }).click();
  await expect(status(page)).toContainText(`Backup sent to s3:${id}/`);
  const manual = (await status(page).textContent()).match(/coffer-backup-[0-9-]+\.zip/)[0];

  const auto = page.locator('section.auto');
  await auto.getByTestId('auto-destination').selectOption(id);
  await auto.getByTestId('auto-keep-last').fill('1');
  await auto.getByTestId('auto-keep-daily').fill('0');
  await auto.getByTestId('auto-keep-weekly').fill('0');
  await auto.getByRole('button', { name: 'Save settings' }).click();
  await expect(status(page)).toContainText('Settings saved.');

  const names = [];
  for (let i = 0; i < 3; i++) {
    // File names carry the second: let one pass.
    await page.waitForTimeout(1100);
    await auto.getByRole('button', { name: 'Back up now' }).click();
    // Wait for this run's message (the last one matches the same pattern).
    const seen = [manual, ...names];
    let name;
    await expect.poll(async () => {
      const text = (await status(page).textContent()) ?? '';
      const m = text.match(/Automatic backup (coffer-backup-[0-9-]+\.zip) written; [01] older files deleted\./);
      name = m && !seen.includes(m[1]) ? m[1] : undefined;
      return name !== undefined;
    }, { timeout: 30_000 }).toBe(true);
    names.push(name);
  }
  await expect(status(page)).toContainText('1 older files deleted');

  await page.getByTestId(`dest-${id}`).getByRole('button', { name: 'Show backups' }).click();
  const list = page.getByTestId('remote-backups');
  await expect(list.getByRole('row', { name: new RegExp(names[2]) })).toHaveCount(1);
  await expect(list.getByRole('row', { name: new RegExp(manual) })).toHaveCount(1);
  await expect(list.getByRole('row', { name: new RegExp(names[0]) })).toHaveCount(0);
  await expect(list.getByRole('row', { name: new RegExp(names[1]) })).toHaveCount(0);
  await expect(list.getByRole('row')).toHaveCount(3); // header, manual, newest automatic

  const history = page.locator('section', { has: page.getByRole('heading', { name: 'History' }) });
  await expect(history).toContainText(`s3:${id}/${names[2]}`);
});

for (const [w, h] of [[390, 844], [1280, 720]]) {
  for (const colorScheme of ['light', 'dark']) {
    test(`${w}×${h}, ${colorScheme}: the card works by keyboard, fits, and has no axe violation`, async ({ page }) => {
      await page.setViewportSize({ width: w, height: h });
      await page.emulateMedia({ colorScheme });
      await open(page);
      // By keyboard: open the form, fill it, submit with Enter.
      await page.getByTestId('dest-add').focus();
      await page.keyboard.press('Enter');
      const form = page.getByTestId('dest-form');
      await expect(form).toBeVisible();
      await form.getByLabel('Kind').focus();
      await page.keyboard.press('Tab');
      await expect(form.getByLabel('Name (letters, digits, - and _)')).toBeFocused();
      await page.keyboard.type('kbd');
      for (const value of [S3, 'us-east-1', 'coffer', 'keyboard', 'S3RVER', 'S3RVER']) {
        await page.keyboard.press('Tab');
        await page.keyboard.press('Control+A');
        await page.keyboard.type(value);
      }
      await expect(form.getByLabel('Secret access key')).toBeFocused();
      expect(await overflows(page)).toEqual([]);
      expect(await axe(page)).toEqual([]);
      await page.keyboard.press('Enter');
      await expect(status(page)).toContainText('Destination “kbd” saved.');
      // Test connection and the (empty) list, by keyboard.
      const row = page.getByTestId('dest-kbd');
      await row.getByRole('button', { name: 'Test connection' }).focus();
      await page.keyboard.press('Enter');
      await expect(status(page)).toContainText('Connection to “kbd” works');
      await page.keyboard.press('Tab');
      await expect(row.getByRole('button', { name: 'Show backups' })).toBeFocused();
      await page.keyboard.press('Enter');
      await expect(page.getByTestId('remote-empty')).toBeVisible();
      // The CORS message with its rule fits too.
      await addS3(page, 'nocors', { bucket: 'coffer-nocors' });
      await testConnection(page, 'nocors');
      await expect(status(page)).toContainText('(remote-cors)');
      expect(await overflows(page)).toEqual([]);
      expect(await axe(page)).toEqual([]);
      await page.locator('section.destinations').screenshot({ path: join(shots, `destinations-${w}-${colorScheme}.png`) });
    });
  }
}
