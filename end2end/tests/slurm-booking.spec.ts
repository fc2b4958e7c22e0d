import { expect, Page, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { checkPage, signInLocal, signOut } from './helpers';

// The second portal global-setup starts: its workloads and bookings go to the real single-node
// Slurm cluster scripts/slurm runs, whose node has four GPUs of the type "fake".
const base = process.env.E2E_SLURM_BASE;
test.use({ baseURL: base });

const MODEL = 'fake';
const PROJECT = 'Free-text lists into hierarchies';

/** What Slurm itself says (`squeue`, `scontrol` on the cluster the portal uses), errors included. */
function slurm(program: string, args: string[]) {
  const run = spawnSync(program, args, { encoding: 'utf8', env: process.env });
  return `${run.stdout}${run.stderr}`.trim();
}

/** Reloads until `text` shows in `where` (JavaScript off has no live updates; on, a reload does no harm). */
async function reloadUntil(page: Page, where: string, text: string, seconds: number) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if ((await page.locator(where).textContent())?.includes(text)) return;
    if (Date.now() > deadline) break;
    await page.waitForTimeout(1000);
    await page.reload();
  }
  await expect(page.locator(where)).toContainText(text);
}

// Both browser projects share the portal and the cluster: each run books, starts, checks and
// then removes its workspace and cancels its booking, so the next finds the devices free.
test('a GPU workspace started inside a booking runs in its Slurm reservation, and another project is refused the slot', async ({ page }, testInfo) => {
  expect(base, 'the Slurm portal did not start: run the suite through scripts/test, which starts Slurm').toBeTruthy();
  test.setTimeout(300_000);
  const now = new Date();
  const today = now.toISOString().slice(0, 10);
  const hour = now.getUTCHours();

  // An operator maps Sam to the cluster account campus-a, which the reservation will name.
  await signInLocal(page, 'omar');
  await page.goto('/admin/users');
  await page.getByRole('link', { name: 'Sam Staff' }).click();
  await page.getByLabel('Unix account name').fill('campus-a');
  await page.getByRole('button', { name: 'Save Unix account' }).click();
  await expect(page.getByText('Unix account saved.')).toBeVisible();
  await signOut(page);

  // Sam books two of the cluster's GPUs for two hours from this hour.
  await signInLocal(page, 'sam');
  await page.goto(`/bookings/new?model=${MODEL}&date=${today}&start_hour=${hour}`);
  await page.getByLabel('Project').selectOption({ label: PROJECT });
  await page.getByLabel('How many devices').fill('2');
  await page.getByLabel('How many hours').fill('2');
  await page.getByLabel('What the devices are for').fill('Fine-tuning the classifier');
  await page.getByRole('button', { name: 'Book', exact: true }).click();
  const hh = String(hour).padStart(2, '0');
  await expect(page.getByText(`Booked: 2 × ${MODEL} from ${today} ${hh}:00 UTC, confirmed.`)).toBeVisible();
  const booking = page.url();
  const bookingId = booking.match(/\/bookings\/(\d+)$/)![1];
  // The portal makes the booking a reservation on the cluster within seconds.
  await reloadUntil(page, 'main', "Reserved for the project's accounts", 30);
  await checkPage(page, testInfo, 'slurm-booking');
  const reservation = `e2e${new URL(base!).port}-cp-booking-${bookingId}`;
  const shown = slurm('scontrol', ['show', 'reservation', reservation]);
  expect(shown).toContain('Users=campus-a');
  expect(shown).toContain('State=ACTIVE');

  await page.goto(`/bookings?model=${MODEL}&week=${today}`);
  await expect(page.getByRole('table', { name: `Bookings of ${MODEL} this week` })).toContainText(PROJECT);

  // Sam asks for a GPU workspace for the project; an operator approves it.
  await page.goto('/catalogue');
  await page.getByRole('link', { name: new RegExp(`^Request for ${PROJECT}\\s*\\(GPU workspace\\)$`) }).click();
  await page.getByLabel('GPU workspace: One GPU: 8 cores, 32 GB memory').check();
  await page.getByLabel('What will you use it for?').fill('Fine-tuning in the booked hours');
  await page.getByRole('button', { name: 'Send request' }).click();
  await expect(page.getByText('Request sent to an operator for a decision')).toBeVisible();
  const request = page.url();
  const requestId = request.match(/\/requests\/(\d+)$/)![1];
  await signOut(page);

  await signInLocal(page, 'omar');
  await page.goto(request);
  await page.getByLabel('Approve').check();
  await page.getByRole('button', { name: 'Record decision' }).click();
  await expect(page.getByText('Decision recorded: the request is now approved.')).toBeVisible();
  await signOut(page);

  // It runs, and Slurm has it in the booking's reservation.
  await signInLocal(page, 'sam');
  await page.goto(request);
  await reloadUntil(page, '#request-status', 'Running', 120);
  await checkPage(page, testInfo, 'slurm-workspace-running');
  const job = slurm('squeue', ['-h', '-n', `e2e${new URL(base!).port}-cp-${requestId}`, '-o', '%v|%u']);
  expect(job).toBe(`${reservation}|campus-a`);
  await signOut(page);

  // Another project asks for three of the four in the same hour: refused with the reason.
  await signInLocal(page, 'priya');
  await page.goto(`/bookings/new?model=${MODEL}&date=${today}&start_hour=${hour}`);
  await page.getByLabel('Project').selectOption({ label: 'Household gardens' });
  await page.getByLabel('How many devices').fill('3');
  await page.getByLabel('How many hours').fill('1');
  await page.getByLabel('What the devices are for').fill('Segmenting gardens');
  await page.getByRole('button', { name: 'Book', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('other bookings hold them');
  await expect(page.getByRole('alert')).toContainText('The most free on one host then is 2');
  await signOut(page);

  // Sam removes the workspace and cancels the booking; the cluster lets both go.
  await signInLocal(page, 'sam');
  await page.goto(request);
  await page.getByRole('button', { name: 'Remove', exact: true }).click();
  await reloadUntil(page, '#request-status', 'Removed', 60);
  await page.goto(booking);
  await page.getByRole('button', { name: 'Cancel the booking' }).click();
  await expect(page.getByText('Cancelled: its devices are free for others.')).toBeVisible();
  await expect.poll(() => slurm('scontrol', ['show', 'reservation', reservation]), { timeout: 30_000 })
    .toContain('not found');
});
