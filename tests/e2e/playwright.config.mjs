// Playwright configuration: the real release build in system Chromium.
import { defineConfig } from '@playwright/test';

const port = Number(process.env.E2E_PORT || 8099);

export default defineConfig({
  testDir: '.',
  // The app's suites; other specs here have their own configs.
  testMatch: /(app|ui|offline)\.spec\.mjs/,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  workers: 1,
  reporter: [['list']],
  outputDir: '../../test-results',
  use: {
    locale: 'en-US', // the tests use the English accessible names (the app follows navigator.language)
    baseURL: `http://127.0.0.1:${port}/`,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    command: `node tests/e2e/serve.mjs`,
    cwd: '../..',
    env: { PORT: String(port) },
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 30_000,
  },
});
