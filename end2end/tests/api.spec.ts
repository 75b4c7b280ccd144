import { test, expect, hydrated, signIn } from './fixtures';

// The ingest API as the tracker uses it: an admin makes a token in Guild
// settings, a program sends accounts and posts with it, and members see
// them in the list.
const ADMIN = { user: 'discordadmin', password: 'discordadmin-password' };
const GUILD = 'e2e-discord';

test('an admin makes an API token, the tracker sends a batch with it, and the posts are in the list', async ({ page, request }) => {
  await signIn(page, `/g/${GUILD}/settings`, ADMIN);
  await hydrated(page);
  const tokens = page.getByRole('region', { name: 'API tokens' });
  await tokens.getByLabel('Name').fill('Tracker bot');
  await tokens.getByLabel('Scope').selectOption('ingest');
  await tokens.getByRole('button', { name: 'Create API token' }).click();
  await expect(tokens.getByText('Copy this token now: it is not shown again.')).toBeVisible();
  const token = await tokens.getByLabel('API token', { exact: true }).inputValue();
  expect(token).toMatch(/^gt_[A-Za-z0-9_-]{43}$/);
  await expect(tokens.getByRole('row', { name: /Tracker bot/ })).toContainText(`gt_…${token.slice(-4)}`);

  const headers = { Authorization: `Bearer ${token}` };
  const accounts = await request.put(`/api/v1/guilds/${GUILD}/accounts`, {
    headers,
    data: { accounts: [{ platform: 'youtube', handle: 'e2e.tracker', display_name: 'E2E Tracker', followers: 5000 }] },
  });
  expect(accounts.status()).toBe(200);
  const posts = await request.put(`/api/v1/guilds/${GUILD}/posts`, {
    headers,
    data: {
      posts: [1, 2, 3].map((n) => ({
        platform: 'youtube',
        external_id: `yt-e2e-${n}`,
        account: 'e2e.tracker',
        url: `https://www.youtube.com/watch?v=e2e${n}`,
        caption: `Pushed by the tracker, part ${n}`,
        posted_at: new Date(Date.now() - n * 3600_000).toISOString(),
        views: 1000 * n,
      })),
    },
  });
  expect(posts.status()).toBe(200);
  expect(await posts.json()).toMatchObject({ created: 3, updated: 0, unchanged: 0, rejected: 0 });

  await page.goto(`/g/${GUILD}/posts?q=Pushed+by+the+tracker`);
  await hydrated(page);
  await expect(page.getByText('Pushed by the tracker, part 1')).toBeVisible();
  await expect(page.getByText('Pushed by the tracker, part 3')).toBeVisible();

  // The settings list shows the token's first use; revoking it (two
  // clicks) stops the tracker at once.
  await page.goto(`/g/${GUILD}/settings`);
  await hydrated(page);
  const row = tokens.getByRole('row', { name: /Tracker bot/ });
  await expect(row.locator('td[data-label="Last used"]')).not.toHaveText('Never');
  await row.getByRole('button', { name: 'Revoke the token Tracker bot' }).click();
  await expect(row.getByRole('button', { name: 'Revoke the token Tracker bot' })).toHaveText('Confirm revoke');
  await row.getByRole('button', { name: 'Revoke the token Tracker bot' }).click();
  await expect(row).toContainText('Revoked');
  const refused = await request.get(`/api/v1/guilds/${GUILD}/posts`, { headers });
  expect(refused.status()).toBe(401);
});
