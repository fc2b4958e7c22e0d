import { expect, Page, test } from '@playwright/test';
import { checkPage, signInLocal, signOut } from './helpers';

/** `YYYY-MM-DDTHH:MM` in UTC, `minutes` from now (rounded down to the minute). */
function utc(minutes: number): string {
  return new Date(Date.now() + minutes * 60_000).toISOString().slice(0, 16);
}

/**
 * Waits until the roster shows `text` `n` times (the worker works every 15 s). With JavaScript
 * on the roster must update by itself; off, the page is reloaded.
 */
async function waitForRoster(page: Page, text: RegExp, n: number, seconds: number, live: boolean) {
  const cells = page.getByRole('table', { name: 'Attendees and their sandboxes' }).getByRole('cell', { name: text });
  if (live) {
    await expect(cells).toHaveCount(n, { timeout: seconds * 1_000 });
    return;
  }
  await expect(async () => {
    await page.reload();
    await expect(cells).toHaveCount(n, { timeout: 1_000 });
  }).toPass({ timeout: seconds * 1_000, intervals: [2_000] });
}

test('a trainer books a session for three attendees, whose sandboxes are ready, opened, and gone after the end', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  await signInLocal(page, 'sam');
  await page.goto('/training/introduction-to-r/manage');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Edit the course');
  // Too many seats for the hardware: refused with the numbers, nothing booked.
  await page.getByLabel('Starts (UTC)').fill(utc(0));
  await page.getByLabel('Ends (UTC)').fill(utc(2));
  await page.getByLabel('Seats').fill('200');
  await page.getByLabel('JupyterLab workspace: Large: 8 cores, 64 GB memory').check();
  await page.getByLabel(/^Remove them this many minutes/).fill('0');
  await page.getByRole('button', { name: 'Book session' }).click();
  await expect(page.getByRole('alert')).toContainText('There is not enough room for 200 sandboxes');
  await checkPage(page, testInfo, 'session-booking-refused');

  await page.getByLabel('Seats').fill('3');
  await page.getByLabel('Published web service: Small: 1 core, 2 GB memory').check();
  await page.getByRole('button', { name: 'Book session' }).click();
  await expect(page.getByText('Session booked.')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Session: Introduction to R');
  const sessionUrl = page.url();
  await page.getByLabel('Add people by email').fill('priya@campus.example.org\npat@campus.example.org\nravi@campus.example.org');
  await page.getByRole('button', { name: 'Add attendees' }).click();
  await expect(page.getByText('3 added.')).toBeVisible();
  await expect(page.getByText('3 of 3 taken')).toBeVisible();
  const live = testInfo.project.name === 'js-on';
  await waitForRoster(page, /^Ready/, 3, 90, live);
  await expect(page.locator('#session-status')).toContainText('Open: sandboxes are made');
  await checkPage(page, testInfo, 'session-roster');
  // The project holding the sandboxes is in the trainer's list, marked as the session's.
  await page.goto('/projects');
  await expect(page.locator(`a[href="${new URL(sessionUrl).pathname}"]`)).toHaveText('a training session');
  await checkPage(page, testInfo, 'projects-with-session');
  await signOut(page);

  // An attendee opens their own sandbox.
  await signInLocal(page, 'pat');
  await page.goto(sessionUrl);
  await expect(page.locator('#my-sandbox')).toContainText('Ready');
  await checkPage(page, testInfo, 'session-attendee');
  await page.getByRole('link', { name: 'Open your sandbox' }).click();
  await expect(page).toHaveURL(/^http:\/\/cp-\d+\.localhost:\d+\/$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Directory listing');
  await page.goto(sessionUrl);
  await signOut(page);

  // After the end (no grace period here) every sandbox is removed.
  await signInLocal(page, 'sam');
  await page.goto(sessionUrl);
  await waitForRoster(page, /^Removed/, 3, 200, live);
  await expect(page.locator('#session-status')).toHaveText('Over: every sandbox has been removed');
  await signOut(page);
});
