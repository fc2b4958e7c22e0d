import { expect, test } from '@playwright/test';
import { checkPage, signInLocal } from './helpers';

const GPU = 'NVIDIA A100 80GB';

test("a project's record shows its accelerator bookings and hours week by week", async ({ page }, testInfo) => {
  await signInLocal(page, 'sam');
  await page.goto('/projects');
  await page.getByRole('link', { name: 'Urban forest' }).click();
  await page.getByRole('link', { name: 'Accelerator time' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Accelerator time of Urban forest');
  await expect(page.getByRole('heading', { name: 'Booked and used, week by week' })).toBeVisible();
  await checkPage(page, testInfo, 'project-accelerators');

  // The number of weeks is a plain GET form: the same with JavaScript off.
  await page.getByLabel('Weeks to show').selectOption('4');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/\/projects\/\d+\/accelerators\?weeks=4$/);
  await expect(page.getByLabel('Weeks to show')).toHaveValue('4');
});

test('operators see utilisation per device type as a chart with its table', async ({ page }, testInfo) => {
  await signInLocal(page, 'omar');
  await page.goto('/operations');
  await page.getByRole('link', { name: 'Accelerator utilisation' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Accelerator utilisation');
  const section = page.getByRole('region', { name: GPU });
  await expect(section.getByRole('img', { name: new RegExp(`^${GPU}: booked and used as a percentage`) })).toBeVisible();
  const table = section.getByRole('table', { name: `${GPU}: device-hours per week` });
  // Eight weeks by default, newest first.
  await expect(table.locator('tbody tr')).toHaveCount(8);
  await checkPage(page, testInfo, 'utilisation');
});
