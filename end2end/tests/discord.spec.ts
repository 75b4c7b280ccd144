import { test, expect, hydrated, signIn } from './fixtures';
import { createPrivateKey, sign } from 'node:crypto';

// Sign in with Discord through the stand-in Discord that scripts/test runs
// on 127.0.0.1:3190 (server/examples/discord_standin.rs): Dana holds the
// Moderators role of the "E2E Discord" server; Omar is in no linked server.
const ADMIN = { user: 'discordadmin', password: 'discordadmin-password' };
const SERVER = '300000000000000100';
const MODERATORS = '300000000000000200';

test('an admin links the guild to Discord, and a member of the server signs in with Discord as an editor', async ({ page }) => {
  await signIn(page, '/g/e2e-discord/settings', ADMIN);
  await hydrated(page);
  const section = page.getByRole('region', { name: 'Discord' });
  await section.getByLabel('Discord server id').fill(SERVER);
  await section.getByLabel('Editor roles').fill(`${MODERATORS} Moderators`);
  await section.getByRole('button', { name: 'Save Discord link' }).click();
  // Only the wasm saves (the form's submit is handled in the browser).
  await expect(section.getByText('Saved.')).toBeVisible();
  await expect(section.getByText('not verified yet')).toBeVisible();
  await page.context().clearCookies();

  // `next` survives the round trip through Discord.
  await page.goto('/login?next=%2Fg%2Fe2e-discord%2Fsettings');
  await hydrated(page);
  await page.getByRole('link', { name: 'Sign in with Discord' }).click();
  await expect(page.getByRole('heading', { name: 'Guildtrack wants to access your account' })).toBeVisible();
  await page.getByRole('button', { name: 'Authorize as dana' }).click();
  await page.waitForURL(/\/g\/e2e-discord\/settings$/);
  await hydrated(page);
  await expect(page.getByText('You are Editor')).toBeVisible();
});

test('someone in no linked server is told to ask for an invitation', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByRole('link', { name: 'Sign in with Discord' }).click();
  await page.getByRole('button', { name: 'Authorize as omar' }).click();
  await page.waitForURL(/\/login\?error=discord_no_servers/);
  await expect(page.getByRole('alert')).toHaveText(
    'None of your Discord servers use Guildtrack yet. Ask an admin of your server for an invitation.',
  );
});

test('cancelling on Discord comes back to the sign-in page with a sentence', async ({ page }) => {
  await page.goto('/login?next=%2Fg%2Fe2e-discord');
  await page.getByRole('link', { name: 'Sign in with Discord' }).click();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('alert')).toContainText('You cancelled the sign-in on Discord');
  await expect(page.locator('input[name="next"]')).toHaveValue('/g/e2e-discord');
});

