// Page-weight report: the compressed bytes (gzip and brotli) of everything a first visit loads
// (HTML, CSS, fonts, JS, WASM) for the home page and for a signed-in page, in Debian's Chromium.
// Run with scripts/page-weight after building (scripts/setup and cargo build -p server).
import { chromium } from '@playwright/test';
import zlib from 'node:zlib';
import { startPortal } from './portal.mjs';

const port = Number(process.env.WEIGHT_PORT || 3200);
const portal = await startPortal(port);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

async function firstVisit(label, path, signIn) {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (signIn) {
    await page.goto(`${portal.base}/sign-in`);
    await page.getByLabel('User name').fill('sam');
    await page.getByLabel('Password').fill('campus-demo-password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForLoadState('networkidle');
  }
  // A first visit: nothing cached.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.clearBrowserCache');
  const loaded = [];
  page.on('response', async (r) => {
    try { loaded.push({ url: r.url(), type: r.request().resourceType(), body: await r.body() }); } catch { /* redirects have no body */ }
  });
  await page.goto(`${portal.base}${path}`);
  await page.waitForLoadState('networkidle');
  await context.close();
  const rows = loaded.map(({ url, type, body }) => ({
    resource: url.replace(portal.base, ''),
    type,
    raw: body.length,
    gzip: zlib.gzipSync(body, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  }));
  const total = rows.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), { raw: 0, gzip: 0, brotli: 0 });
  console.log(`\n${label} (${path})`);
  console.table(rows);
  console.log(`total: ${total.raw} bytes raw, ${total.gzip} bytes gzip, ${total.brotli} bytes brotli`);
}

try {
  await firstVisit('Home page, anonymous', '/', false);
  await firstVisit('Public project page, anonymous (no WASM)', '/showcase/urban-forest', false);
  await firstVisit('Projects page, signed in', '/projects', true);
} finally {
  await browser.close();
  await portal.stop();
}
