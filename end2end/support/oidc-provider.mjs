// A real OpenID Connect provider (npm oidc-provider, a certified OP) on loopback for tests.
// It listens on an ephemeral port and prints one line, `ISSUER=http://127.0.0.1:<port>`, when ready.
// Log in as any user name at its dev interaction page; groups come from GROUPS below.
// Usage: node oidc-provider.mjs <redirect_uri> [<redirect_uri> ...]
import http from 'node:http';
import Provider from 'oidc-provider';

const CLIENT_ID = process.env.OIDC_CLIENT_ID || 'campus-portal';
const CLIENT_SECRET = process.env.OIDC_CLIENT_SECRET || 'campus-portal-test-secret';
const redirectUris = process.argv.slice(2);
if (redirectUris.length === 0) {
  console.error('usage: node oidc-provider.mjs <redirect_uri> ...');
  process.exit(2);
}

// Which IdP groups each test user is in; anyone else is plain staff. Tests change them while
// people are signed in (see /__test below), as an organisation changes its groups.
const GROUPS = {
  alice: ['campus-staff'],
  rita: ['campus-reviewers'],
  ozzy: ['campus-operators'],
  ada: ['campus-admins', 'campus-staff'],
  paula: ['campus-partners'],
  nogroups: [],
};

// The Unix account the IdP says each test user has (the portal reads it with
// OIDC_UNIX_ACCOUNT_CLAIM=unix_account).
const UNIX_ACCOUNTS = { alice: 'campus-a' };

// People the organisation has removed: the provider no longer knows them.
const REMOVED = new Set();

// Test hooks, on loopback only: POST /__test/groups/<user>?groups=a,b sets a person's groups;
// POST /__test/remove/<user> removes them from the organisation.
function testHook(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const [, , what, user] = url.pathname.split('/');
  if (req.method !== 'POST' || !user) return false;
  if (what === 'groups') {
    GROUPS[user] = (url.searchParams.get('groups') || '').split(',').filter(Boolean);
  } else if (what === 'remove') {
    REMOVED.add(user);
  } else {
    return false;
  }
  res.writeHead(204);
  res.end();
  return true;
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    pkce: { required: () => true },
    // A refresh token with every sign-in, so the portal can re-read a person's groups later.
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    features: { devInteractions: { enabled: true } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups', 'unix_account'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    conformIdTokenClaims: false,
    ttl: { IdToken: 3600, AccessToken: 3600, AuthorizationCode: 60 },
    async findAccount(ctx, id) {
      if (REMOVED.has(id)) return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            email: `${id}@ons.example.org`,
            email_verified: true,
            name: id.charAt(0).toUpperCase() + id.slice(1) + ' Example',
            preferred_username: id,
            groups: GROUPS[id] ?? ['campus-staff'],
            ...(UNIX_ACCOUNTS[id] ? { unix_account: UNIX_ACCOUNTS[id] } : {}),
          };
        },
      };
    },
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile groups');
      grant.addOIDCClaims(['email', 'email_verified', 'name', 'preferred_username', 'groups', 'unix_account']);
      await grant.save();
      return grant;
    },
  });
  provider.proxy = false;
  const handle = provider.callback();
  server.on('request', (req, res) => {
    if (req.url.startsWith('/__test/') && testHook(req, res)) return;
    handle(req, res);
  });
  console.log(`ISSUER=${issuer}`);
});

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