test('an admin makes an invitation link, the invitee signs in and joins, and the admin changes their role', async ({ page }) => {
  await signIn(page, '/g/e2e-discord/settings', ADMIN);
  await hydrated(page);
  const invitations = page.getByRole('region', { name: 'Invitation links' });
  await invitations.getByLabel('Role').selectOption('editor');
  await invitations.getByRole('button', { name: 'Create invitation link' }).click();
  await expect(invitations.getByText('Copy this link now: it is not shown again.')).toBeVisible();
  const link = await invitations.getByLabel('Invitation link').inputValue();
  expect(link).toMatch(/\/invite\/[0-9a-f]{64}$/);
  await page.context().clearCookies();

  // Signed out: the link asks to sign in first and comes back.
  await page.goto(link);
  await expect(page.getByText('You are invited to join E2E Discord as an editor.')).toBeVisible();
  await page.getByRole('link', { name: 'Sign in with a password' }).click();
  await page.getByLabel('Username').fill('invitee');
  await page.getByLabel('Password').fill('invitee-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/invite\//);
  await hydrated(page);
  await page.getByRole('button', { name: 'Join E2E Discord' }).click();
  await page.waitForURL(/\/g\/e2e-discord\/posts/);

  // The link was single use.
  await page.goto(link);
  await expect(page.getByRole('alert')).toHaveText(
    'This invitation link has already been used. Ask an admin of the guild for a new one.',
  );
  await page.context().clearCookies();

  await signIn(page, '/g/e2e-discord/settings', ADMIN);
  await hydrated(page);
  const members = page.getByRole('region', { name: 'Members' });
  const row = members.getByRole('row').filter({ hasText: 'Ivy Invitee' });
  await expect(row).toContainText('Invitation');
  await expect(row.locator('.role-pill')).toHaveText('Editor');
  await row.getByLabel('Role set by hand for Ivy Invitee').selectOption('viewer');
  await expect(row.locator('.role-pill')).toHaveText('Viewer');
  await expect(row).toContainText('Set by an admin');
});

test('an admin posts the audit log to a Discord channel and sends a test message', async ({ page }) => {
  // The stand-in's channel webhook (discord_standin.rs).
  const webhook = 'http://127.0.0.1:3190/api/v10/webhooks/900000000000000001/tok-900000000000000001-Q4xZ';
  await signIn(page, '/g/e2e-discord/settings/audit', ADMIN);
  await hydrated(page);
  const section = page.getByRole('region', { name: 'Post to Discord' });
  await section.getByLabel('Channel webhook URL').fill(webhook);
  await section.getByLabel('Exports').check();
  await section.getByRole('button', { name: 'Save' }).click();

  await expect(section.getByText('Saved.')).toBeVisible();
  await expect(section.getByText('Posting to the channel of webhook …/webhooks/900000000000000001/…Q4xZ.')).toBeVisible();
  // The URL is a credential: the field is empty again, and the page never has it.
  await expect(section.getByLabel('Channel webhook URL')).toHaveValue('');
  expect(await page.content()).not.toContain('tok-900000000000000001');
  await section.getByRole('button', { name: 'Send test message' }).click();
  await expect(section.getByText('Sent: check the channel in Discord.')).toBeVisible();
});

// Signs as the stand-in Discord application does (its test key: 32 bytes
// of 42), so the server's real Ed25519 verification runs.
function signed(body: string) {
  const seed = Buffer.alloc(32, 42);
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const signature = sign(null, Buffer.from(timestamp + body), key).toString('hex');
  return { 'content-type': 'application/json', 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp };
}

// After the first test of this file, which links e2e-discord to the
// stand-in's server (tests of a file run in order).
test('/exportdata from Discord makes the file through the same exports, with a working link and a history entry', async ({ page, request, baseURL }) => {
  const token = `e2e-token-${Date.now()}-${baseURL?.slice(-4)}`;
  const body = JSON.stringify({
    id: '1108720480201924619', application_id: '1234567890', type: 2, token, version: 1,
    guild_id: SERVER,
    member: {
      user: { id: '300000000000000003', username: 'nina', global_name: 'Nina Discord', avatar: null },
      roles: [], permissions: '8',
    },
    data: { id: '1', name: 'exportdata', type: 1, options: [
      { name: 'entity', type: 3, value: 'posts' }, { name: 'format', type: 3, value: 'json' },
    ] },
  });

  const answer = await request.post('/discord/interactions', { data: body, headers: signed(body) });
  expect(await answer.json()).toEqual({ type: 5, data: { flags: 64 } });
  const unsigned = await request.post('/discord/interactions', { data: body, headers: { 'content-type': 'application/json' } });
  expect(unsigned.status()).toBe(401);

  // The reply is edited through the stand-in's webhook endpoint.
  let text = '';
  await expect.poll(async () => {
    const seen = await (await request.get('http://127.0.0.1:3190/_standin/messages')).json();
    const mine = seen.edits.filter((e: { token: string }) => e.token === token);
    text = mine.length ? mine[mine.length - 1].body.content : '';
    return text;
  }, { timeout: 15_000 }).toMatch(/is ready: [\d,]+ posts/);
  // Other specs add posts to this guild (the API's): the file has what the reply says.
  const rows = Number(/is ready: ([\d,]+) posts/.exec(text)![1].replaceAll(',', ''));
  expect(rows).toBeGreaterThanOrEqual(50);
  const link = /\[Download\]\((.*?)\)/.exec(text)![1];
  const file = await request.get(link);
  expect(file.status()).toBe(200);
  expect((await file.json()).items).toHaveLength(rows);

  await signIn(page, '/g/e2e-discord/exports', ADMIN);
  await hydrated(page);
  await expect(page.getByRole('cell', { name: /via Discord by @nina/ }).first()).toBeVisible();
});
