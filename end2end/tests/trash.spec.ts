import { Page } from '@playwright/test';
import { test, expect, hydrated, signIn } from './fixtures';

// A guild of their own (seeded by scripts/test): 14 of its posts were
// deleted 25 days ago, so they are purged within 7 days. `trashadmin` is
// its admin and `editor` an editor. The tests in this file run in order.
const GUILD = 'e2e-trash';
const postsPath = `/g/${GUILD}/posts`;
const trashPath = `/g/${GUILD}/settings/trash`;
const ADMIN = { user: 'trashadmin', password: 'trashadmin-password' };
const EDITOR = { user: 'editor', password: 'editor-password' };

const bar = (page: Page) => page.getByRole('region', { name: 'Bulk actions' });
const result = (page: Page) => page.getByRole('status', { name: 'Bulk action result' });
const postCard = (page: Page, id: string) => page.locator(`.post-card[data-id="${id}"]`);
const row = (page: Page, id: string) => page.locator(`.trash-row[data-id="${id}"]`);

/** Deletes the first `n` posts of the Posts page; returns their ids. */
async function deleteFromPosts(page: Page, n: number): Promise<string[]> {
  await page.goto(postsPath);
  await hydrated(page);
  const cards = page.locator('.post-card');
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    await cards.nth(i).locator('.card-check').click();
    ids.push((await cards.nth(i).getAttribute('data-id'))!);
  }
  await bar(page).getByRole('button', { name: 'Delete…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete posts' });
  await dialog.getByLabel(`Type ${n} or DELETE to confirm`).fill('DELETE');
  await dialog.getByRole('button', { name: `Delete ${n} post${n === 1 ? '' : 's'}` }).click();
  await expect(result(page)).toContainText(`${n} deleted`);
  return ids;
}

test('posts deleted from the Posts page wait under Deleted Items with days left, and restore brings them back', async ({ page }) => {
  await signIn(page, postsPath, EDITOR);
  const picked = await deleteFromPosts(page, 2);

  // The tab, once Guild settings is shown: until its module has arrived
  // the Posts page stays, and its result line links to Deleted Items too.
  await page.getByRole('link', { name: 'Guild settings' }).click();
  await page.getByRole('navigation', { name: 'Guild settings' }).getByRole('link', { name: 'Deleted Items' }).click();
  await expect(page).toHaveURL(new RegExp(`${trashPath}$`));
  for (const id of picked) {
    await expect(row(page, id)).toContainText('30 days left');
    await expect(row(page, id)).toContainText('Deleted by Eddie Editor');
    await row(page, id).locator('.card-check').click();
  }
  await expect(bar(page)).toContainText('2 items selected');
  // An editor restores but may not delete for good.
  const purge = bar(page).getByRole('button', { name: 'Delete permanently…' });
  await expect(purge).toBeDisabled();
  await expect(purge).toHaveAccessibleDescription('Only admins can permanently delete posts; you are an editor.');
  const empty = page.getByRole('button', { name: 'Empty trash…' });
  await expect(empty).toBeDisabled();
  await expect(empty).toHaveAccessibleDescription('Only admins can delete items permanently; you are an editor.');

  await bar(page).getByRole('button', { name: 'Restore…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Restore posts' });
  await expect(dialog).toContainText('Restore 2 posts to their groups and brands.');
  const confirm = dialog.getByRole('button', { name: 'Restore 2 posts' });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel('Type 2 to confirm').fill('2');
  await confirm.click();
  await expect(result(page)).toContainText('2 restored');
  for (const id of picked) await expect(row(page, id)).toHaveCount(0);

  await page.goto(postsPath);
  await hydrated(page);
  for (const id of picked) await expect(postCard(page, id)).toHaveCount(1);
});

test('an admin deletes a post permanently after typing DELETE', async ({ page }) => {
  await signIn(page, postsPath, ADMIN);
  const [id] = await deleteFromPosts(page, 1);
  await page.goto(trashPath);
  await hydrated(page);

  // Empty trash is offered to the admin (not pressed: the other tests need the trash).
  await expect(page.getByRole('button', { name: 'Empty trash…' })).toBeEnabled();
  await row(page, id).locator('.card-check').click();
  await bar(page).getByRole('button', { name: 'Delete permanently…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete posts permanently' });
  await expect(dialog).toContainText('Permanently delete 1 post. This cannot be undone');
  const confirm = dialog.getByRole('button', { name: 'Delete 1 post permanently' });
  const typed = dialog.getByLabel('Type 1 or DELETE to confirm');
  await typed.fill('delete');
  await expect(confirm).toBeDisabled();
  await typed.fill('DELETE');
  await confirm.click();

  await expect(result(page)).toContainText('1 deleted for good');
  await expect(row(page, id)).toHaveCount(0);
  await page.goto(`/g/${GUILD}/settings/audit?action=purge`);
  await hydrated(page);
  await expect(page.getByRole('region', { name: 'Audit log' })).toContainText('Permanently deleted 1 post');
});

test('items purged within 7 days are counted in a banner and highlighted', async ({ page }) => {
  await signIn(page, trashPath, ADMIN);
  await hydrated(page);
  const banner = page.locator('.expiry-banner');
  await expect(banner).toContainText('14 items will be permanently deleted within 7 days');

  await banner.getByRole('link', { name: 'Show them' }).click();
  await expect(page).toHaveURL(/expiring=1/);
  const rows = page.locator('.trash-row');
  await expect(rows).toHaveCount(14);
  await expect(page.locator('.trash-row--expiring')).toHaveCount(14);
  await expect(rows.first()).toContainText('5 days left');
  await expect(page.locator('.list-total')).toHaveText('14 deleted posts');
});
