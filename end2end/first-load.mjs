// First load of the Posts page on a throttled phone-like connection: the
// time from navigation to hydration (body[data-hydrated]) and the bytes
// transferred, measured in Debian's Chromium:
//   node end2end/first-load.mjs http://127.0.0.1:3000 [runs] [user password guild]
// Throttling: 9 Mbit/s down, 1.5 Mbit/s up and 150 ms of latency (a 4G
// link, like devtools' "Fast 4G" with a longer round trip), with the CPU
// slowed 4×. Each run is a fresh browser context with the cache off, so
// nothing is reused. IDENTITY=1 asks for no compression, which is what the
// server sent before it compressed. THEN=Exports (or another link of the
// sidebar) also times the first visit to that page once Posts is hydrated,
// from the click until its heading shows: for a lazy route, that includes
// fetching its wasm modules.
import { chromium } from '@playwright/test';

const [base = 'http://127.0.0.1:3000', runsArg = '5', user = 'demo', password = 'guildtrack-demo', guild = 'sonuhaempire'] =
  process.argv.slice(2);
const runs = Number(runsArg);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// The session cookie, signed in once without throttling.
const signIn = await browser.newContext();
const login = await signIn.newPage();
await login.goto(`${base}/login`);
await login.getByLabel('Username').fill(user);
await login.getByLabel('Password').fill(password);
await login.getByRole('button', { name: 'Sign in' }).click();
await login.waitForURL(/\/posts/);
const cookies = await signIn.cookies();
await signIn.close();

const times = [];
const thenTimes = [];
let bytes = 0;
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  await context.addCookies(cookies);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  if (process.env.IDENTITY === '1') {
    await cdp.send('Network.setExtraHTTPHeaders', { headers: { 'Accept-Encoding': 'identity' } });
  }
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150,
    downloadThroughput: (9 * 1024 * 1024) / 8,
    uploadThroughput: (1.5 * 1024 * 1024) / 8,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  let transferred = 0;
  cdp.on('Network.loadingFinished', (e) => { transferred += e.encodedDataLength; });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  const started = Date.now();
  await page.goto(`${base}/g/${guild}/posts`, { waitUntil: 'commit' });
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached', timeout: 60_000 });
  times.push(Date.now() - started);
  await page.waitForLoadState('load');
  bytes = transferred;
  if (process.env.THEN) {
    const clicked = Date.now();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: process.env.THEN }).click();
    await page.getByRole('heading', { level: 1, name: process.env.THEN }).waitFor({ timeout: 60_000 });
    thenTimes.push(Date.now() - clicked);
  }
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  await context.close();
}
await browser.close();

times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(`hydrated after (ms): ${times.join(', ')}; median ${median}`);
console.log(`transferred: ${(bytes / 1024).toFixed(0)} KiB`);
if (thenTimes.length) {
  thenTimes.sort((a, b) => a - b);
  console.log(`${process.env.THEN} shown after (ms): ${thenTimes.join(', ')}; median ${thenTimes[Math.floor(thenTimes.length / 2)]}`);
}
