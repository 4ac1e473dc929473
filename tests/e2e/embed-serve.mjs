// Serves the embedding example for scripts/test-embed.sh (no dependencies):
//   http://127.0.0.1:$PORT/          examples/host-app/
//   http://127.0.0.1:$PORT/coffer/   the artifact (dist-embed/)
//   http://127.0.0.1:$ARTIFACT_PORT/ the artifact again, on another origin
//                                    with CORS, as a CDN would serve it
//   http://127.0.0.1:$PORT/cross-origin.html  a page loading it from there
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const host = join(repo, 'examples', 'host-app');
const artifact = join(repo, process.env.EMBED_DIST || 'dist-embed');
const port = Number(process.env.PORT || 8097);
const artifactPort = Number(process.env.ARTIFACT_PORT || port + 1);
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json', '.ts': 'text/plain', '.png': 'image/png' };

const crossOrigin = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>cross-origin embed</title>
<script type="module" src="http://127.0.0.1:${artifactPort}/coffer-backup.js"></script></head>
<body><h1>Loaded from another origin</h1><coffer-backup compact theme="dark"></coffer-backup></body></html>`;

function clean(url) {
  return normalize(decodeURIComponent(new URL(url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
}

async function send(res, file, extra = {}) {
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': types[extname(file)] || 'application/octet-stream', 'cache-control': 'no-store', ...extra });
    res.end(body);
  } catch {
    res.writeHead(404, extra);
    res.end('not found');
  }
}

createServer((req, res) => {
  let path = clean(req.url);
  if (path === '/cross-origin.html') {
    res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' });
    return res.end(crossOrigin);
  }
  if (path === '/' || path === '') path = '/index.html';
  if (path.startsWith('/coffer/')) return send(res, join(artifact, path.slice('/coffer/'.length)));
  return send(res, join(host, path));
}).listen(port, '127.0.0.1', () => console.log(`host app on http://127.0.0.1:${port}/`));

createServer((req, res) => send(res, join(artifact, clean(req.url)), { 'access-control-allow-origin': '*' }))
  .listen(artifactPort, '127.0.0.1', () => console.log(`artifact on http://127.0.0.1:${artifactPort}/`));
