import { Page } from '@playwright/test';
import { test, expect, hydrated, signIn } from './fixtures';

// A guild of 12,000 posts of its own (seeded by scripts/test): more than
// the 5,000 a search samples, so a common word's total is an estimate.
const postsPath = '/g/e2e-big/posts';
const EDITOR = { user: 'editor', password: 'editor-password' };
const bar = (page: Page) => page.getByRole('region', { name: 'Bulk actions' });
const digits = (s: string) => Number(s.replace(/\D/g, ''));

test('a big search says "about", pages on without a last page, and the delete preview counts exactly', async ({ page }) => {
  await signIn(page, `${postsPath}?q=dance`, EDITOR);
  await hydrated(page);

  // The total and the pager say it is an estimate.
  const total = page.locator('.list-total');
  await expect(total).toHaveText(/^about [\d,]+ posts$/);
  const about = digits((await total.textContent())!);
  expect(about).toBeGreaterThan(1000);
  await expect(page.locator('.pager-range')).toHaveText(/^1–25 of about [\d,]+ posts$/);
  // No link to a last page nobody knows: page 1 links only to page 2.
  await expect(page.locator('.pager-link')).toHaveText(['1', '2']);

  // Next goes on where page 1 ended.
  const first = await page.locator('.post-card').first().getAttribute('data-id');
  await page.getByRole('link', { name: 'Next →' }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.locator('.pager-range')).toHaveText(/^26–50 of about /);
  await expect(page.locator(`.post-card[data-id="${first}"]`)).toHaveCount(0);

  // "Select all" says "about" too.
  await page.getByLabel('Select page').check();
  await page.getByRole('button', { name: /^Select all posts matching this view \(about [\d,]+\)$/ }).click();
  await expect(page.getByText(/^All of about [\d,]+ posts are selected/)).toBeVisible();
  await expect(bar(page)).toContainText(/about [\d,]+ posts selected/);

  // The action's preview counts them exactly, and that is the number to type.
  await bar(page).getByRole('button', { name: 'Delete…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete posts' });
  await expect(dialog).toContainText(/Delete [\d,]+ posts\. They move to Deleted Items/);
  const exact = digits((await dialog.textContent())!.match(/Delete ([\d,]+) posts\. They move/)![1]);
  expect(Math.abs(exact - about) / exact).toBeLessThan(0.3);
  await expect(dialog.getByLabel(`Type ${exact.toLocaleString('en-US')} or DELETE to confirm`)).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
});

test('the same search narrowed below the sample size is counted exactly', async ({ page }) => {
  // One platform holds about a quarter of the 12,000 posts: fewer than the
  // sample, so the sample itself is the exact count.
  await signIn(page, `${postsPath}?q=dance&platform=tiktok`, EDITOR);
  await hydrated(page);
  await expect(page.locator('.list-total')).toHaveText(/^[\d,]+ posts$/);
  await expect(page.locator('.pager-range')).toHaveText(/^1–25 of [\d,]+ posts$/);
});
