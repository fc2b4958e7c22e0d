import { startPortal } from './support/portal.mjs';

// Playwright runs the returned function as the global teardown.
export default async function globalSetup() {
  const portal = await startPortal(Number(process.env.E2E_PORT || 3100));
  return async () => portal.stop();
}
