// Serves the libraries suite (scripts/test-libraries.sh, no dependencies):
//   http://127.0.0.1:$PORT/                tests/e2e/libraries/index.html
//   http://127.0.0.1:$PORT/harness/…       tests/e2e/libraries/
//   http://127.0.0.1:$PORT/coffer/…        the embed artifact (dist-embed/)
//   http://127.0.0.1:$PORT/node_modules/…  the libraries' browser builds
//   http://127.0.0.1:$PORT/cjs/…           a CommonJS/UMD file of node_modules
//                                          as an ES module (default export =
//                                          module.exports), as a bundler would
//   PUT/GET /stash/NAME                    keeps a backup in memory across the
//                                          page reloads and wipes of a test
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const roots = {
  '/harness/': join(repo, 'tests', 'e2e', 'libraries'),
  '/coffer/': join(repo, process.env.EMBED_DIST || 'dist-embed'),
  '/node_modules/': join(repo, 'node_modules'),
  '/cjs/': join(repo, 'node_modules'),
};
const port = Number(process.env.PORT || 8140);
const types = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.cjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json', '.map': 'application/json',
  '.data': 'application/octet-stream', '.ts': 'text/plain', '.gz': 'application/gzip',
};
const stash = new Map();

function clean(url) {
  return normalize(decodeURIComponent(new URL(url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
}

async function send(res, file, wrap) {
  try {
    let body = await readFile(file);
    if (wrap) body = `const module = { exports: {} }; const exports = module.exports;\n${body}\nexport default module.exports;\n`;
    res.writeHead(200, { 'content-type': wrap ? 'text/javascript' : types[extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end('not found');
  }
}

createServer((req, res) => {
  const path = clean(req.url);
  if (path.startsWith('/stash/')) {
    const name = path.slice('/stash/'.length);
    if (req.method === 'PUT') {
      const parts = [];
      req.on('data', (c) => parts.push(c));
      req.on('end', () => { stash.set(name, Buffer.concat(parts)); res.writeHead(204); res.end(); });
      return;
    }
    const body = stash.get(name);
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
    return res.end(body || 'not stashed');
  }
  if (path === '/' || path === '/index.html') return send(res, join(roots['/harness/'], 'index.html'));
  for (const [prefix, root] of Object.entries(roots)) {
    if (path.startsWith(prefix)) {
      const file = join(root, path.slice(prefix.length));
      if (!file.startsWith(root + sep)) break;
      return send(res, file, prefix === '/cjs/');
    }
  }
  res.writeHead(404);
  res.end('not found');
}).listen(port, '127.0.0.1', () => console.log(`libraries suite on http://127.0.0.1:${port}/`));
