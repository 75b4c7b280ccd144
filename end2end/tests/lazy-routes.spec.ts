import { test, expect, DEMO, hydrated, signIn } from './fixtures';

// Accounts, Exports, the settings pages and the invitation page are lazy
// routes: their code is split out of the main wasm (tools/wasm-split) and
// fetched on first use, so that the first load of Posts stays small (issue
// 14, BENCHMARKS.md). These tests fail if a module is missing or misnamed
// (the page stays dead, and the fixture fails on any console error or any
// /pkg file that does not arrive), or if a page says it is hydrated before
// its own module has hydrated it.

const wasmRequests = (page: import('@playwright/test').Page) => {
  const urls: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/pkg/') && path.endsWith('.wasm')) urls.push(path);
  });
  return urls;
};

/** The Exports form suggests a file name in the chosen format: only the wasm does that. */
async function formatChangesTheSuggestedName(page: import('@playwright/test').Page) {
  const name = page.getByRole('textbox', { name: /File name/ });
  await page.getByRole('radio', { name: 'JSON' }).check();
  await expect(name).toHaveAttribute('placeholder', /\.json$/);
  await page.getByRole('radio', { name: 'CSV' }).check();
  await expect(name).toHaveAttribute('placeholder', /\.csv$/);
}

test('Posts loads the main wasm only; opening Exports fetches its own module and it works', async ({ page }) => {
  await signIn(page, `/g/${DEMO.guild}/posts`);
  const requested = wasmRequests(page);
  await page.goto(`/g/${DEMO.guild}/posts`);
  await hydrated(page);
  expect(new Set(requested).size, `wasm fetched by Posts: ${requested}`).toBe(1);
  const main = requested[0];

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Exports' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Exports' })).toBeVisible();
  const lazy = [...new Set(requested)].filter((url) => url !== main);
  expect(lazy.length, `modules fetched for Exports: ${lazy}`).toBeGreaterThan(0);
  await formatChangesTheSuggestedName(page);
});

test('a lazy page opened directly hydrates once its module is in, and only then says so', async ({ page }) => {
  await signIn(page, `/g/${DEMO.guild}/posts`);
  const requested = wasmRequests(page);
  await page.goto(`/g/${DEMO.guild}/exports`);
  // `data-hydrated` comes after the page's own module: a test (or a
  // user) acting on it then is acting on a live page.
  await hydrated(page);
  expect(new Set(requested).size, `wasm fetched: ${requested}`).toBeGreaterThan(1);
  await formatChangesTheSuggestedName(page);

  // Then Guild settings and Deleted Items: client-side navigations into
  // two more lazy routes.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Guild settings' }).click();
  await page.getByRole('navigation', { name: 'Guild settings' }).getByRole('link', { name: 'Deleted Items' }).click();
  await expect(page).toHaveTitle(/^Deleted Items/);
  await expect(page.getByRole('search', { name: 'Filter deleted items' })).toBeVisible();
});
