import { expect, test } from '@playwright/test';
import { checkPage, signInLocal } from './helpers';

// Both browser projects share one portal: each adds a host of its own and retires it at the end.
test('an operator adds a host and a GPU, drains it and retires it', async ({ page }, testInfo) => {
  const name = `dc2-e2e-${testInfo.project.name}`;
  await signInLocal(page, 'omar');
  await page.goto('/operations');
  await page.getByRole('link', { name: 'Hardware inventory' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hardware inventory');
  const hosts = page.getByRole('table', { name: 'Hosts' });
  await expect(hosts).toContainText('dc1-tpu-01');
  await expect(hosts).toContainText('TPU 0: TPU v4');
  await checkPage(page, testInfo, 'inventory');

  // Bad input is named beside its field and nothing is added.
  await page.getByLabel('Data centre').selectOption('DC2');
  await page.getByLabel('Host name').fill(name);
  await page.getByLabel('CPU cores').fill('many');
  await page.getByLabel('Clock speed per core (MHz)').fill('2500');
  await page.getByLabel('Memory (GB)').fill('128');
  await page.getByLabel('Storage (GB)').fill('1000');
  await page.getByRole('button', { name: 'Add host' }).click();
  await expect(page.getByRole('alert')).toContainText('Enter the number of CPU cores as a whole number from 1 to 4096');
  await expect(page.getByLabel('Host name')).toHaveValue(name);
  await expect(page.getByRole('table', { name: 'Hosts' })).not.toContainText(name);
  await checkPage(page, testInfo, 'inventory-errors');

  await page.getByLabel('CPU cores').fill('16');
  await page.getByRole('button', { name: 'Add host' }).click();
  await expect(page.getByText('Host added. Add its GPUs or TPUs below.')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Host ${name}`);

  await page.getByRole('radio', { name: 'GPU' }).check();
  await page.getByLabel('Model').fill('NVIDIA L40S 48GB');
  await page.getByLabel('Its memory (GB)').fill('48');
  await page.getByRole('button', { name: 'Add device' }).click();
  await expect(page.getByText('Device added: it can be booked now.')).toBeVisible();
  await expect(page.getByText('GPU 0: NVIDIA L40S 48GB (48 GB)')).toBeVisible();
  await checkPage(page, testInfo, 'inventory-host');

  // Retiring needs a drained host; draining keeps it listed as such.
  await page.getByRole('button', { name: 'Retire host' }).click();
  await expect(page.getByRole('alert')).toContainText('Drain the host first');
  await page.getByRole('button', { name: 'Drain' }).click();
  await expect(page.getByText('Drained: what runs there carries on')).toBeVisible();
  await page.getByRole('button', { name: 'Retire GPU 0' }).click();
  await expect(page.getByText('Device retired')).toBeVisible();
  await page.getByRole('button', { name: 'Retire host' }).click();
  await expect(page.getByText('Host retired: it is no longer counted, placed on or booked.')).toBeVisible();
  await expect(page.getByRole('table', { name: 'Hosts' })).not.toContainText(name);
});
