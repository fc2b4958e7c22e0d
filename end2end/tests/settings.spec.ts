import { expect, test } from '@playwright/test';
import { checkPage, signInLocal, signOut } from './helpers';

// Both browser projects run against one portal, so every change here is saved back unchanged.
test('an operator reviews an offering policy and a project quota', async ({ page }, testInfo) => {
  await signInLocal(page, 'omar');
  await page.goto('/operations');
  await page.getByRole('link', { name: 'Catalogue settings' }).click();
  const table = page.getByRole('table', { name: 'Offerings and their policies' });
  await expect(table).toContainText('Published web service');
  await checkPage(page, testInfo, 'catalogue-settings');

  await table.getByRole('link', { name: 'Published web service' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Policy for Published web service');
  await expect(page.getByLabel('Usual lifetime in days')).toHaveValue('90');
  await page.getByLabel('Usual lifetime in days').fill('0');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await expect(page.getByRole('alert')).toContainText('Enter the usual lifetime in days as a whole number from 1 to 730');
  await expect(page.getByLabel('Usual lifetime in days')).toHaveValue('0');
  await checkPage(page, testInfo, 'offering-policy-errors');
  await page.getByLabel('Usual lifetime in days').fill('90');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await expect(page.getByText('Policy for Published web service saved.')).toBeVisible();

  // A size added and removed again.
  await page.getByRole('table', { name: 'Offerings and their policies' }).getByRole('link', { name: 'Published web service' }).click();
  await page.getByLabel('Size code').fill('xl-test');
  await page.getByLabel('Size as people see it').fill('Extra large: 8 cores, 32 GB memory');
  await page.getByLabel('CPU cores').fill('8');
  await page.getByLabel('Memory in GB').fill('32');
  await page.getByLabel('GPUs').fill('0');
  await page.getByLabel('Storage in GB').fill('10');
  await page.getByRole('button', { name: 'Add size' }).click();
  await expect(page.getByText('Size added to Published web service.')).toBeVisible();
  await expect(page.getByRole('table', { name: 'Sizes of this offering' })).toContainText('Extra large: 8 cores, 32 GB memory');
  await checkPage(page, testInfo, 'offering-sizes');
  await page.getByRole('button', { name: 'Remove size xl-test' }).click();
  await expect(page.getByText('Size xl-test removed from Published web service.')).toBeVisible();
  await expect(page.getByRole('table', { name: 'Sizes of this offering' })).not.toContainText('xl-test');

  // The form for a new offering explains what is missing (nothing is added here: both browser
  // projects share one portal).
  await page.goto('/operations/catalogue');
  await page.getByRole('link', { name: 'Add an offering' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Add an offering');
  await page.getByRole('button', { name: 'Add offering' }).click();
  await expect(page.getByRole('alert')).toContainText('Choose what the offering is');
  await checkPage(page, testInfo, 'new-offering-errors');

  await page.goto('/projects');
  await page.getByRole('link', { name: 'Urban forest' }).click();
  await expect(page.getByRole('table', { name: /^Quota/ })).toContainText('CPU cores');
  await page.getByRole('link', { name: "Change this project's quota" }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Quota of Urban forest');
  await checkPage(page, testInfo, 'project-quota');
  const workspaces = page.getByLabel('Workspaces');
  const before = await workspaces.inputValue();
  await workspaces.fill('many');
  await page.getByRole('button', { name: 'Save quota' }).click();
  await expect(page.getByRole('alert')).toContainText('Enter the limit for workspaces as a whole number');
  await workspaces.fill(before);
  await page.getByRole('button', { name: 'Save quota' }).click();
  await expect(page.getByText('Quota of Urban forest saved.')).toBeVisible();
  await checkPage(page, testInfo, 'project-with-quota');
  await signOut(page);
});
