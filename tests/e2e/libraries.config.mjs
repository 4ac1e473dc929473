// Playwright configuration of the libraries suite (scripts/test-libraries.sh):
// tests/e2e/libraries/ with the embed artifact and the libraries' browser
// builds from node_modules, in system Chromium.
import { defineConfig } from '@playwright/test';

const port = Number(process.env.LIBRARIES_PORT || 8140);
process.env.COFFER_LIBRARIES = '1';

export default defineConfig({
  testDir: '.',
  testMatch: /libraries\.spec\.mjs/,
  timeout: 150_000,
  expect: { timeout: 30_000 },
  workers: 1,
  reporter: [['list']],
  outputDir: '../../test-results/libraries',
  use: {
    locale: 'en-US',
    baseURL: `http://127.0.0.1:${port}/`,
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    command: 'node tests/e2e/libraries-serve.mjs',
    cwd: '../..',
    env: { PORT: String(port) },
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 30_000,
  },
});
