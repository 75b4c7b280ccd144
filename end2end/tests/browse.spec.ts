import { Page } from '@playwright/test';
import { test, expect, hydrated, signIn, DEMO } from './fixtures';

const postsPath = `/g/${DEMO.guild}/posts`;

test('sign in, filter posts, page through, reload keeps the view, sign out', async ({ page }) => {
  await signIn(page);
  await expect(page).toHaveURL(new RegExp(`${postsPath}$`));
  await expect(page.getByRole('heading', { name: 'Posts' })).toBeVisible();
  await hydrated(page);

  const total = page.locator('.list-total');
  const allPosts = await total.textContent();
  expect(allPosts).toMatch(/^[\d,]+ posts$/);

  // Changing a select applies the filter at once: only the hydrated app does that.
  await page.getByLabel('Platform').selectOption('tiktok');
  await expect(page).toHaveURL(/platform=tiktok/);
  await expect(total).not.toHaveText(allPosts!);
  const badges = page.locator('.post-card .badge');
  await expect(badges.first()).toHaveText('TikTok');
  expect(await badges.allTextContents()).toEqual(Array(await badges.count()).fill('TikTok'));

  // Page through.
  await expect(page.locator('.pager-range')).toHaveText(/^1–25 of /);
  await page.getByRole('link', { name: 'Next →' }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.locator('.pager-range')).toHaveText(/^26–50 of /);
  const firstOnPage2 = await page.locator('.post-card').first().getAttribute('aria-label');

  // A reload renders the same view from the URL alone.
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Platform')).toHaveValue('tiktok');
  await expect(page.locator('.pager-range')).toHaveText(/^26–50 of /);
  await expect(page.locator('.post-card').first()).toHaveAttribute('aria-label', firstOnPage2!);

  // Sign out from the account menu, and the page is no longer reachable.
  await page.getByLabel(/^Account: /).click();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto(postsPath);
  await expect(page).toHaveURL(/\/login\?next=/);
});

test('a sign-in link that names another site lands on the app', async ({ page, baseURL }) => {
  // A tab inside `//evil.example` once made the redirect leave the site.
  const next = encodeURIComponent('/\t/evil.example/login');
  await page.goto(`/login?next=${next}`);
  await page.getByLabel('Username').fill(DEMO.user);
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname !== '/login');
  expect(new URL(page.url()).origin).toBe(new URL(baseURL!).origin);
  await expect(page.getByRole('heading', { name: 'Posts' })).toBeVisible();
});

test('sign out everywhere ends the sessions of every browser', async ({ page, browser }) => {
  // A member of its own (scripts/test adds it), so that no other test's
  // session of the demo user ends under it.
  const roamer = { user: 'roamer', password: 'roamer-password' };
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, postsPath, roamer);
  await signIn(page, postsPath, roamer);
  await hydrated(page);
  await page.getByLabel(/^Account: /).click();
  await expect(page.getByText('Ends your sessions on every device')).toBeVisible();
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await otherPage.goto(postsPath);
  await expect(otherPage).toHaveURL(/\/login\?next=/);
  await other.close();
});

test('a wrong password says so and keeps the user on the form', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Username').fill(DEMO.user);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('do not match');
});

test('sign-in returns to the page that was asked for', async ({ page }) => {
  await page.goto(`/g/${DEMO.guild}/accounts?platform=youtube`);
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByLabel('Username').fill(DEMO.user);
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(new RegExp(`/g/${DEMO.guild}/accounts\\?platform=youtube$`));
  await expect(page.getByLabel('Platform')).toHaveValue('youtube');
});

/** The handles on the post cards shown now (empty when there are none). */
async function handleSet(page: Page): Promise<Set<string>> {
  return new Set(await page.locator('.post-card .handle').allTextContents());
}

