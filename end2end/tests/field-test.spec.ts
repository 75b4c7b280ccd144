import { Page } from '@playwright/test';
import { test, expect, hydrated, signIn } from './fixtures';

// What a new user hit in the field test (issue 12), in the browser. A guild
// of its own (seeded by scripts/test: 3,000 posts, so "everything" is a
// background export), with `editor` as an editor and `fieldadmin` as its
// admin. The tests in this file run one after another.
const GUILD = 'e2e-field';
const postsPath = `/g/${GUILD}/posts`;
const trashPath = `/g/${GUILD}/settings/trash`;
const EDITOR = { user: 'editor', password: 'editor-password' };
const ADMIN = { user: 'fieldadmin', password: 'fieldadmin-password' };

const cards = (page: Page) => page.locator('.post-card');
const box = (page: Page, i: number) => cards(page).nth(i).locator('.card-check');
const bar = (page: Page) => page.getByRole('region', { name: 'Bulk actions' });
const result = (page: Page) => page.getByRole('status', { name: 'Bulk action result' });
const fmt = (n: number) => n.toLocaleString('en-US');
const activity = (page: Page) => page.getByRole('region', { name: 'Exports in progress' });

async function listTotal(page: Page): Promise<number> {
  return Number((await page.locator('.list-total').textContent())!.replace(/\D/g, ''));
}

test('links hold only the filters that are set, and text applies like the dropdowns', async ({ page }) => {
  await signIn(page, postsPath, EDITOR);
  await hydrated(page);

  await page.getByLabel('Platform').selectOption('tiktok');
  await expect(page).toHaveURL(new RegExp(`${postsPath}\\?platform=tiktok$`));

  // Typing a search applies it once typing pauses, without Apply, and the
  // link carries it and nothing empty.
  const handle = (await cards(page).first().getAttribute('aria-label'))!.match(/^Post by @(\S+) on /)![1];
  await page.getByLabel('Search').fill(`@${handle}`);
  await expect(page).toHaveURL(new RegExp(`\\?q=%40${handle.replace(/\./g, '\\.')}&platform=tiktok$`));
  expect(page.url()).not.toMatch(/=&|&=|=$/);
  // "@handle" finds that account's posts. The link changes before the new
  // list arrives, so wait for the list rather than read the old one.
  await expect
    .poll(async () => new Set(await page.locator('.post-card .handle').allTextContents()))
    .toEqual(new Set([`@${handle}`]));
  expect(await listTotal(page)).toBeGreaterThan(0);

  // Apply gives the same canonical link.
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/\?q=%40[^&]+&platform=tiktok$/);
  expect(page.url()).not.toMatch(/per_page|sort=newest|&=/);
});

