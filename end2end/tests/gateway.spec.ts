import { expect, test } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { signInLocal, signOut } from './helpers';

// A page a person's own code serves, opened by a signed-in colleague: it tries what a hostile
// page would against the portal. Each resource is served on its own host (cp-<id>.localhost),
// so to the browser the portal is another site.
function hostilePage(portal: string) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Tree map</title></head>
<body><h1>Tree map</h1><p id="result">running</p>
<iframe id="framed" title="The portal, framed" src="${portal}/account"></iframe>
<script>
(async () => {
  const out = {};
  try {
    const r = await fetch('${portal}/account', { credentials: 'include' });
    out.read = (await r.text()).includes('Sign out') ? 'signed-in content' : 'anonymous content';
  } catch (e) { out.read = 'blocked'; }
  try {
    await fetch('${portal}/account/tokens', { method: 'POST', credentials: 'include', mode: 'no-cors',
      body: new URLSearchParams({ name: 'stolen-by-a-page' }) });
    out.write = 'sent';
  } catch (e) { out.write = 'blocked'; }
  document.cookie = 'campus_session=planted; path=/';
  document.cookie = 'campus_session=planted; path=/; domain=localhost';
  document.getElementById('result').textContent = JSON.stringify(out);
})();
</script></body></html>`;
}

test('a page served from a web service cannot act on the portal as the person viewing it', async ({ page, baseURL }, testInfo) => {
  test.skip(testInfo.project.name === 'js-off', 'the attack is a script: without JavaScript there is nothing to try');
  test.setTimeout(180_000);
  const portal = baseURL!;
  await signInLocal(page, 'sam');
  await page.goto('/catalogue');
  await page.getByRole('link', { name: /^Request for Urban forest\s*\(Published web service\)$/ }).click();
  await page.getByLabel('What will you use it for?').fill('A tree map for colleagues');
  await page.getByLabel('Members of the project').check();
  await page.getByRole('button', { name: 'Send request' }).click();
  await expect(page.getByText('Request approved')).toBeVisible();
  await expect(page.locator('#request-status')).toContainText('Running', { timeout: 60_000 });
  const id = new URL(page.url()).pathname.split('/').pop();
  writeFileSync(path.join(process.env.E2E_RESOURCE_DIR!, `cp-${id}`, 'files', 'hostile.html'), hostilePage(portal));

  // Opened through the portal, it is served from its own host, never the portal's.
  await page.goto(`/s/cp-${id}/hostile.html`);
  await expect(page).toHaveURL(new RegExp(`^http://cp-${id}\\.localhost:\\d+/hostile\\.html$`));
  await expect(page.locator('#result')).not.toHaveText('running', { timeout: 15_000 });
  const result = JSON.parse((await page.locator('#result').textContent())!);
  expect(result.read, 'the page read the portal as the viewer').toBe('blocked');
  // The portal refused to be framed: no frame holds a portal page.
  for (const frame of page.frames()) {
    if (frame === page.mainFrame()) continue;
    expect(frame.url().startsWith(portal), `the portal was framed at ${frame.url()}`).toBe(false);
  }

  // Back on the portal: still signed in as sam, and no token was made by the page.
  await page.goto('/account');
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
  await expect(page.getByText('stolen-by-a-page')).toHaveCount(0);
  const cookies = await page.context().cookies(portal);
  expect(cookies.find((c) => c.name === 'campus_session')?.value).not.toBe('planted');

  // Signing out of the portal ends the page's access within seconds.
  await signOut(page);
  await page.waitForTimeout(2_100);
  await page.goto(`http://cp-${id}.localhost:${new URL(portal).port}/hostile.html`);
  await expect(page).toHaveURL(/\/sign-in\?next=/);
});
