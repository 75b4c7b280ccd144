// First load of the Posts page on a throttled phone-like connection: the
// time from navigation to hydration (body[data-hydrated]) and the bytes
// transferred, measured in Debian's Chromium:
//   node end2end/first-load.mjs http://127.0.0.1:3000 [runs] [user password guild]
// Several servers, comma-separated, are measured in turn, one run each at
// a time (runs per server), so that what the machine is doing meanwhile
// falls on all of them alike; each gets its own line. They must share the
// login (the same database, or the demo login in each).
// The time is the page's own: from the start of the navigation until the
// page set the mark, on its clock.
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
// PROFILE=1 also samples the CPU during the last run (not counted), from the navigation
// until hydration, and prints where the time went: the functions with the
// most time of their own, and the totals of wasm, JS and the browser's own
// work (parse, compile, garbage collection, idle). A wasm built with its
// names kept (`wasm-opt -g`) shows Rust's names instead of numbers.
import { chromium } from '@playwright/test';

const [servers = 'http://127.0.0.1:3000', runsArg = '5', user = 'demo', password = 'guildtrack-demo', guild = 'sonuhaempire'] =
  process.argv.slice(2);
const runs = Number(runsArg);
const bases = servers.split(',');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// The session cookie, signed in once without throttling.
const signIn = await browser.newContext();
const login = await signIn.newPage();
await login.goto(`${bases[0]}/login`);
await login.getByLabel('Username').fill(user);
await login.getByLabel('Password').fill(password);
await login.getByRole('button', { name: 'Sign in' }).click();
await login.waitForURL(/\/posts/);
const cookies = await signIn.cookies();
await signIn.close();

const times = new Map(bases.map((b) => [b, []]));
const thenTimes = new Map(bases.map((b) => [b, []]));
const bytes = new Map();
for (let i = 0; i < runs * bases.length; i++) {
  const base = bases[i % bases.length];
  const last = i >= (runs - 1) * bases.length;
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
  const profiling = process.env.PROFILE === '1' && last;
  if (profiling) {
    // A page of the same site first, so that the navigation below stays in
    // this renderer and the profiler sees it from its start.
    await page.goto(`${base}/favicon.svg`);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  const started = Date.now();
  await page.goto(`${base}/g/${guild}/posts`, { waitUntil: 'commit' });
  // Asked over CDP, not with a Playwright locator: a locator's wait runs
  // Playwright's injected script in the page, which queried the document
  // at every change and took about 100 ms of the throttled main thread
  // while the page was loading (seen in a trace), delaying what it timed.
  const hydratedAt = await waitForHydration(cdp, started);
  if (profiling) {
    // The profiler slows the page down, so a profiled run is not counted.
    printProfile(base, (await cdp.send('Profiler.stop')).profile);
  } else {
    times.get(base).push(Math.round(hydratedAt));
  }
  await page.waitForLoadState('load');
  bytes.set(base, transferred);
  if (process.env.DETAIL === '1' && last) {
    console.log(base);
    const entries = await page.evaluate(() =>
      [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')]
        .map((e) => ({ name: new URL(e.name).pathname, start: e.startTime, end: e.responseEnd, size: e.encodedBodySize })));
    for (const e of entries) {
      console.log(`${e.start.toFixed(0).padStart(6)} → ${e.end.toFixed(0).padStart(6)} ms ${String(e.size).padStart(8)} B  ${e.name}`);
    }
    console.log(`${hydratedAt.toFixed(0).padStart(6)} ms hydrated`);
  }
  if (process.env.THEN) {
    const clicked = Date.now();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: process.env.THEN }).click();
    await page.getByRole('heading', { level: 1, name: process.env.THEN }).waitFor({ timeout: 60_000 });
    thenTimes.get(base).push(Date.now() - clicked);
  }
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  await context.close();
}
await browser.close();

// When the page said it was hydrated, in ms from the start of its
// navigation (the page's own clock), polled every 20 ms.
async function waitForHydration(cdp, started) {
  for (;;) {
    const { result } = await cdp.send('Runtime.evaluate', { expression: 'window.__hydratedAt ?? null', returnByValue: true });
    if (typeof result.value === 'number') return result.value;
    if (Date.now() - started > 60_000) throw new Error('the page did not hydrate within 60 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Self time per function (samples × their intervals), and per kind.
function printProfile(base, profile) {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const kinds = new Map();
  let total = 0;
  profile.samples.forEach((id, k) => {
    const ms = (profile.timeDeltas[k] ?? 0) / 1000;
    const { functionName, url } = byNode.get(id).callFrame;
    const file = url ? new URL(url, base).pathname.split('/').pop() : '';
    const kind = functionName.startsWith('(') ? functionName
      : /\.wasm$/.test(file) || functionName.startsWith('$') ? `wasm ${file}` : `js ${file}`;
    const name = `${functionName || '(anonymous)'}  ${file}`;
    self.set(name, (self.get(name) ?? 0) + ms);
    kinds.set(kind, (kinds.get(kind) ?? 0) + ms);
    total += ms;
  });
  const top = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
  console.log(`${base}: CPU profile, ${total.toFixed(0)} ms sampled (throttled 4×):`);
  for (const [k, ms] of top(kinds, 12)) console.log(`${ms.toFixed(0).padStart(8)} ms  ${k}`);
  console.log('functions with the most time of their own:');
  for (const [f, ms] of top(self, 30)) console.log(`${ms.toFixed(1).padStart(8)} ms  ${f.slice(0, 150)}`);
}

const median = (list) => list[Math.floor(list.length / 2)];
for (const base of bases) {
  const t = times.get(base).sort((a, b) => a - b);
  const label = bases.length > 1 ? `${base}: ` : '';
  console.log(`${label}hydrated after (ms): ${t.join(', ')}; median ${median(t)}`);
  console.log(`${label}transferred: ${(bytes.get(base) / 1024).toFixed(0)} KiB`);
  const then = thenTimes.get(base).sort((a, b) => a - b);
  if (then.length) {
    console.log(`${label}${process.env.THEN} shown after (ms): ${then.join(', ')}; median ${median(then)}`);
  }
}
