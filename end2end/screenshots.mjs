// Screenshots of the main pages at 1280 px and 390 px, to look at by eye:
//   node end2end/screenshots.mjs http://127.0.0.1:3000 out-dir [user password guild]
// Uses Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium); it
// opens dialogs and runs a small delete (then undoes it) to show a result.
import { chromium } from '@playwright/test';
import { mkdirSync } from 'node:fs';

const [base = 'http://127.0.0.1:3000', out = 'screenshots', user = 'demo', password = 'guildtrack-demo', guild = 'sonuhaempire'] =
  process.argv.slice(2);
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

async function shoot(width) {
  const page = await browser.newPage({ viewport: { width, height: width > 500 ? 900 : 844 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const hydrated = () => page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
  const snap = async (name, fullPage = false) => page.screenshot({ path: `${out}/${name}-${width}.png`, fullPage });

  await page.goto(`${base}/login`);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/posts/);
  await hydrated();
  await snap('posts');
  if (width < 500) {
    await page.getByRole('button', { name: /^Filters/ }).click();
    await snap('posts-filters-open');
  }

  await page.getByRole('button', { name: 'Export…' }).click();
  await page.getByText(/^This view: [\d,]+/).waitFor();
  await snap('export-dialog');
  await page.keyboard.press('Escape');

  // A bulk result with Undo: delete two posts, shoot, undo.
  const boxes = page.locator('.post-card .card-check');
  await boxes.nth(0).click();
  await boxes.nth(1).click();
  await snap('bulk-bar');
  await page.getByRole('region', { name: 'Bulk actions' }).getByRole('button', { name: 'Delete…' }).click();
  await page.getByLabel('Type 2 or DELETE to confirm').fill('2');
  await page.getByRole('button', { name: 'Delete 2 posts' }).click();
  const result = page.getByRole('status', { name: 'Bulk action result' });
  await result.getByText('2 deleted').waitFor();
  await snap('bulk-result');
  await result.getByRole('button', { name: 'Undo' }).click();
  await result.getByText('2 restored').waitFor();

  // A row in the export history: an instant export of the TikTok accounts.
  await page.goto(`${base}/g/${guild}/exports`);
  await hydrated();
  const form = page.getByRole('region', { name: 'New export' });
  await form.getByRole('radio', { name: 'Accounts' }).check();
  await form.locator('select[name=platform]').selectOption('tiktok');
  const downloading = page.waitForEvent('download');
  await form.getByRole('button', { name: 'Start export' }).click();
  await downloading;

  for (const [name, path] of [['exports', 'exports'], ['trash', 'settings/trash'], ['audit', 'settings/audit'], ['settings', 'settings'], ['accounts', 'accounts']]) {
    await page.goto(`${base}/g/${guild}/${path}`);
    await hydrated();
    await page.waitForTimeout(300);
    await snap(name, name !== 'accounts');
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    if (wide > width) errors.push(`${path} is ${wide}px wide at ${width}px`);
  }
  // An invitation link, as the invitee sees it (signed out).
  await page.goto(`${base}/g/${guild}/settings`);
  await hydrated();
  const invitations = page.getByRole('region', { name: 'Invitation links' });
  await invitations.getByRole('button', { name: 'Create invitation link' }).click();
  const link = await invitations.getByLabel('Invitation link').inputValue();
  await snap('settings-invitation', true);
  await page.context().clearCookies();
  await page.goto(link);
  await hydrated();
  await snap('invite');
  await page.goto(`${base}/login`);
  await hydrated();
  await snap('login');
  await page.close();
  return errors;
}

const problems = [...(await shoot(1280)), ...(await shoot(390))];
await browser.close();
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`screenshots in ${out}`);
