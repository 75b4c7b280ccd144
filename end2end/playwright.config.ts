import { defineConfig } from '@playwright/test';

// scripts/test starts one server per database and says which in BACKENDS.
const ports: Record<string, number> = { sqlite: 3100, postgres: 3101 };
const backends = (process.env.BACKENDS ?? 'sqlite').split(',').filter(Boolean);

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    trace: 'off',
    launchOptions: {
      // Debian's Chromium; Playwright never downloads a browser here.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  projects: backends.map((name) => ({
    name,
    use: { baseURL: `http://127.0.0.1:${ports[name]}` },
  })),
});
