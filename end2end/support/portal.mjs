// Starts what the browser suite and the page-weight report need: the real OIDC provider on
// loopback, a real clamd with the project's test signatures (EICAR), and the portal binary
// (target/debug/server) on a fresh SQLite database with demo content. With `slurm`, a second
// portal whose workloads and bookings go to the real Slurm cluster `scripts/slurm up` started
// (its environment exported), with no OIDC provider or scanner: the Slurm spec needs neither.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
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

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startClamd(dir) {
  const bin = ['/usr/sbin/clamd', '/usr/bin/clamd'].find((p) => existsSync(p));
  if (!bin) throw new Error('clamd is not installed (scripts/test installs clamav-daemon)');
  const port = await freePort();
  copyFileSync(path.join(root, 'server/tests/clamav/campus-test.ndb'), path.join(dir, 'campus-test.ndb'));
  writeFileSync(path.join(dir, 'clamd.conf'), `TCPAddr 127.0.0.1\nTCPSocket ${port}\nForeground true\nDatabaseDirectory ${dir}\n`);
  const child = spawn(bin, ['-c', path.join(dir, 'clamd.conf')], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (up) return { child, addr: `127.0.0.1:${port}` };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGTERM');
  throw new Error('clamd did not start');
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

export async function startPortal(port, { slurm = false } = {}) {
  const base = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'campus-e2e-'));
  const oidc = slurm ? null : await startOidc(`${base}/auth/oidc/callback`);
  const clamd = slurm ? null : await startClamd(dir);
  const peers = slurm
    ? {
      PROVISIONING_DRIVER: 'slurm',
      // Named apart from the integration tests' jobs and reservations on the same cluster.
      SLURM_JOB_PREFIX: `e2e${port}-`,
      // The jobs run as the cluster's accounts, which cannot read a checkout in root's home.
      RESOURCE_DIR: path.join(process.env.SLURM_RESOURCE_DIR, `e2e-${port}`),
    }
    : {
      OIDC_ISSUER: oidc.issuer,
      OIDC_CLIENT_ID: 'campus-portal',
      OIDC_CLIENT_SECRET: 'campus-portal-test-secret',
      CLAMD_ADDR: clamd.addr,
      RESOURCE_DIR: path.join(dir, 'resources'),
    };
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
      DATASET_DIR: path.join(dir, 'datasets'),
      PRIVATE_DIR: path.join(dir, 'private'),
      RUST_LOG: process.env.RUST_LOG || 'warn',
      ...peers,
    },
  });
  await waitReady(`${base}/readyz`, portal);
  return {
    base,
    resourceDir: peers.RESOURCE_DIR,
    async stop() {
      portal.kill('SIGTERM');
      oidc?.child.kill('SIGTERM');
      clamd?.child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
      if (slurm) rmSync(peers.RESOURCE_DIR, { recursive: true, force: true });
    },
  };
}
