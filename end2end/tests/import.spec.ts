import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, hydrated, signIn } from './fixtures';

// Backup and restore as an admin does it: export a guild's accounts
// (JSON) and posts (CSV) from the Exports page, import both into a new,
// empty guild with Import…, and the new guild shows the same totals.
const ADMIN = { user: 'importadmin', password: 'importadmin-password' };
const FROM = 'e2e-import-from';
const INTO = 'e2e-import';

async function exportAll(page, entity: 'Accounts' | 'Posts', format: 'JSON' | 'CSV'): Promise<string> {
  await page.goto(`/g/${FROM}/exports`);
  await hydrated(page);
  const form = page.getByRole('region', { name: 'New export' });
  await form.getByRole('radio', { name: entity }).check();
  await form.getByRole('radio', { name: format }).check();
  const downloading = page.waitForEvent('download');
  await form.getByRole('button', { name: 'Start export' }).click();
  const download = await downloading;
  return (await download.path())!;
}

async function total(page, guild: string, list: 'accounts' | 'posts'): Promise<string> {
  await page.goto(`/g/${guild}/${list}`);
  await hydrated(page);
  const text = page.locator('.list-total');
  await expect(text).toHaveText(new RegExp(`^[\\d,]+ ${list.slice(0, -1)}s?$`));
  return (await text.textContent())!;
}

async function importFile(page, path: string, name: string, count: number, noun: string) {
  await page.goto(`/g/${INTO}/exports`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Import…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import an export' });
  await dialog.getByLabel('Export file').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: readFileSync(path) });
  await dialog.getByRole('button', { name: 'Upload and check' }).click();
  // The dry run: counts before anything changes.
  const summary = dialog.getByTestId('import-summary');
  await expect(summary).toHaveText(`${count.toLocaleString('en-US')} ${noun}: ${count.toLocaleString('en-US')} new, 0 update existing, 0 rejected`);
  // Focus follows the step: the count to type is where the keyboard is.
  await expect(dialog.getByLabel(`Type ${count.toLocaleString('en-US')} to confirm`)).toBeFocused();
  const go = dialog.getByRole('button', { name: `Import ${count.toLocaleString('en-US')} ${noun}` });
  await go.click();
  await expect(dialog.getByRole('alert')).toContainText(`Type ${count.toLocaleString('en-US')} to confirm`);
  await dialog.getByLabel(`Type ${count.toLocaleString('en-US')} to confirm`).fill(String(count));
  await go.click();
  await expect(dialog.getByRole('status')).toContainText(`Imported ${count.toLocaleString('en-US')} ${noun}: ${count.toLocaleString('en-US')} new`);
  // The toast says it too, and the history lists it.
  await expect(page.getByRole('region', { name: 'Import notices' })).toContainText(`“${name}”: Imported`);
  await dialog.getByRole('button', { name: 'Close' }).click();
  const row = page.locator('.history-table tbody tr').filter({ hasText: name });
  await expect(row).toContainText('Imported');
}

// Typing no count first: the server function's 400 (the page says why).
const REFUSED = 'console.error: Failed to load resource: the server responded with a status of 400 (Bad Request)';

test('an export imported into a new guild shows the same totals', async ({ page, expectedErrors }) => {
  expectedErrors.push(REFUSED);
  await signIn(page, `/g/${FROM}/exports`, ADMIN);
  const accounts = await exportAll(page, 'Accounts', 'JSON');
  const posts = await exportAll(page, 'Posts', 'CSV');
  const accountCount = JSON.parse(readFileSync(accounts, 'utf8')).item_count;
  const want = [await total(page, FROM, 'accounts'), await total(page, FROM, 'posts')];
  // (Captions hold line breaks: the list's total, not the file's lines.)
  const postCount = Number(want[1].replace(/[^\d]/g, ''));
  expect(await total(page, INTO, 'posts')).toBe('0 posts');

  await importFile(page, accounts, 'accounts.json', accountCount, 'accounts');
  await importFile(page, posts, 'posts.csv', postCount, 'posts');

  expect([await total(page, INTO, 'accounts'), await total(page, INTO, 'posts')]).toEqual(want);
});

test('a file that is not an export is refused with a sentence, before anything is written', async ({ page, expectedErrors }) => {
  expectedErrors.push(REFUSED);
  await signIn(page, `/g/${INTO}/exports`, ADMIN);
  await hydrated(page);
  const path = join(tmpdir(), `not-an-export-${Date.now()}.csv`);
  writeFileSync(path, 'Name,Shoe size\r\nLuna,38\r\n');
  await page.getByRole('button', { name: 'Import…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import an export' });
  await dialog.getByLabel('Export file').setInputFiles(path);
  await dialog.getByRole('button', { name: 'Upload and check' }).click();
  await expect(dialog.getByRole('alert')).toContainText('not in the layout of a Guildtrack export');
  await expect(dialog.getByRole('alert')).toContainText('“Shoe size”');
});
