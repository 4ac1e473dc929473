// Playwright configuration of the embedding tests (scripts/test-embed.sh):
// examples/host-app with the built artifact, in system Chromium.
import { defineConfig } from '@playwright/test';

const port = Number(process.env.EMBED_PORT || 8097);
process.env.COFFER_EMBED = '1';
process.env.COFFER_EMBED_PORT = String(port);

export default defineConfig({
  testDir: '.',
  testMatch: /embed\.spec\.mjs/,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  workers: 1,
  reporter: [['list']],
  outputDir: '../../test-results/embed',
  use: {
    locale: 'en-US', // the tests use the English accessible names (the app follows navigator.language)
    baseURL: `http://127.0.0.1:${port}/`,
    acceptDownloads: true,
    viewport: { width: 1280, height: 1000 },
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    command: 'node tests/e2e/embed-serve.mjs',
    cwd: '../..',
    env: { PORT: String(port), ARTIFACT_PORT: String(port + 1) },
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 30_000,
  },
});
