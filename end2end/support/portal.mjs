// Starts what the browser suite and the page-weight report need: the real OIDC provider on
// loopback and the portal binary (target/debug/server) on a fresh SQLite database with demo content.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function startOidc(redirectUri) {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [path.join(root, 'end2end/support/oidc-provider.mjs'), redirectUri], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const m = buffer.match(/ISSUER=(\S+)/);
      if (m) resolve({ child, issuer: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`OIDC provider exited with ${code}`)));
  });
}

async function waitReady(url, child) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`the portal exited with ${child.exitCode}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the portal did not become ready at ${url}`);
}

export async function startPortal(port) {
  const base = `http://127.0.0.1:${port}`;
  const oidc = await startOidc(`${base}/auth/oidc/callback`);
  const dir = mkdtempSync(path.join(tmpdir(), 'campus-e2e-'));
  const portal = spawn(path.join(root, 'target/debug/server'), ['serve'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      BIND_ADDR: `127.0.0.1:${port}`,
      PUBLIC_URL: base,
      DATABASE_URL: `sqlite://${dir}/e2e.db?mode=rwc`,
      DEMO_CONTENT: 'true',
      SITE_ROOT: path.join(root, 'target/site'),
      OIDC_ISSUER: oidc.issuer,
      OIDC_CLIENT_ID: 'campus-portal',
      OIDC_CLIENT_SECRET: 'campus-portal-test-secret',
      RUST_LOG: process.env.RUST_LOG || 'warn',
    },
  });
  await waitReady(`${base}/readyz`, portal);
  return {
    base,
    async stop() {
      portal.kill('SIGTERM');
      oidc.child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
