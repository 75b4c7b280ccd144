import { readFileSync } from 'node:fs';
import { test, expect, hydrated, signIn, DEMO } from './fixtures';

const accountsPath = `/g/${DEMO.guild}/accounts`;
const postsPath = `/g/${DEMO.guild}/posts`;

test('an instant CSV export of the filtered view downloads with the chosen name', async ({ page }) => {
  await signIn(page, `${accountsPath}?platform=tiktok`);
  await hydrated(page);
  const total = Number((await page.locator('.list-total').textContent())!.replace(/\D/g, ''));
  expect(total).toBeGreaterThan(0);

  await page.getByRole('button', { name: 'Export…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export accounts' });
  await expect(dialog).toBeVisible();
  // The default name follows the format.
  const name = dialog.getByLabel('File name');
  await expect(name).toHaveAttribute('placeholder', new RegExp(`^${DEMO.guild}-accounts-tiktok-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  await dialog.getByLabel('JSON').check();
  await expect(name).toHaveAttribute('placeholder', /\.json$/);
  await dialog.getByLabel('CSV').check();
  await name.fill('tiktok accounts');

  const downloading = page.waitForEvent('download');
  await dialog.getByRole('button', { name: `Export ${total.toLocaleString('en-US')} accounts` }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('tiktok accounts.csv');
  const bytes = readFileSync((await download.path())!);
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const lines = bytes.subarray(3).toString('utf8').split('\r\n').filter((l) => l !== '');
  expect(lines[0]).toBe(
    'ID,Platform,Handle,Display name,Profile URL,Group,Brand,Status,Followers,Posts,Created at (UTC),Updated at (UTC),External ID',
  );
  expect(lines).toHaveLength(total + 1);
  for (const line of lines.slice(1)) expect(line.split(',')[1]).toBe('tiktok');
  await expect(dialog).toBeHidden();
});

test('a background XLSX export shows item progress, raises a toast, and downloads from the history', async ({ page }) => {
  await signIn(page, postsPath);
  await hydrated(page);
  const total = (await page.locator('.list-total').textContent())!.replace(/ posts$/, '');

  await page.getByRole('button', { name: 'Export…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export posts' });
  await dialog.getByLabel('Excel (XLSX)').check();
  await dialog.getByLabel(/^Everything: /).check();
  await dialog.getByLabel('File name').fill('all posts');
  await dialog.getByRole('button', { name: `Export ${total} posts` }).click();

  // Progress by item count, then the toast with a Download link.
  const activity = page.getByRole('region', { name: 'Exports in progress' });
  await expect(activity.getByText(new RegExp(`^Exporting [\\d,]+/${total} items…$`))).toBeVisible();
  await expect(activity.locator('progress')).toBeVisible();
  const toast = activity.getByRole('status').filter({ hasText: 'Export ready' });
  await expect(toast).toContainText('all posts.xlsx');
  await expect(toast.getByRole('link', { name: 'Download' })).toBeVisible();

  // The history lists it; its Download link gives the workbook.
  await page.getByRole('link', { name: 'Exports' }).click();
  await expect(page.getByRole('heading', { name: 'Exports', level: 1 })).toBeVisible();
  const row = page.locator('.history-table tbody tr').filter({ hasText: 'all posts.xlsx' });
  await expect(row).toContainText('Ready');
  await expect(row).toContainText(total);
  const downloading = page.waitForEvent('download');
  await row.getByRole('link', { name: 'Download all posts.xlsx' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('all posts.xlsx');
  const bytes = readFileSync((await download.path())!);
  expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK'); // a zip container
  expect(bytes.length).toBeGreaterThan(10_000);
});

test('the Export page starts a filtered export and a bad filter explains itself', async ({ page }) => {
  await signIn(page, `/g/${DEMO.guild}/exports`);
  await hydrated(page);
  const form = page.getByRole('region', { name: 'New export' });
  await form.getByRole('radio', { name: 'Accounts' }).check();
  await form.locator('select[name=platform]').selectOption('youtube');
  await form.getByLabel('JSON').check();
  const downloading = page.waitForEvent('download');
  await form.getByRole('button', { name: 'Start export' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(new RegExp(`^${DEMO.guild}-accounts-youtube-\\d{4}-\\d{2}-\\d{2}\\.json$`));
  const doc = JSON.parse(readFileSync((await download.path())!, 'utf8'));
  expect(doc.scope).toEqual({ kind: 'view', filters: { platform: 'youtube' } });
  expect(doc.items.length).toBe(doc.item_count);
  for (const item of doc.items) expect(item.platform).toBe('youtube');
  // The history shows the instant export too, and which filter made it.
  const first = page.locator('.history-table tbody tr').first();
  await expect(first).toContainText('Accounts · JSON');
  await expect(first.locator('td[data-label="Scope"]')).toHaveText('YouTube');

  // Dates the wrong way round: the filter parser's sentence (shared with the server).
  await form.getByRole('radio', { name: 'Posts' }).check();
  await form.getByLabel('From', { exact: true }).fill('2026-03-01');
  await form.getByLabel('To', { exact: true }).fill('2026-02-01');
  await form.getByRole('button', { name: 'Start export' }).click();
  await expect(form.getByRole('alert')).toContainText('“from” date is after the “to” date');
});
