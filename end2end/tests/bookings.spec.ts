import { expect, test } from '@playwright/test';
import { checkPage, signInLocal, signOut } from './helpers';

const GPU = 'NVIDIA A100 80GB';

/** A day ahead in UTC: its date, and how the week view names it ("Monday 7 December 2026"). */
function dayAhead(days: number) {
  const d = new Date(Date.now() + days * 86_400_000);
  const part = (o: Intl.DateTimeFormatOptions) => d.toLocaleDateString('en-GB', { ...o, timeZone: 'UTC' });
  return {
    iso: d.toISOString().slice(0, 10),
    long: `${part({ weekday: 'long' })} ${d.getUTCDate()} ${part({ month: 'long' })} ${d.getUTCFullYear()}`,
  };
}

// Both browser projects share one portal: each books a day of its own and cancels at the end.
test('a project books two hours of a GPU type, and another project is refused that slot', async ({ page }, testInfo) => {
  const day = dayAhead(testInfo.project.name === 'js-on' ? 2 : 3);
  const week = `/bookings?model=${encodeURIComponent(GPU)}&week=${day.iso}`;

  await signInLocal(page, 'sam');
  await page.getByRole('link', { name: 'Accelerators' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Accelerator bookings');
  await checkPage(page, testInfo, 'bookings-week');

  // The free hour in the week view leads to the form, filled in with its type, day and hour.
  await page.goto(week);
  const table = page.getByRole('table', { name: new RegExp(`^${GPU}: devices free each hour`) });
  await table.getByRole('link', { name: `Book 10:00 on ${day.long}: 2 free` }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Book accelerator time');
  await expect(page.getByLabel('Day it starts')).toHaveValue(day.iso);
  await expect(page.getByLabel('Hour it starts (0 to 23, UTC)')).toHaveValue('10');
  await checkPage(page, testInfo, 'booking-form');
  await page.getByLabel('Project').selectOption({ label: 'Free-text lists into hierarchies' });
  await page.getByLabel('How many devices').fill('2');
  await page.getByLabel('How many hours').fill('2');
  await page.getByLabel('What the devices are for').fill('Training the label classifier');
  await page.getByRole('button', { name: 'Book', exact: true }).click();
  await expect(page.getByText(`Booked: 2 × ${GPU} from ${day.iso} 10:00 UTC, confirmed.`)).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(`2 × ${GPU}`);
  const booking = page.url();
  await checkPage(page, testInfo, 'booking');

  // The week view shows the two hours taken by the project.
  await page.goto(week);
  await expect(table.getByRole('link', { name: `Book 10:00 on ${day.long}: 2 free` })).toHaveCount(0);
  await expect(table.getByRole('link', { name: `Book 12:00 on ${day.long}: 2 free` })).toHaveCount(1);
  await expect(table).toContainText('Free-text lists into hierarchies');
  await expect(page.getByRole('table', { name: `Bookings of ${GPU} this week` })).toContainText('Free-text lists into hierarchies');
  await signOut(page);

  // Another project asks for an hour inside it: refused with the reason, nothing booked.
  await signInLocal(page, 'priya');
  await page.goto(`/bookings/new?model=${encodeURIComponent(GPU)}&date=${day.iso}&start_hour=11`);
  await page.getByLabel('Project').selectOption({ label: 'Household gardens' });
  await page.getByLabel('How many hours').fill('1');
  await page.getByLabel('What the devices are for').fill('Segmenting gardens');
  await page.getByRole('button', { name: 'Book', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('other bookings hold them');
  await expect(page.getByRole('alert')).toContainText('The most free on one host then is 0');
  await expect(page.getByLabel('What the devices are for')).toHaveValue('Segmenting gardens');
  await checkPage(page, testInfo, 'booking-refused');
  await page.goto(week);
  await expect(table).not.toContainText('Household gardens');
  await signOut(page);

  // The one who booked cancels, and the hours are free again.
  await signInLocal(page, 'sam');
  await page.goto(booking);
  await page.getByRole('button', { name: 'Cancel the booking' }).click();
  await expect(page.getByText('Cancelled: its devices are free for others.')).toBeVisible();
  await page.goto(week);
  await expect(table.getByRole('link', { name: `Book 10:00 on ${day.long}: 2 free` })).toHaveCount(1);
});
