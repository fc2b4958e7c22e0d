import { expect, test } from '@playwright/test';
import { checkPage, signInLocal, signOut } from './helpers';

test('a visitor sees what the portal offers', async ({ page }, testInfo) => {
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1, name: 'Campus Portal' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'External partners' })).toBeVisible();
  await checkPage(page, testInfo, 'home');
  await page.goto('/sign-in');
  await checkPage(page, testInfo, 'sign-in');
});

test('staff sign in through the organisation identity provider', async ({ page }, testInfo) => {
  await page.goto('/sign-in');
  await page.getByRole('link', { name: 'Sign in with your organisation account' }).click();
  // The provider's own login page (npm oidc-provider's development interaction).
  await page.locator('input[name="login"]').fill('alice');
  await page.locator('input[name="password"]').fill('any');
  await page.locator('button[type="submit"]').click();
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
  await page.goto('/account');
  await expect(page.getByText('Your organisation account (single sign-on)')).toBeVisible();
  await expect(page.getByText('Staff member')).toBeVisible();
  await checkPage(page, testInfo, 'account-oidc');
  await signOut(page);
});

test('a wrong password is explained beside the field', async ({ page }, testInfo) => {
  await page.goto('/sign-in');
  await page.getByLabel('User name').fill('sam');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('There is a problem with this page');
  await expect(page.locator('#username-error')).toContainText('The user name or password is not correct');
  await expect(page.getByLabel('User name')).toHaveValue('sam');
  await checkPage(page, testInfo, 'sign-in-error');
});

