// Trunk post-build hook (Trunk.toml): writes the list of every file of the
// build, with Trunk's hashed names, and a hash of their contents into the
// staged sw.js, so the service worker precaches exactly this build and a
// new build is a new service worker. Also writes `coffer-files.json` (the
// same list, for host apps' own service workers; docs/embed.md).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error('sw-precache: TRUNK_STAGING_DIR is not set (run by Trunk as a post_build hook)');
  process.exit(1);
}
const SKIP = new Set(['sw.js', 'coffer-files.json']);

function walk(d) {
  return readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const files = walk(dir)
  .map((p) => relative(dir, p).split(sep).join('/'))
  .filter((f) => !SKIP.has(f))
  .sort();
const hash = createHash('sha256');
for (const f of files) {
  hash.update(f + '\0');
  hash.update(readFileSync(join(dir, f)));
}
const build = hash.digest('hex').slice(0, 16);
// './' is index.html too (the start URL).
const precache = ['./', ...files];
const swPath = join(dir, 'sw.js');
const sw = readFileSync(swPath, 'utf8');
const out = sw
  .replace(/^const BUILD = '[^']*';$/m, `const BUILD = '${build}';`)
  .replace(/^const FILES = \[\];$/m, `const FILES = ${JSON.stringify(precache)};`);
if (out === sw) {
  console.error('sw-precache: sw.js has no BUILD/FILES lines to fill in');
  process.exit(1);
}
writeFileSync(swPath, out);
writeFileSync(join(dir, 'coffer-files.json'), JSON.stringify({ build, files }, null, 2) + '\n');
console.log(`sw-precache: ${files.length} files, build ${build}`);
