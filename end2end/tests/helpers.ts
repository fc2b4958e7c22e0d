import { BrowserContext, expect, Page, TestInfo } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import path from 'node:path';

/** Checks the page against WCAG 2.2 AA with axe-core and keeps a screenshot as an artefact. */
export async function checkPage(page: Page, testInfo: TestInfo, name: string) {
  await page.screenshot({ path: path.join(__dirname, '..', 'artifacts', testInfo.project.name, `${name}.png`), fullPage: true });
  // axe-core runs as JavaScript in the page. With JavaScript off, the exact HTML the portal sent
  // is replayed at the same address in a JavaScript-enabled page (its WASM blocked, so it stays
  // the no-JavaScript page) and checked there.
  let target = page;
  let scratch: BrowserContext | undefined;
  if (testInfo.project.use.javaScriptEnabled === false) {
    const html = await page.content();
    const url = page.url();
    scratch = await page.context().browser()!.newContext({ javaScriptEnabled: true });
    target = await scratch.newPage();
    await target.route('**/*', (route) => {
      const u = route.request().url();
      if (u === url) return route.fulfill({ body: html, contentType: 'text/html; charset=utf-8' });
      if (u.includes('/pkg/')) return route.abort();
      return route.continue();
    });
    await target.goto(url);
  }
  const results = await new AxeBuilder({ page: target })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze();
  await scratch?.close();
  const summary = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(summary, `accessibility violations on ${name}`).toEqual([]);
}

export const DEMO_PASSWORD = 'campus-demo-password';

export async function signInLocal(page: Page, username: string) {
  await page.goto('/sign-in');
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
}

export async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByRole('link', { name: 'Sign in', exact: true }).first()).toBeVisible();
}