test('the Export dialog says how much each choice holds, names the file after the filter, and focuses the chosen format', async ({ page }) => {
  await signIn(page, `${postsPath}?platform=youtube`, EDITOR);
  await hydrated(page);
  const total = await listTotal(page);

  await page.getByRole('button', { name: 'Export…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export posts' });
  await expect(dialog.getByText(`This view: ${fmt(total)} posts`)).toBeVisible();
  await expect(dialog.getByText('Everything: 3,000 posts')).toBeVisible();
  await expect(dialog.getByText('The file downloads at once.')).toBeVisible();
  await expect(dialog.getByLabel('File name')).toHaveAttribute('placeholder', new RegExp(`^${GUILD}-posts-youtube-\\d{4}-\\d{2}-\\d{2}\\.csv$`));

  await dialog.getByLabel(/^Everything/).check();
  await expect(dialog.getByText(/runs in the background/)).toBeVisible();
  await expect(dialog.getByLabel('File name')).toHaveAttribute('placeholder', new RegExp(`^${GUILD}-posts-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  await expect(dialog.getByRole('button', { name: 'Export 3,000 posts' })).toBeEnabled();

  // Focus goes to the chosen format, not the first radio.
  await dialog.getByLabel('Excel (XLSX)').check();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Export…' }).click();
  await expect(dialog.getByLabel('Excel (XLSX)')).toBeFocused();
  await page.keyboard.press('Escape');
});

test('the Exports page offers the same filters as Posts', async ({ page }) => {
  await signIn(page, `/g/${GUILD}/exports`, EDITOR);
  await hydrated(page);
  const form = page.getByRole('region', { name: 'New export' });
  for (const label of ['Search', 'Platform', 'Brand', 'Group', 'Account', 'From', 'To', 'Min. views', 'Sort']) {
    const field = form.locator('label.field').filter({
      has: page.locator('span', { hasText: new RegExp(`^${label.replace('.', '\\.')}$`) }),
    });
    await expect(field.locator('input, select')).toBeVisible();
  }
});

test('finished exports raise toasts: three at most, "+N more", Dismiss all, and success toasts go by themselves unless hovered', async ({ page }) => {
  test.setTimeout(90_000);
  await signIn(page, `/g/${GUILD}/exports`, EDITOR);
  await hydrated(page);
  const form = page.getByRole('region', { name: 'New export' });
  // Four background exports of everything (3,000 posts each, paced).
  for (let i = 1; i <= 4; i++) {
    await form.getByLabel('File name').fill(`toast ${i}`);
    await form.getByRole('button', { name: 'Start export' }).click();
    await expect(activity(page).getByText(`toast ${i}.csv`).first()).toBeVisible();
  }
  const toasts = activity(page).locator('.toast');
  await expect(activity(page).getByRole('button', { name: '+1 more' })).toBeVisible({ timeout: 30_000 });
  await expect(toasts).toHaveCount(3);
  await activity(page).getByRole('button', { name: '+1 more' }).click();
  await expect(toasts).toHaveCount(4);
  await activity(page).getByRole('button', { name: 'Dismiss all' }).click();
  await expect(toasts).toHaveCount(0);

  // One more: hovered, it stays past its 8 seconds; left alone, it goes.
  await form.getByLabel('File name').fill('toast 5');
  await form.getByRole('button', { name: 'Start export' }).click();
  const toast = toasts.filter({ hasText: 'toast 5.csv' });
  await expect(toast).toBeVisible({ timeout: 30_000 });
  await toast.hover();
  await page.waitForTimeout(9_000);
  await expect(toast).toBeVisible();
  await page.mouse.move(0, 0);
  await expect(toast).toBeHidden({ timeout: 12_000 });
});

test('a Cancel that arrives as the export finishes shows the finished export', async ({ page }) => {
  await signIn(page, `/g/${GUILD}/exports`, EDITOR);
  await hydrated(page);
  // Hold the cancel until the export is done, as a slow network would.
  await page.route('**/api/cancel_export', async (route) => {
    await page.waitForTimeout(4_000);
    await route.continue();
  });
  const form = page.getByRole('region', { name: 'New export' });
  await form.getByLabel('File name').fill('late cancel');
  await form.getByRole('button', { name: 'Start export' }).click();
  const progress = activity(page).locator('.export-progress').filter({ hasText: 'late cancel.csv' });
  await progress.getByRole('button', { name: 'Cancel' }).click();
  const answered = page.waitForResponse('**/api/cancel_export');
  const toast = activity(page).locator('.toast').filter({ hasText: 'late cancel.csv' });
  await expect(toast).toContainText('Export ready');
  // The late Cancel's answer is the finished export: one toast, no error.
  expect((await answered).status()).toBe(200);
  await expect(toast).toHaveCount(1);
  await expect(toast.getByRole('link', { name: 'Download' })).toBeVisible();
  await expect(activity(page).locator('.toast--error')).toHaveCount(0);
});

test('exporting selected posts asks for the count, with the count on the button', async ({ page }) => {
  await signIn(page, postsPath, EDITOR);
  await hydrated(page);
  await box(page, 0).click();
  await box(page, 2).click({ modifiers: ['Shift'] });
  await bar(page).getByRole('button', { name: 'Export selected…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export selected posts' });
  await expect(dialog).toContainText('Export the 3 posts selected.');
  const go = dialog.getByRole('button', { name: 'Export 3 posts' });
  await expect(go).toBeDisabled();
  await dialog.getByLabel('Type 3 to confirm').fill('2');
  await expect(go).toBeDisabled();
  await dialog.getByLabel('Type 3 to confirm').fill('3');
  const downloading = page.waitForEvent('download');
  await go.click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(new RegExp(`^${GUILD}-posts-selection-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
});

test('reassign checks the choice before asking the server, and keeps it editable', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (r) => { if (r.url().includes('/api/preview_bulk')) requests.push(r.url()); });
  await signIn(page, postsPath, EDITOR);
  await hydrated(page);
  await box(page, 0).click();
  await bar(page).getByRole('button', { name: 'Reassign…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Reassign posts' });
  // The first choice has the focus.
  await expect(dialog.getByLabel('Group')).toBeFocused();
  await dialog.getByRole('button', { name: 'Review' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('Choose a group or a brand to move the items to.');
  expect(requests).toHaveLength(0);
  // Still editable: pick a group and go on.
  await dialog.getByLabel('Group').selectOption({ index: 2 });
  await dialog.getByRole('button', { name: 'Review' }).click();
  await expect(dialog).toContainText('Move 1 post to group');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(bar(page)).toContainText('1 post selected');
});

test('delete focuses the typed count; the result shows where the member is, with Undo', async ({ page }) => {
  await signIn(page, postsPath, EDITOR);
  await hydrated(page);
  const total = await listTotal(page);
  // Scrolled down to the last cards, as a member picking them would be.
  const n = await cards(page).count();
  await cards(page).nth(n - 1).scrollIntoViewIfNeeded();
  const ids = [
    (await cards(page).nth(n - 1).getAttribute('data-id'))!,
    (await cards(page).nth(n - 2).getAttribute('data-id'))!,
  ];
  await box(page, n - 1).click();
  await box(page, n - 2).click();
  await bar(page).getByRole('button', { name: 'Delete…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete posts' });
  await expect(dialog.getByLabel('Type 2 or DELETE to confirm')).toBeFocused();
  await page.keyboard.type('2');
  await dialog.getByRole('button', { name: 'Delete 2 posts' }).click();

  await expect(result(page)).toContainText('2 deleted');
  await expect(result(page)).toBeInViewport();
  await expect(page.locator('.list-total')).toHaveText(`${fmt(total - 2)} posts`);
  await expect(result(page).getByRole('link', { name: 'View in Deleted Items' })).toHaveAttribute('href', /batch=delete-\d+/);

  await result(page).getByRole('button', { name: 'Undo' }).click();
  await expect(result(page)).toContainText('2 restored');
  await expect(page.locator('.list-total')).toHaveText(`${fmt(total)} posts`);
  for (const id of ids) await expect(page.locator(`.post-card[data-id="${id}"]`)).toHaveCount(1);
});

test('cancelling Empty trash leaves the selection as it was', async ({ page }) => {
  await signIn(page, postsPath, ADMIN);
  await hydrated(page);
  // Two posts into the trash.
  await box(page, 0).click();
  await box(page, 1).click();
  await bar(page).getByRole('button', { name: 'Delete…' }).click();
  const del = page.getByRole('dialog', { name: 'Delete posts' });
  await del.getByLabel('Type 2 or DELETE to confirm').fill('2');
  await del.getByRole('button', { name: 'Delete 2 posts' }).click();
  await expect(result(page)).toContainText('2 deleted');

  await page.goto(trashPath);
  await hydrated(page);
  await page.locator('.trash-row').first().locator('.card-check').click();
  await expect(bar(page)).toContainText('1 item selected');
  for (const close of ['Cancel', 'Escape']) {
    await page.getByRole('button', { name: 'Empty trash…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete posts permanently' });
    await expect(dialog).toContainText('Permanently delete 2 posts');
    if (close === 'Escape') await page.keyboard.press('Escape');
    else await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await expect(bar(page)).toContainText('1 item selected');
    await expect(page.locator('.trash-row .card-check:checked')).toHaveCount(1);
  }
  // And Restore… now acts on that one item, not on the whole trash.
  await bar(page).getByRole('button', { name: 'Restore…' }).click();
  await expect(page.getByRole('dialog', { name: 'Restore posts' })).toContainText('Restore 1 post');
});

test('a disabled action says why, in text a screen reader reaches', async ({ page }) => {
  await signIn(page, trashPath, EDITOR);
  await hydrated(page);
  await page.locator('.trash-row').first().locator('.card-check').click();
  const purge = bar(page).getByRole('button', { name: 'Delete permanently…' });
  await expect(purge).toBeDisabled();
  await expect(purge).toHaveAccessibleDescription('Only admins can permanently delete posts; you are an editor.');
  await expect(bar(page).getByText('Only admins can permanently delete posts; you are an editor.')).toBeVisible();
});

test('checkboxes are not ready until the page has hydrated', async ({ page }) => {
  await signIn(page, postsPath, EDITOR);
  await hydrated(page);
  // Reload with the wasm held back, as on a slow connection.
  let release: () => void = () => {};
  const held = new Promise<void>((r) => { release = r; });
  await page.route('**/*.wasm', async (route) => { await held; await route.continue(); });
  await page.reload({ waitUntil: 'domcontentloaded' });
  await expect(box(page, 0)).toBeDisabled();
  release();
  await hydrated(page);
  await expect(box(page, 0)).toBeEnabled();
  await box(page, 0).click();
  await expect(bar(page)).toContainText('1 post selected');
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test('every page fits 390 px, the filters fold away, and the navigation reads in full', async ({ page }) => {
    await page.goto('/login');
    await hydrated(page);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await signIn(page, postsPath, ADMIN);
    await hydrated(page);
    const pages = ['posts', 'accounts', 'exports', 'settings', 'settings/audit', 'settings/trash'];
    for (const p of pages) {
      await page.goto(`/g/${GUILD}/${p}`);
      await hydrated(page);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width, `/${p} is ${width}px wide`).toBeLessThanOrEqual(390);
      await expect(page.getByLabel(/^Account: /)).toBeInViewport();
      // Not cut down to "⚙ G": the whole link is on screen.
      await expect(page.getByRole('link', { name: 'Guild settings' })).toBeInViewport({ ratio: 1 });
    }
    // The account menu opens in full on a phone (the top bar once cut it off).
    await page.getByLabel(/^Account: /).click();
    await expect(page.getByRole('button', { name: 'Sign out everywhere' })).toBeInViewport({ ratio: 1 });
    await page.getByLabel(/^Account: /).click();
    // The filters sit behind "Filters (n)".
    await page.goto(`${postsPath}?platform=x&min_views=10`);
    await hydrated(page);
    const toggle = page.getByRole('button', { name: 'Filters (2)' });
    await expect(toggle).toBeVisible();
    await expect(page.getByLabel('Platform')).toBeHidden();
    await toggle.click();
    await expect(page.getByLabel('Platform')).toBeVisible();
    await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  });
});
