import { test as base, expect, Page } from '@playwright/test';

export const DEMO = { user: 'demo', password: 'guildtrack-demo', guild: 'sonuhaempire' };

// Every test fails on any uncaught page error or console error: a page that
// renders on the server but breaks in the browser must not pass. A test that
// means to load an error page (whose status Chromium logs as an error) names
// that line in `expectedErrors`, and asserts the status itself.
export const test = base.extend<{ expectedErrors: string[]; consoleErrors: string[] }>({
  expectedErrors: async ({}, use) => {
    await use([]);
  },
  consoleErrors: [
    async ({ page, expectedErrors, baseURL }, use) => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      // Chromium logs a blocked script as a console error too; this names
      // the directive, and catches what it reports only as an event.
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) =>
          console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`),
        );
      });
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
      });
      // A static file that does not arrive whole is a failure too, with
      // what the server answered (to tell a server fault from a test's).
      // 304 is the browser's copy confirmed: unhashed debug assets are
      // `no-cache`, so every reuse revalidates.
      page.on('response', async (r) => {
        if (new URL(r.url()).pathname.startsWith('/pkg/') && ![200, 304].includes(r.status())) {
          errors.push(`asset ${r.request().method()} ${r.url()}: ${r.status()} ${JSON.stringify(await r.allHeaders())}`);
        }
        // A page must carry its own policy, with the nonce of its inline
        // scripts. Once (stop 27) a sign-in page and the page after it
        // came with the strict policy of non-pages, and nothing said which
        // response or why: name it, with all its headers.
        // The app's pages only: the stand-in Discord's consent page is not ours.
        const ours = baseURL !== undefined && r.url().startsWith(baseURL);
        if (ours && r.request().resourceType() === 'document' && r.status() < 300) {
          const headers = await r.allHeaders();
          const html = (headers['content-type'] ?? '').startsWith('text/html');
          if (html && !(headers['content-security-policy'] ?? '').includes("'nonce-")) {
            errors.push(`page without its policy: ${r.request().method()} ${r.url()}: ${r.status()} ${JSON.stringify(headers)}`);
          }
        }
      });
      await use(errors);
      const unexpected = errors.filter((e) => !expectedErrors.includes(e));
      expect(unexpected, 'errors in the browser console').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Waits until the wasm has hydrated the whole page (app::finish_hydration sets data-hydrated). */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
}

export async function signIn(page: Page, next = '', who = { user: DEMO.user, password: DEMO.password }) {
  await page.goto(`/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await page.getByLabel('Username').fill(who.user);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Wait for the page the sign-in leads to, so that what the caller waits
  // for next (such as `hydrated`) is not found on the sign-in page itself.
  await page.waitForURL((url) => url.pathname !== '/login');
}
