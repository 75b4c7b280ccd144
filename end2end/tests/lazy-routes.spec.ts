import { test, expect, DEMO, hydrated, signIn } from './fixtures';

// The settings, exports, audit and trash pages are lazy routes: their code
// is split out of the main wasm (tools/wasm-split) and fetched on first use,
// so that the first load of the lists stays small (issue 14, BENCHMARKS.md).
// These tests fail if a split module is missing, misnamed or not preloaded:
// the page would stay dead, and the fixture fails on any console error.

const wasmRequests = (page: import('@playwright/test').Page) => {
  const urls: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/pkg/') && path.endsWith('.wasm')) urls.push(path);
  });
  return urls;
};

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

  // The page is alive, not only rendered: choosing a format changes the
  // file name the form suggests, which only the wasm does.
  const name = page.getByRole('textbox', { name: /File name/ });
  await page.getByRole('radio', { name: 'JSON' }).check();
  await expect(name).toHaveAttribute('placeholder', /\.json$/);
  await page.getByRole('radio', { name: 'CSV' }).check();
  await expect(name).toHaveAttribute('placeholder', /\.csv$/);
});

test('a lazy page loaded directly preloads its module and hydrates', async ({ page }) => {
  await signIn(page, `/g/${DEMO.guild}/settings/audit`);
  await page.goto(`/g/${DEMO.guild}/settings/audit`);
  await hydrated(page);
  const preloads = await page.locator('link[rel="preload"][href$=".wasm"]').evaluateAll((links) =>
    links.map((l) => (l as HTMLLinkElement).getAttribute('href')),
  );
  expect(preloads.length, `wasm preloads: ${preloads}`).toBeGreaterThan(1);
  // Clicking the Deleted Items tab is a client-side navigation into
  // another lazy route.
  await page.getByRole('navigation', { name: 'Guild settings' }).getByRole('link', { name: 'Deleted Items' }).click();
  await expect(page).toHaveTitle(/^Deleted Items/);
  await expect(page.getByRole('search', { name: 'Filter deleted items' })).toBeVisible();
});
