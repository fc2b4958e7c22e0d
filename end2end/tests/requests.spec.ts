import { expect, Page, test } from '@playwright/test';
import { checkPage, signInLocal, signOut } from './helpers';

/** With JavaScript on the status must change by itself (server-sent events); off, a reload shows it. */
async function waitForStatus(page: Page, text: string, live: boolean) {
  const status = page.locator('#request-status');
  if (live) {
    await expect(status).toContainText(text, { timeout: 60_000 });
    return;
  }
  for (let i = 0; i < 120; i++) {
    if ((await status.textContent())?.includes(text)) return;
    await page.waitForTimeout(500);
    await page.reload();
  }
  await expect(status).toContainText(text);
}

test('a staff member gets a JupyterLab workspace, opens it, stops, extends and removes it', async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  const live = testInfo.project.name === 'js-on';
  await signInLocal(page, 'sam');
  await page.goto('/catalogue');
  await checkPage(page, testInfo, 'catalogue');
  await page.getByRole('link', { name: /^Request for Urban forest\s*\(JupyterLab workspace\)$/ }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ask for a resource for Urban forest');
  // The quota and the free capacity sit beside the choice; the end date starts at the project's.
  await expect(page.getByRole('table', { name: "This project's quota" })).toContainText('CPU cores');
  await expect(page.getByRole('table', { name: 'Free on the Campus hardware' })).toContainText('2528');
  await expect(page.getByLabel('JupyterLab workspace: Small: 2 cores, 8 GB memory')).toBeChecked();
  await expect(page.getByLabel('End date')).toHaveValue('2027-09-30');
  await checkPage(page, testInfo, 'new-request');
  // A missing purpose is explained and what was chosen stays chosen.
  await page.getByLabel('End date').fill('2027-03-31');
  await page.getByRole('button', { name: 'Send request' }).click();
  await expect(page.getByRole('alert')).toContainText('Say what you will use it for');
  await expect(page.getByLabel('JupyterLab workspace: Small: 2 cores, 8 GB memory')).toBeChecked();
  await checkPage(page, testInfo, 'new-request-errors');
  await page.getByLabel('What will you use it for?').fill('Tree detection notebooks');
  await page.getByRole('button', { name: 'Send request' }).click();
  await expect(page.getByText('Request approved: it is within your project')).toBeVisible();
  const requestUrl = page.url();
  await waitForStatus(page, 'Running', live);
  await expect(page.getByRole('list').filter({ hasText: 'Being set up' })).toContainText('Approved automatically');
  await checkPage(page, testInfo, 'request-running');

  // JupyterLab answers through the portal's proxy.
  await page.getByRole('link', { name: 'Open' }).click();
  await expect(page).toHaveURL(/^http:\/\/cp-\d+\.localhost:\d+\/lab/);
  await expect(page).toHaveTitle(/JupyterLab/);
  await page.goto(requestUrl);

  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(page.getByText('Stopping it now.')).toBeVisible();
  await waitForStatus(page, 'Stopped', live);
  await page.getByRole('button', { name: 'Extend', exact: true }).click();
  await expect(page.getByText('Extended: it now ends on 2027-04-30.')).toBeVisible();
  await page.getByRole('button', { name: 'Remove', exact: true }).click();
  await waitForStatus(page, 'Removed', live);
  await checkPage(page, testInfo, 'request-removed');
  await signOut(page);
});

test('an over-quota request waits for an operator, who approves it', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const live = testInfo.project.name === 'js-on';
  await signInLocal(page, 'sam');
  await page.goto('/catalogue');
  await page.getByRole('link', { name: /^Request for Emerging trends in patents\s*\(Dataset storage\)$/ }).click();
  await page.getByLabel('Dataset storage: 2 TB').check();
  await page.getByLabel('What will you use it for?').fill('Aerial imagery tiles');
  await page.getByRole('button', { name: 'Send request' }).click();
  await expect(page.getByText('Request sent to an operator for a decision because')).toBeVisible();
  await expect(page.getByText("storage (GB) to")).toBeVisible();
  await waitForStatus(page, 'Waiting for approval', false);
  const requestUrl = page.url();
  await signOut(page);

  await signInLocal(page, 'omar');
  await page.goto('/approvals');
  await checkPage(page, testInfo, 'approvals');
  await page.getByRole('link', { name: 'Dataset storage (2tb)' }).first().click();
  await expect(page).toHaveURL(requestUrl);
  await page.getByLabel('Approve').check();
  await checkPage(page, testInfo, 'decision');
  await page.getByRole('button', { name: 'Record decision' }).click();
  await expect(page.getByText('Decision recorded: the request is now approved.')).toBeVisible();
  await waitForStatus(page, 'Running', live);
  await page.goto('/operations');
  await expect(page.getByText('790 GHz of CPU')).toBeVisible();
  await checkPage(page, testInfo, 'operations');
  await page.getByRole('link', { name: 'Audit trail' }).click();
  await expect(page.getByRole('table', { name: 'Audit entries' })).toContainText('request.approve');
  await checkPage(page, testInfo, 'audit');
  await signOut(page);

  await signInLocal(page, 'sam');
  await page.goto('/notifications');
  await expect(page.getByText('Your request for Dataset storage was approved').first()).toBeVisible();
  await checkPage(page, testInfo, 'notifications');
  await signOut(page);
});
