// Playwright configuration of the destinations suite: the release build
// (dist/) against the real test servers (scripts/servers.sh start; ports
// from COFFER_S3_PORT, COFFER_DAV_PORT, COFFER_DAV_NOCORS_PORT).
import { defineConfig } from '@playwright/test';
import base from './playwright.config.mjs';

export default defineConfig({
  ...base,
  testMatch: /destinations\.spec\.mjs/,
});
