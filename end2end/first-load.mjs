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
// fetching its wasm modules. DETAIL=1 also prints, for the last run, when
// each file of the page was asked for and when it arrived, and when the
// page said it was hydrated, all from the start of the navigation.
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

  // When body[data-hydrated] appears, on the page's own clock.
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.body?.dataset.hydrated === 'true') {
        window.__hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
  });
  const started = Date.now();
  await page.goto(`${base}/g/${guild}/posts`, { waitUntil: 'commit' });
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached', timeout: 60_000 });
  times.push(Date.now() - started);
  await page.waitForLoadState('load');
  bytes = transferred;
  if (process.env.DETAIL === '1' && i === runs - 1) {
    const timeline = await page.evaluate(() => ({
      hydratedAt: window.__hydratedAt,
      entries: [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')]
        .map((e) => ({ name: new URL(e.name).pathname, start: e.startTime, end: e.responseEnd, size: e.encodedBodySize })),
    }));
    for (const e of timeline.entries) {
      console.log(`${e.start.toFixed(0).padStart(6)} → ${e.end.toFixed(0).padStart(6)} ms ${String(e.size).padStart(8)} B  ${e.name}`);
    }
    console.log(`${timeline.hydratedAt?.toFixed(0).padStart(6)} ms hydrated`);
  }
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
