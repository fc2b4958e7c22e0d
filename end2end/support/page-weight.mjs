// Page-weight report: the bytes a first visit loads as the portal sends them, and each body
// recompressed with gzip 9 and brotli 11 for comparison
// (HTML, CSS, fonts, JS, WASM): the home page, a public project page and a signed-in page, in Debian's Chromium.
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
    try {
      const body = await r.body();
      // What actually crossed the wire: the body as the portal encoded it for this browser.
      const sent = (await r.request().sizes()).responseBodySize;
      loaded.push({ url: r.url(), type: r.request().resourceType(), body, sent, encoding: r.headers()['content-encoding'] || '' });
    } catch { /* redirects have no body */ }
  });
  await page.goto(`${portal.base}${path}`);
  await page.waitForLoadState('networkidle');
  await context.close();
  const rows = loaded.map(({ url, type, body, sent, encoding }) => ({
    resource: url.replace(portal.base, ''),
    type,
    sent,
    encoding,
    raw: body.length,
    gzip: zlib.gzipSync(body, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  }));
  const total = rows.reduce((t, r) => ({ sent: t.sent + r.sent, raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), { sent: 0, raw: 0, gzip: 0, brotli: 0 });
  console.log(`\n${label} (${path})`);
  console.table(rows);
  console.log(`total: ${total.sent} bytes sent (bodies as served), ${total.raw} bytes raw, ${total.gzip} bytes gzip, ${total.brotli} bytes brotli`);
}

try {
  await firstVisit('Home page, anonymous', '/', false);
  await firstVisit('Public project page, anonymous (no WASM)', '/showcase/urban-forest', false);
  await firstVisit('Projects page, signed in', '/projects', true);
} finally {
  await browser.close();
  await portal.stop();
}
