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
