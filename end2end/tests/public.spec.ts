import { expect, Page, test } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkPage, signInLocal, signOut } from './helpers';

const SHOWCASE = [
  'Access to services',
  'Household gardens',
  'Emerging trends in patents',
  'Free-text lists into hierarchies',
  'Urban forest',
  'Rwanda data hub partnership',
];

async function waitForRunning(page: Page, live: boolean) {
  const status = page.locator('#request-status');
  if (live) {
    await expect(status).toContainText('Running', { timeout: 60_000 });
    return;
  }
  for (let i = 0; i < 120 && !(await status.textContent())?.includes('Running'); i++) {
    await page.waitForTimeout(500);
    await page.reload();
  }
  await expect(status).toContainText('Running');
}

test('an anonymous visitor browses the showcase, filters by tag, opens a project and its published service', async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  const purpose = `Journey planner (${testInfo.project.name})`;
  // The project's lead starts a web service for the project: no one may ask for it to be
  // public, only for it to be checked for release.
  await signInLocal(page, 'sam');
  await page.goto('/catalogue');
  await page.getByRole('link', { name: /^Request for Access to services\s*\(Published web service\)$/ }).click();
  await page.getByLabel('What will you use it for?').fill(purpose);
  await expect(page.getByLabel(/Anyone, without signing in/)).toHaveCount(0);
  await page.getByLabel('Members of the project').check();
  await page.getByRole('button', { name: 'Send request' }).click();
  await expect(page.getByText('Request approved')).toBeVisible();
  await waitForRunning(page, testInfo.project.name === 'js-on');
  const id = Number(/\/requests\/(\d+)/.exec(page.url())?.[1]);
  await signOut(page);
  fs.writeFileSync(
    path.join(process.env.E2E_RESOURCE_DIR ?? '', `cp-${id}`, 'files', 'index.html'),
    `<!doctype html><html lang="en"><title>Journeys</title><h1>${purpose}</h1></html>`,
  );

  // Released through the pages: sam describes the output and asks for a check, and two output
  // checkers from outside the project approve the frozen copy.
  await signInLocal(page, 'sam');
  await page.goto(`/requests/${id}`);
  await page.getByRole('link', { name: 'Ask for an output check' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Ask for an output check');
  await checkPage(page, testInfo, 'output-check-ask');
  await page.getByLabel('Name', { exact: true }).fill('index.html');
  await page.getByLabel('What it is').selectOption('document');
  await page.getByLabel('What it shows').fill('Journey times to services');
  await page.getByRole('group', { name: /It holds no record-level data/ }).getByLabel('Yes', { exact: true }).check();
  const differencing = page.getByRole('group', { name: /cannot be subtracted/ });
  await differencing.getByLabel('Does not apply', { exact: true }).check();
  await differencing.getByLabel('If not yes: why it is still safe').fill('Nothing else on this is published');
  await page.getByRole('button', { name: 'Freeze the files and ask for a check' }).click();
  await expect(page.locator('#check-status')).toContainText('With output checkers');
  await checkPage(page, testInfo, 'output-check-record');
  const check = page.url();
  await signOut(page);
  for (const [checker, after] of [['cora', 'A second output checker must approve'], ['colin', 'the service is restarting from this snapshot']]) {
    await signInLocal(page, checker);
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Output checks' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Output checks');
    await checkPage(page, testInfo, `output-check-queue-${checker}`);
    await page.locator(`a[href="${new URL(check).pathname}"]`).click();
    await page.getByLabel('Approve it for release').check();
    await checkPage(page, testInfo, `output-check-decide-${checker}`);
    await page.getByRole('button', { name: 'Record decision' }).click();
    await expect(page.getByText(after)).toBeVisible();
    await signOut(page);
  }

  // A visitor with no account: complete pages and no client app at all.
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Showcase' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Projects showcase');
  for (const title of SHOWCASE) {
    await expect(page.getByRole('link', { name: title, exact: true })).toBeVisible();
  }
  expect(await page.locator('script').count()).toBe(0);
  await checkPage(page, testInfo, 'showcase');

  await page.getByLabel('Tag', { exact: true }).selectOption('transport');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByRole('heading', { name: 'Projects tagged “transport”' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Household gardens', exact: true })).toHaveCount(0);
  await checkPage(page, testInfo, 'showcase-filtered');
  await page.getByRole('link', { name: 'Access to services', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Access to services');
  // The page lists the service once it runs: every replica's cache notices within a second.
  await expect(async () => {
    await page.reload();
    await expect(page.getByText(purpose)).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 5_000 });
  await expect(page.getByRole('heading', { name: 'Published services' })).toBeVisible();
  await expect(page.locator('li', { hasText: purpose }).getByText(/Output-checked for release on/)).toBeVisible();
  expect(await page.locator('script').count()).toBe(0);
  await checkPage(page, testInfo, 'showcase-project');

  const service = page.locator('li', { hasText: purpose }).getByRole('link', { name: 'Published web service' });
  await service.click();
  await expect(page).toHaveURL(/^http:\/\/cp-\d+\.localhost:\d+\/$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(purpose);
});

test('training materials are public, and a search finds a project, a dataset and a course', async ({ page }, testInfo) => {
  await page.goto('/training');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Training');
  await expect(page.getByRole('link', { name: 'Introduction to R' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Big data with Spark' })).toHaveCount(0);
  await checkPage(page, testInfo, 'training');
  await page.getByRole('link', { name: 'Introduction to R' }).click();
  await page.getByRole('link', { name: 'Next: Getting started' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Getting started');
  await expect(page.getByRole('heading', { level: 2, name: 'RStudio' })).toBeVisible();
  await checkPage(page, testInfo, 'training-page');

  await signInLocal(page, 'sam');
  const search = async (q: string) => {
    await page.goto('/search');
    await page.getByLabel('Search projects, training, datasets and requests').fill(q);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect(page.locator('#result-count')).toContainText(q);
    // The box keeps the words, so a searcher can change them rather than type them again.
    await expect(page.getByLabel('Search projects, training, datasets and requests')).toHaveValue(q);
  };
  await search('PyGrams');
  await expect(page.getByRole('link', { name: 'Emerging trends in patents' })).toBeVisible();
  await checkPage(page, testInfo, 'search');
  await search('broadband');
  await expect(page.getByRole('link', { name: 'Broadband speeds by postcode' })).toBeVisible();
  await search('spark');
  await page.getByRole('link', { name: 'Big data with Spark' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Big data with Spark');
  await expect(page.getByText('Campus staff only')).toBeVisible();
  await signOut(page);
});
