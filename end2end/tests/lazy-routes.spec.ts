import { test, expect, DEMO, hydrated, signIn } from './fixtures';

// Sign-in, the guild chooser, Accounts, Exports, the settings pages and the
// invitation page are lazy routes, and the export dialog, the bulk bar and
// its progress panel are lazy functions: their code is split out of the
// main wasm (tools/wasm-split) and fetched on first use, or once Posts is
// live, so that the first load of Posts stays small (issue 14,
// BENCHMARKS.md). These tests fail if a module is missing or misnamed
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

/**
 * Lazy modules arrive in one bundle per lazy piece (tools/bundled-fetch.js),
 * not one by one: dozens of small files cost a phone more than a second.
 */
const fetchedOneByOne = (urls: string[]) =>
  [...new Set(urls)].filter((url) => !/\/pkg\/(guildtrack|bundle_)[^/]*\.wasm$/.test(url));

/** The Exports form suggests a file name in the chosen format: only the wasm does that. */
async function formatChangesTheSuggestedName(page: import('@playwright/test').Page) {
  const name = page.getByRole('textbox', { name: /File name/ });
  await page.getByRole('radio', { name: 'JSON' }).check();
  await expect(name).toHaveAttribute('placeholder', /\.json$/);
  await page.getByRole('radio', { name: 'CSV' }).check();
  await expect(name).toHaveAttribute('placeholder', /\.csv$/);
}

test('Posts is live on the main wasm alone; its dialogs and bulk bar come after, and work', async ({ page }) => {
  await signIn(page, `/g/${DEMO.guild}/posts`);
  const requested = wasmRequests(page);
  // Every module but the main one is held back until Posts says it is
  // live: if hydration needed one, `hydrated` would time out.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/pkg\/.*\.wasm$/, async (route) => {
    if (!/\/pkg\/guildtrack\.[^/]*wasm$/.test(new URL(route.request().url()).pathname)) await released;
    await route.continue();
  });
  await page.goto(`/g/${DEMO.guild}/posts`);
  await hydrated(page);
  const main = [...new Set(requested)].filter((url) => /\/pkg\/guildtrack\./.test(url));
  expect(main.length, `main wasm fetched by Posts: ${requested}`).toBe(1);
  release();

  // The bulk bar: its module, fetched once the page was live.
  await page.locator('.card-check').first().click();
  const bar = page.getByRole('region', { name: 'Bulk actions' });
  await expect(bar).toContainText('1 post selected');
  await page.keyboard.press('Escape');
  await expect(bar).toBeHidden();

  // The export dialog: mounted at the first click, and live.
  await page.getByRole('button', { name: 'Export…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export posts' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('radio', { name: 'CSV' })).toBeFocused();
  await formatChangesTheSuggestedName(page);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  // Opened again: the same dialog, counted afresh.
  await page.getByRole('button', { name: 'Export…' }).click();
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: /^Export [\d,]+ posts$/ })).toBeEnabled();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Exports' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Exports' })).toBeVisible();
  const lazy = [...new Set(requested)].filter((url) => !main.includes(url));
  expect(lazy.length, `modules fetched after Posts: ${lazy}`).toBeGreaterThan(0);
  expect(fetchedOneByOne(requested), 'wasm modules fetched outside a bundle').toEqual([]);
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
  expect(fetchedOneByOne(requested), 'wasm modules fetched outside a bundle').toEqual([]);
  await formatChangesTheSuggestedName(page);

  // Then Guild settings and Deleted Items: client-side navigations into
  // two more lazy routes.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Guild settings' }).click();
  await page.getByRole('navigation', { name: 'Guild settings' }).getByRole('link', { name: 'Deleted Items' }).click();
  await expect(page).toHaveTitle(/^Deleted Items/);
  await expect(page.getByRole('search', { name: 'Filter deleted items' })).toBeVisible();
});