test('a staff member starts a project and adds a member', async ({ page }, testInfo) => {
  const name = `Street trees ${testInfo.project.name}`;
  await signInLocal(page, 'sam');
  await page.goto('/projects');
  await checkPage(page, testInfo, 'projects');
  await page.getByRole('link', { name: 'Start a project' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Start a project' })).toBeVisible();
  // First with mistakes: the error summary links to each field and what was typed stays.
  await page.getByLabel('Project name').fill('ab');
  await page.getByRole('button', { name: 'Start project' }).click();
  await expect(page.getByRole('alert')).toContainText('There are 3 problems with this page');
  await expect(page.getByLabel('Project name')).toHaveValue('ab');
  await checkPage(page, testInfo, 'new-project-errors');
  await page.getByLabel('Project name').fill(name);
  await page.getByLabel('Summary').fill('Mapping street trees from aerial imagery.');
  await page.getByLabel('End date').fill('2027-09-30');
  await page.getByRole('button', { name: 'Start project' }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(page.getByText('started. Add its members below.')).toBeVisible();
  await page.getByLabel('User name').fill('pat');
  await page.getByRole('button', { name: 'Add member' }).click();
  await expect(page.getByText('Pat Partner is now a member.')).toBeVisible();
  await expect(page.getByRole('cell', { name: 'Pat Partner', exact: true })).toBeVisible();
  await checkPage(page, testInfo, 'project');
  await signOut(page);
});

test('someone without the right role is refused with a 403 page', async ({ page }, testInfo) => {
  await signInLocal(page, 'pat');
  // Partners cannot start projects, whatever they type into the address bar.
  const r = await page.goto('/projects/new');
  expect(r?.status()).toBe(403);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('You do not have permission to see or do this');
  await checkPage(page, testInfo, 'forbidden');
  // Nor see projects they are not in.
  await page.goto('/projects');
  await expect(page.getByRole('link', { name: 'Urban forest' })).toHaveCount(0);
  await signOut(page);
});

test('an administrator manages roles, and an operator maps a Unix account', async ({ page }, testInfo) => {
  await signInLocal(page, 'admin');
  await page.goto('/admin/users');
  await checkPage(page, testInfo, 'admin-users');
  await page.getByRole('link', { name: 'Omar Operator' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Omar Operator');
  await page.getByLabel('Reviewer').check();
  await checkPage(page, testInfo, 'admin-roles');
  await page.getByRole('button', { name: 'Save roles' }).click();
  await expect(page.getByText('Roles saved.')).toBeVisible();
  await expect(page.getByRole('row', { name: /Omar Operator/ })).toContainText('Reviewer');
  await signOut(page);

  // Operators see people to say whose Unix account is whose, but change no roles.
  await signInLocal(page, 'omar');
  await page.goto('/admin/users');
  await page.getByRole('link', { name: 'Priya Patel' }).click();
  await expect(page.getByRole('button', { name: 'Save roles' })).toHaveCount(0);
  await page.getByLabel('Unix account name').fill('Priya');
  await page.getByRole('button', { name: 'Save Unix account' }).click();
  await expect(page.getByRole('alert')).toContainText('is not a Unix account name');
  await expect(page.getByLabel('Unix account name')).toHaveValue('Priya');
  await checkPage(page, testInfo, 'unix-account-refused');
  await page.getByLabel('Unix account name').fill('priya');
  await page.getByRole('button', { name: 'Save Unix account' }).click();
  await expect(page.getByText('Unix account saved.')).toBeVisible();
  await expect(page.getByLabel('Unix account name')).toHaveValue('priya');
  // This machine has no account named priya, so later journeys would find her workloads
  // refused: the mapping is removed again, which is also how an operator undoes one.
  await page.getByLabel('Unix account name').fill('');
  await page.getByRole('button', { name: 'Save Unix account' }).click();
  await expect(page.getByText('Unix account mapping removed.')).toBeVisible();
  await expect(page.getByLabel('Unix account name')).toHaveValue('');
  await signOut(page);
});

test('my account makes and revokes an API token and lists sessions', async ({ page }, testInfo) => {
  await signInLocal(page, 'priya');
  await page.goto('/account');
  await expect(page.getByText('(this browser)')).toBeVisible();
  // A token longer than allowed is refused, saying why, and nothing is made.
  await page.getByLabel('Token name').fill('laptop scripts');
  await page.getByLabel('Days until it ends').fill('9999');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('alert')).toContainText('A token lasts between 1 and 365 days');
  await checkPage(page, testInfo, 'account-token-errors');
  await page.getByLabel('Token name').fill('laptop scripts');
  await page.getByLabel('Days until it ends').fill('30');
  await page.getByLabel('Write: make changes as you').check();
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = await page.locator('#new-token').textContent();
  expect(token).toMatch(/^cpat_/);
  await expect(page.getByRole('table', { name: 'Your API tokens' })).toContainText('read, write');
  await checkPage(page, testInfo, 'account');
  await page.reload();
  await expect(page.locator('#new-token')).toHaveCount(0);
  await page.getByRole('button', { name: 'Revoke token laptop scripts' }).click();
  await expect(page.getByText('The token was revoked')).toBeVisible();
  // Changing the password: a wrong current one is named beside its field.
  await page.getByRole('link', { name: 'Change your password' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Change your password');
  await checkPage(page, testInfo, 'password');
  await page.getByLabel('Current password').fill('not the password at all');
  await page.getByLabel('New password', { exact: true }).fill('another long password');
  await page.getByLabel('New password again').fill('another long password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('alert')).toContainText('Your current password is not right');
  await checkPage(page, testInfo, 'password-errors');
  await signOut(page);
  const r = await page.goto('/account');
  expect(r?.status()).toBe(401);
  await checkPage(page, testInfo, 'not-signed-in');
});

test('unknown pages get a helpful 404', async ({ page }, testInfo) => {
  const r = await page.goto('/no/such/page');
  expect(r?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
  await checkPage(page, testInfo, 'not-found');
});

test('with JavaScript on, the page hydrates and navigates without reloading', async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== 'js-on', 'hydration needs JavaScript');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await signInLocal(page, 'sam');
  await page.goto('/');
  await page.waitForLoadState('networkidle');
  const documents: string[] = [];
  page.on('request', (r) => { if (r.resourceType() === 'document') documents.push(r.url()); });
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Projects' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Projects' })).toBeVisible();
  expect(documents, 'the hydrated router fetched data, not a new page').toEqual([]);
  expect(errors).toEqual([]);
});
