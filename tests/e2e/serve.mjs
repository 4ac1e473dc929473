// Serves dist/ on 127.0.0.1 for the end-to-end tests (no dependencies).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'dist');
const port = Number(process.env.PORT || 8099);
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.webmanifest': 'application/manifest+json' };

// The offline test "deploys a new build": POST /__next-build makes sw.js
// carry another BUILD until POST /__same-build.
let nextBuild = false;

createServer(async (req, res) => {
  if (req.method === 'POST' && (req.url === '/__next-build' || req.url === '/__same-build')) {
    nextBuild = req.url === '/__next-build';
    res.writeHead(204);
    res.end();
    return;
  }
  let path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
  if (path === '/' || path === '') path = '/index.html';
  try {
    let body = await readFile(join(root, path));
    if (nextBuild && path === '/sw.js') {
      body = body.toString('utf8').replace(/const BUILD = '([^']*)';/, "const BUILD = '$1-next';");
    }
    res.writeHead(200, { 'content-type': types[extname(path)] || 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end('not found');
  }
}).listen(port, '127.0.0.1', () => console.log(`serving ${root} on http://127.0.0.1:${port}/`));
