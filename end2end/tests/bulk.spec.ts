import { readFileSync } from 'node:fs';
import { Page } from '@playwright/test';
import { test, expect, hydrated, signIn } from './fixtures';

// A guild and users of their own (seeded by scripts/test): these tests
// delete and move items, and the tests in this file run one after another.
const GUILD = 'e2e-bulk';
const postsPath = `/g/${GUILD}/posts`;
const EDITOR = { user: 'editor', password: 'editor-password' };
const VIEWER = { user: 'viewer', password: 'viewer-password' };

const cards = (page: Page) => page.locator('.post-card');
const box = (page: Page, i: number) => cards(page).nth(i).locator('.card-check');
const bar = (page: Page) => page.getByRole('region', { name: 'Bulk actions' });
const fmt = (n: number) => n.toLocaleString('en-US');

async function listTotal(page: Page): Promise<number> {
  return Number((await page.locator('.list-total').textContent())!.replace(/\D/g, ''));
}

/** The ids of cards `from` to `to` (data-id). */
async function ids(page: Page, from: number, to: number): Promise<string[]> {
  const out = [];
  for (let i = from; i <= to; i++) out.push((await cards(page).nth(i).getAttribute('data-id'))!);
  return out;
}
const card = (page: Page, id: string) => page.locator(`.post-card[data-id="${id}"]`);

test('shift-click selects a range, and from an unticked anchor clears it; Space and Esc work', async ({ page }) => {
  await signIn(page, postsPath, EDITOR);
  await hydrated(page);

  await box(page, 1).click();
  await box(page, 4).click({ modifiers: ['Shift'] });
  for (const i of [1, 2, 3, 4]) await expect(box(page, i)).toBeChecked();
  for (const i of [0, 5]) await expect(box(page, i)).not.toBeChecked();
  await expect(bar(page)).toContainText('4 posts selected');

  // Unticking card 2 makes it the anchor; shift-click on 4 unticks 2–4.
  await box(page, 2).click();
  await box(page, 4).click({ modifiers: ['Shift'] });
  await expect(box(page, 1)).toBeChecked();
  for (const i of [2, 3, 4]) await expect(box(page, i)).not.toBeChecked();
  await expect(bar(page)).toContainText('1 post selected');

  // Keyboard: Space toggles the focused card's box, Esc clears everything.
  await box(page, 6).focus();
  await page.keyboard.press('Space');
  await expect(box(page, 6)).toBeChecked();
  await expect(bar(page)).toContainText('2 posts selected');

  // The sticky bar never covers the last card: at the bottom of the page it
  // sits below the list.
  // (Polled: a scroll lands a frame or more later, and the boxes were once
  // read before it did.)
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await expect
    .poll(async () => {
      const last = await cards(page).last().boundingBox();
      const barBox = await bar(page).boundingBox();
      return barBox!.y - (last!.y + last!.height);
    }, { message: 'the bar is below the last card' })
    .toBeGreaterThanOrEqual(0);

  await page.keyboard.press('Escape');
  await expect(bar(page)).toBeHidden();
  await expect(page.getByText('Selection cleared.')).toBeVisible();
  await expect(page.locator('.card-check:checked')).toHaveCount(0);
});