test('accounts: search, then jump to the posts of one account', async ({ page }) => {
  await signIn(page, `/g/${DEMO.guild}/accounts`);
  await hydrated(page);
  const firstHandle = (await page.locator('.account-card .handle').first().textContent())!.replace(/ \(opens.*$/, '').trim();
  await page.getByLabel('Search').fill(firstHandle.slice(1));
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/q=/);
  await expect(page.locator('.list-total')).toHaveText('1 account');

  await page.getByRole('link', { name: 'View posts →' }).click();
  await expect(page).toHaveURL(/\/posts\?account=\d+/);
  await expect(page.locator('.active-chip')).toContainText(firstHandle);
  // The chip follows the link at once; the list follows when it arrives.
  await expect.poll(() => handleSet(page)).toEqual(new Set([firstHandle]));
  await hydrated(page);
  await expect(page.locator('select[name=account]')).toHaveValue(/^\d+$/);

  // The chip's ✕ goes back to every account's posts.
  await page.getByRole('link', { name: 'Show posts of all accounts' }).click();
  await expect(page).not.toHaveURL(/account=/);
  await expect(page.locator('select[name=account]')).toHaveValue('');
  // And the Account filter picks one directly.
  const option = page.locator('select[name=account]').locator('option').nth(3);
  const label = (await option.textContent())!;
  await page.locator('select[name=account]').selectOption({ index: 3 });
  await expect(page).toHaveURL(/account=\d+/);
  const picked = label.split(' · ')[0];
  await expect(page.locator('.active-chip')).toContainText(picked);
  await expect.poll(() => handleSet(page)).toEqual(new Set([picked]));
});

test('a bad filter in the URL gets a clear message, not a blank page', async ({ page, expectedErrors }) => {
  // The page is an error page, and says so to the browser too: a 400.
  expectedErrors.push('console.error: Failed to load resource: the server responded with a status of 400 (Bad Request)');
  const doc = page.waitForResponse((r) => r.request().resourceType() === 'document' && r.url().includes('platform=myspace'));
  await signIn(page, `${postsPath}?platform=myspace`);
  expect((await doc).status()).toBe(400);
  await expect(page.getByRole('alert')).toContainText('Unknown platform “myspace”');
  await page.getByRole('link', { name: 'Reset the filters' }).click();
  await expect(page.locator('.list-total')).toHaveText(/^[\d,]+ posts$/);
});

test('the guild switcher lists every guild with the role in it', async ({ page }) => {
  await signIn(page);
  await hydrated(page);
  await page.locator('.guild-switcher summary').click();
  const items = page.locator('.switcher-item');
  await expect(items).toHaveCount(2);
  await items.filter({ hasText: 'Pixel Pals' }).click();
  await expect(page).toHaveURL(/\/g\/pixelpals\/posts/);
  await expect(page.locator('.guild-switcher summary')).toContainText('Viewer');
  // A viewer cannot see the member list, and is told why.
  await page.getByRole('link', { name: 'Guild settings' }).click();
  await expect(page.getByText('Only a guild admin can see and manage the members.')).toBeVisible();
  // An admin sees the members.
  await page.locator('.guild-switcher summary').click();
  await page.locator('.switcher-item').filter({ hasText: 'Sonuha Empire' }).click();
  // Wait for the switch, or the click below can still hit the old guild's link.
  await expect(page).toHaveURL(new RegExp(`/g/${DEMO.guild}/posts`));
  await expect(page.locator('.guild-switcher summary')).toContainText('Admin');
  await page.getByRole('link', { name: 'Guild settings' }).click();
  const members = page.getByRole('region', { name: 'Members' });
  await expect(members.getByRole('row').filter({ hasText: '@demo' }).locator('.role-pill')).toHaveText('Admin');
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test('the layout fits 390 px without sideways scrolling', async ({ page }) => {
    await signIn(page);
    await hydrated(page);
    await expect(page.locator('.post-card').first()).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await expect(page.getByRole('link', { name: 'Accounts' })).toBeVisible();
  });
});
