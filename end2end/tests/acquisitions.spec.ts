import { expect, Page, test } from '@playwright/test';
import { checkPage, signInLocal, signOut } from './helpers';

const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

const SECTIONS: [string, [string, string][]][] = [
  ['Project and purpose', [
    ['Organisation doing the work', 'Data Science Campus'],
    ['Lay summary', 'How many homes are built in each area each year.'],
    ['Public benefit', 'Better planning of new homes.'],
  ]],
  ['Safe people', [['Who will work with the data, and their training', 'Two accredited researchers.']]],
  ['Safe projects', [['Why the work needs this data', 'Official statistics need it.']]],
  ['Safe data', [['How people and organisations are kept from being identified', 'Counts under ten are suppressed.']]],
  ['Safe settings', [['Where the data is held and who can reach it', 'The Campus network only.']]],
  ['Safe outputs', [['How outputs are checked before they leave', 'Two-person output checks.']]],
  ['The data', [
    ['Supplier', 'Land Registry'], ['Licence', 'Open Government Licence'], ['Format', 'CSV'],
    ['Volume', '2 GB'], ['How often it is refreshed', 'Monthly'],
    ['Keep until', '2029-03-31'], ['Delete by', '2029-04-30'],
  ]],
];

async function saveSection(page: Page, title: string, fields: [string, string][]) {
  await page.getByRole('link', { name: title, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(title);
  for (const [label, value] of fields) {
    await page.getByLabel(label, { exact: true }).fill(value);
  }
  if (title === 'The data') {
    await page.getByLabel('Tier 1: published, non-sensitive').check();
  }
  await page.getByRole('button', { name: 'Save and return to the task list' }).click();
  await expect(page.getByText(`${title} saved.`)).toBeVisible();
}

// The data acquisitions journey: the task list, data control, ethics review, two approvals with
// a condition, uploads with one quarantined, the dataset with its condition, a grant, and the
// public register seen without an account.
test('an application goes through data control and ethics review to the public register', async ({ page }, testInfo) => {
  // Some forty pages through five people and a virus scan: 50 s with JavaScript on in a clean CI
  // run, so the default minute left too little room for the slower JavaScript-off run.
  test.setTimeout(180_000);
  const title = `Local housing supply (${testInfo.project.name})`;
  await signInLocal(page, 'sam');
  await page.getByRole('link', { name: 'Data applications' }).click();
  await page.getByLabel('Title of the work').fill(title);
  await page.getByRole('button', { name: 'Start an application' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(title);
  await checkPage(page, testInfo, 'acquisition-task-list');

  // Submitting early lists every gap, each a link to its field.
  await page.getByRole('button', { name: 'Submit the application' }).click();
  const summary = page.getByRole('alert');
  await expect(summary).toContainText('Project and purpose: enter lay summary');
  await checkPage(page, testInfo, 'acquisition-gaps');
  await summary.getByRole('link', { name: 'Project and purpose: enter lay summary' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Project and purpose');
  await page.goBack();

  for (const [section, fields] of SECTIONS) {
    await saveSection(page, section, fields);
  }
  await page.getByRole('link', { name: 'Collaborators', exact: true }).click();
  await checkPage(page, testInfo, 'acquisition-section');
  await page.getByRole('button', { name: 'Save and return to the task list' }).click();

  await page.getByRole('link', { name: 'Ethics self-assessment', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ethics self-assessment');
  const radios = page.locator('input[type="radio"][value="low"]');
  // count() does not wait: with JavaScript on the form may still be loading, and a count of
  // none would save an empty assessment. Six principles, two questions each.
  await expect(radios).toHaveCount(12);
  for (let i = 0; i < await radios.count(); i++) await radios.nth(i).check();
  const reasons = page.locator('textarea[id$="-justification"]');
  for (let i = 0; i < await reasons.count(); i++) await reasons.nth(i).fill('Considered with the team.');
  await checkPage(page, testInfo, 'acquisition-ethics');
  await page.getByRole('button', { name: 'Save and return to the task list' }).click();
  await expect(page.getByText('Ethics self-assessment saved.')).toBeVisible();
  await page.getByRole('button', { name: 'Submit the application' }).click();
  await expect(page.getByText('Application submitted to data control.')).toBeVisible();
  await expect(page.getByText('With data control', { exact: true })).toBeVisible();
  await signOut(page);

  // Data control records the legal gateway and agrees the classification; ethics clears it;
  // the first approval carries a condition.
  await signInLocal(page, 'rachel');
  await page.getByRole('link', { name: 'Data applications' }).click();
  await page.getByRole('table', { name: 'Applications waiting for review' }).getByRole('link', { name: title }).click();
  await page.getByRole('button', { name: 'Assign this phase to me' }).click();
  await expect(page.getByText('This phase is assigned to you.')).toBeVisible();
  await page.getByLabel('Lawful basis').fill('Public task');
  await page.getByLabel('Legislation').fill('Statistics and Registration Service Act 2007');
  await page.getByLabel('Agreement reference').fill('DSA-2026-114');
  await checkPage(page, testInfo, 'acquisition-data-control');
  await page.getByRole('button', { name: 'Record data control' }).click();
  await expect(page.getByRole('alert')).toContainText('Choose your classification of the work');
  await page.getByLabel('Tier 1: published, non-sensitive').check();
  await page.getByRole('button', { name: 'Record data control' }).click();
  await expect(page.getByText('Data control recorded: the application is with ethics review.')).toBeVisible();
  await page.getByLabel("The data ethics team's view").fill('Proportionate and low risk.');
  await page.getByRole('button', { name: 'Clear ethics review' }).click();
  await expect(page.getByText('Awaiting the final decision', { exact: true })).toBeVisible();
  await page.getByLabel('Approve', { exact: true }).check();
  await page.getByLabel('Conditions of approval').fill('Publish only counts of ten or more');
  await checkPage(page, testInfo, 'acquisition-final-decision');
  await page.getByRole('button', { name: 'Record decision' }).click();
  await expect(page.getByText('Your approval is recorded. A second reviewer must approve too.')).toBeVisible();
  await signOut(page);

  await signInLocal(page, 'ravi');
  await page.getByRole('link', { name: 'Data applications' }).click();
  await page.getByRole('table', { name: 'Applications waiting for review' }).getByRole('link', { name: title }).click();
  await page.getByLabel('Approve', { exact: true }).check();
  await page.getByRole('button', { name: 'Record decision' }).click();
  await expect(page.getByText('Approved. The applicant has been told.')).toBeVisible();
  await expect(page.getByText('Publish only counts of ten or more', { exact: true }).first()).toBeVisible();
  await checkPage(page, testInfo, 'acquisition-approved');
  await signOut(page);

  // The applicant uploads two files; the one with EICAR is quarantined, the other is version 1.
  await signInLocal(page, 'sam');
  await page.getByRole('link', { name: 'Data applications' }).click();
  await page.getByRole('table', { name: 'Your applications' }).getByRole('link', { name: title }).click();
  await checkPage(page, testInfo, 'acquisition-upload');
  await page.getByLabel('Files').setInputFiles([
    { name: 'completions.csv', mimeType: 'text/csv', buffer: Buffer.from('area,homes\nE06000001,120\n') },
    { name: 'readme.txt', mimeType: 'text/plain', buffer: Buffer.from(EICAR) },
  ]);
  await page.getByRole('button', { name: 'Upload and check' }).click();
  await expect(page.getByText(`Version 1 of ${title} holds completions.csv.`)).toBeVisible();
  await expect(page.getByText('readme.txt (Campus.Test.EICAR.UNOFFICIAL)')).toBeVisible();
  await expect(page.getByRole('table', { name: /^Version 1/ })).toContainText('completions.csv');
  await expect(page.getByRole('table', { name: /^Version 1/ })).not.toContainText('readme.txt');
  await expect(page.getByText('Publish only counts of ten or more', { exact: true }).first()).toBeVisible();
  await checkPage(page, testInfo, 'dataset');
  await signOut(page);

  // Data control grants a project access, with the reason recorded.
  await signInLocal(page, 'rachel');
  await page.getByRole('link', { name: 'Datasets', exact: true }).click();
  await page.getByLabel('Search by title, description or source').fill(title);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: title }).click();
  await page.getByLabel('Project', { exact: true }).selectOption({ label: 'Urban forest' });
  await page.getByLabel('Why the project needs it').fill('Housing near street trees.');
  await page.getByRole('button', { name: 'Grant access' }).click();
  await expect(page.getByText("Access granted. The project's members have been told.")).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: 'Urban forest' })).toContainText('Housing near street trees.');
  await checkPage(page, testInfo, 'dataset-granted');
  await signOut(page);

  // Anyone, signed in or not, reads the register.
  await page.getByRole('link', { name: 'Data-use register' }).click();
  await expect(page.getByRole('heading', { name: title })).toBeVisible();
  await expect(page.getByText('Public task under Statistics and Registration Service Act 2007').first()).toBeVisible();
  await checkPage(page, testInfo, 'data-use-register');
});