test('the page checkbox, then the banner, then "select all N"; paging keeps it, a filter clears it', async ({ page }) => {
  await signIn(page, `${postsPath}?platform=tiktok`, EDITOR);
  await hydrated(page);
  const total = await listTotal(page);
  expect(total).toBeGreaterThan(25);
  const pageBox = page.getByLabel('Select page');

  await box(page, 0).click();
  await expect(pageBox).toHaveJSProperty('indeterminate', true);
  await pageBox.check();
  await expect(pageBox).toHaveJSProperty('indeterminate', false);
  await expect(page.getByText('All 25 posts on this page are selected.')).toBeVisible();

  await page.getByRole('button', { name: `Select all ${fmt(total)} posts matching this view` }).click();
  await expect(page.getByText(`All ${fmt(total)} posts are selected`)).toBeVisible();
  await expect(bar(page)).toContainText(`${fmt(total)} posts selected`);

  // Unticking a card leaves "all but one".
  await box(page, 0).click();
  await expect(bar(page)).toContainText(`${fmt(total - 1)} posts selected`);
  await expect(page.getByText(`${fmt(total - 1)} of ${fmt(total)} posts are selected`)).toBeVisible();

  // Paging keeps the selection: page 2's cards are selected too.
  await page.getByRole('link', { name: 'Next →' }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(box(page, 0)).toBeChecked();
  await expect(bar(page)).toContainText(`${fmt(total - 1)} posts selected`);

  // Another filter is another view: the selection goes, and the page says so.
  await page.getByLabel('Platform').selectOption('youtube');
  await expect(page).toHaveURL(/platform=youtube/);
  await expect(page.getByText('The filters changed, so the selection was cleared.')).toBeVisible();
  await expect(bar(page)).toBeHidden();
});

test('bulk delete asks for the count to be typed, then the posts are gone from the list', async ({ page }) => {
  await signIn(page, `${postsPath}?platform=youtube`, EDITOR);
  await hydrated(page);
  const total = await listTotal(page);
  await box(page, 0).click();
  await box(page, 2).click({ modifiers: ['Shift'] });
  const picked = await ids(page, 0, 2);

  await bar(page).getByRole('button', { name: 'Delete…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete posts' });
  await expect(dialog).toContainText('Delete 3 posts. They move to Deleted Items');
  const confirm = dialog.getByRole('button', { name: 'Delete 3 posts' });
  const typed = dialog.getByLabel('Type 3 or DELETE to confirm');
  await expect(confirm).toBeDisabled();
  await typed.fill('2');
  await expect(confirm).toBeDisabled();
  await typed.fill('3');
  await expect(confirm).toBeEnabled();
  await dialog.getByLabel('Reason (optional, for the audit log)').fill('duplicates from the import');
  await confirm.click();

  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status', { name: 'Bulk action result' })).toContainText('3 deleted');
  await expect(page.locator('.list-total')).toHaveText(`${fmt(total - 3)} posts`);
  for (const id of picked) await expect(card(page, id)).toHaveCount(0);
  await expect(bar(page)).toBeHidden();
});

test('reassign moves the selected posts to another group', async ({ page }) => {
  await signIn(page, `${postsPath}?platform=instagram`, EDITOR);
  await hydrated(page);
  await box(page, 0).click();
  await box(page, 1).click();
  const picked = await ids(page, 0, 1);

  await bar(page).getByRole('button', { name: 'Reassign…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Reassign posts' });
  const group = dialog.getByLabel('Group');
  await group.selectOption({ index: 2 });
  const groupId = await group.inputValue();
  const groupName = (await group.locator('option:checked').textContent())!;
  await dialog.getByRole('button', { name: 'Review' }).click();
  await expect(dialog).toContainText(`Move 2 posts to group “${groupName}”.`);
  await dialog.getByLabel('Type 2 to confirm').fill('2');
  await dialog.getByRole('button', { name: 'Move 2 posts' }).click();

  await expect(page.getByRole('status', { name: 'Bulk action result' })).toContainText('2 moved');
  await page.goto(`${postsPath}?platform=instagram&group=${groupId}`);
  await hydrated(page);
  for (const id of picked) await expect(card(page, id)).toContainText(groupName);
});

test('a partial failure names the failed item and offers to select it', async ({ page, context }) => {
  await signIn(page, `${postsPath}?platform=x`, EDITOR);
  await hydrated(page);
  await box(page, 0).click();
  await box(page, 2).click({ modifiers: ['Shift'] });
  const [, gone] = await ids(page, 0, 2);
  const goneLabel = (await card(page, gone).getAttribute('aria-label'))!;
  await bar(page).getByRole('button', { name: 'Delete…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete posts' });
  await expect(dialog).toContainText('Delete 3 posts');

  // Meanwhile, in another tab, the middle post is deleted.
  const other = await context.newPage();
  await other.goto(`${postsPath}?platform=x`);
  await hydrated(other);
  await card(other, gone).locator('.card-check').click();
  await bar(other).getByRole('button', { name: 'Delete…' }).click();
  const otherDialog = other.getByRole('dialog', { name: 'Delete posts' });
  await otherDialog.getByLabel('Type 1 or DELETE to confirm').fill('DELETE');
  await otherDialog.getByRole('button', { name: 'Delete 1 post' }).click();
  await expect(other.getByRole('status', { name: 'Bulk action result' })).toContainText('1 deleted');
  await other.close();

  await dialog.getByLabel('Type 3 or DELETE to confirm').fill('DELETE');
  await dialog.getByRole('button', { name: 'Delete 3 posts' }).click();
  const result = page.getByRole('status', { name: 'Bulk action result' });
  await expect(result).toContainText('2 deleted, 1 failed');
  // Named as the card was: "@handle · date · “caption…”".
  const handle = goneLabel.match(/^Post by (@\S+) on /)![1];
  await expect(result.getByRole('listitem')).toHaveCount(1);
  await expect(result.getByRole('listitem')).toContainText(handle);
  await expect(result.getByRole('listitem')).toContainText('It was deleted or no longer exists in this guild.');
  await result.getByRole('button', { name: 'Select failed items' }).click();
  await expect(bar(page)).toContainText('1 post selected');
});

test('the audit log shows each batch, and a summary expands to its items', async ({ page }) => {
  await signIn(page, `/g/${GUILD}/settings/audit`, EDITOR);
  await hydrated(page);
  const log = page.getByRole('region', { name: 'Audit log' });
  await expect(log.getByText('Moved 2 posts to group')).toBeVisible();

  // Filter by action: only deletes, newest first (the partial failure).
  await page.getByLabel('Action').selectOption('delete');
  await expect(page).toHaveURL(/action=delete/);
  const newest = log.locator('tbody').first();
  await expect(newest).toContainText('Deleted 2 posts; 1 failed');
  await expect(log.getByText('Moved 2 posts to group')).toHaveCount(0);
  // The batch lists the failed item too, with its reason.
  await newest.getByRole('button', { name: 'Show 3 items' }).click();
  await expect(newest.getByRole('listitem')).toHaveCount(3);
  await expect(newest.getByRole('listitem').filter({ hasText: /^Deleted post #\d+ by @/ })).toHaveCount(2);
  await expect(newest.getByRole('listitem').filter({ hasText: /^Not deleted: @/ })).toContainText(
    'It was deleted or no longer exists in this guild.',
  );

  // The reason given is kept with the batch.
  await expect(log.getByText('Reason: duplicates from the import')).toBeVisible();
});

test('a viewer may export a selection but not delete or reassign it', async ({ page }) => {
  await signIn(page, postsPath, VIEWER);
  await hydrated(page);
  await box(page, 0).click();
  const del = bar(page).getByRole('button', { name: 'Delete…' });
  await expect(del).toBeDisabled();
  await expect(del).toHaveAccessibleDescription('Only editors and admins can delete posts; you are a viewer.');
  await expect(bar(page).getByRole('button', { name: 'Reassign…' })).toBeDisabled();

  // Export selected: the export flow, with exactly the ticked posts.
  await box(page, 2).click();
  const picked = await ids(page, 0, 2);
  await bar(page).getByRole('button', { name: 'Export selected…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export selected posts' });
  await expect(dialog).toContainText('Export the 2 posts selected.');
  await dialog.getByLabel('JSON').check();
  await dialog.getByLabel('Type 2 to confirm').fill('2');
  const downloading = page.waitForEvent('download');
  await dialog.getByRole('button', { name: 'Export 2 posts' }).click();
  const download = await downloading;
  const doc = JSON.parse(readFileSync((await download.path())!, 'utf8'));
  expect(doc.items.map((i: { id: number }) => String(i.id)).sort()).toEqual([picked[0], picked[2]].sort());
});
