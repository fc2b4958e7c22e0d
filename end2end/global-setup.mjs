import { startPortal } from './support/portal.mjs';

// Playwright runs the returned function as the global teardown. Tests read the portals' addresses
// and directories from the environment set here.
export default async function globalSetup() {
  const port = Number(process.env.E2E_PORT || 3100);
  const portal = await startPortal(port);
  // Tests that put files in a resource's directory (a web service's pages) find it here.
  process.env.E2E_RESOURCE_DIR = portal.resourceDir;
  // scripts/test brings up the Slurm cluster and exports its environment; the Slurm spec fails,
  // saying so, when it is missing.
  let slurm = null;
  if (process.env.SLURM_REST_URL) {
    slurm = await startPortal(port + 1, { slurm: true });
    process.env.E2E_SLURM_BASE = slurm.base;
  }
  return async () => {
    await portal.stop();
    await slurm?.stop();
  };
}
