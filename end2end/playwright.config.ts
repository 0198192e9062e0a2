import { defineConfig } from '@playwright/test';
import * as os from 'os';
import * as path from 'path';
import * as fs from 'fs';
import { BINARY, SITE_ROOT } from './paths';

// The servers under test: the release build that ./scripts/run.sh serves
// (paths.ts), each on a fresh SQLite database in a temporary directory,
// with a known admin password. The main one starts empty (global-setup.ts
// adds a plain project "demo"); the second runs the full demo
// (--seed-demo), with every demo user's password known.
export const PORT = Number(process.env.SLIPWAY_E2E_PORT ?? 3917);
export const DEMO_PORT = Number(process.env.SLIPWAY_E2E_DEMO_PORT ?? 3918);
export const DEMO_PASSWORD = 'e2e demo password';
const port = PORT;
// Kept in the environment, so that tests (run in worker processes, which
// inherit it) can run `slipway admin ...` against the same installation.
const dataDir = (process.env.SLIPWAY_E2E_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-e2e-')));
const demoDataDir = (process.env.SLIPWAY_E2E_DEMO_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-e2e-demo-')));

export const ADMIN_PASSWORD = 'e2e admin password';

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  timeout: 30_000,
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  reporter: 'list',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    testIdAttribute: 'data-test',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      command: `'${BINARY}' serve`,
      url: `http://127.0.0.1:${port}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        SLIPWAY_ADDR: `127.0.0.1:${port}`,
        SLIPWAY_DATA_DIR: dataDir,
        SLIPWAY_SITE_ROOT: SITE_ROOT,
        SLIPWAY_ADMIN_PASSWORD: ADMIN_PASSWORD,
        SLIPWAY_LOG: 'warn',
        // The tests connect git repositories they create under the temporary
        // directory (the data directory there stays refused).
        SLIPWAY_LOCAL_REPOSITORIES: fs.realpathSync(os.tmpdir()),
      },
    },
    {
      command: `'${BINARY}' serve --seed-demo`,
      url: `http://127.0.0.1:${DEMO_PORT}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        SLIPWAY_ADDR: `127.0.0.1:${DEMO_PORT}`,
        SLIPWAY_DATA_DIR: demoDataDir,
        SLIPWAY_SITE_ROOT: SITE_ROOT,
        SLIPWAY_ADMIN_PASSWORD: ADMIN_PASSWORD,
        SLIPWAY_DEMO_PASSWORD: DEMO_PASSWORD,
        SLIPWAY_LOG: 'warn',
      },
    },
  ],
});
