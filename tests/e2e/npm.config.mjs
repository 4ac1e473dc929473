// Playwright configuration of the npm-package test (scripts/test-npm.sh):
// the Vite app in $NPM_APP_DIR, built, served by `vite preview`.
import { defineConfig } from '@playwright/test';

const port = Number(process.env.NPM_PORT || 8099);
const app = process.env.NPM_APP_DIR;
if (!app) throw new Error('NPM_APP_DIR is not set: run scripts/test-npm.sh');

export default defineConfig({
  testDir: '.',
  testMatch: /npm\.spec\.mjs/,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  workers: 1,
  reporter: [['list']],
  outputDir: '../../test-results/npm',
  use: {
    locale: 'en-US',
    baseURL: `http://127.0.0.1:${port}/`,
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${port} --strictPort`,
    cwd: app,
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 30_000,
  },
});
