// oidc-provider (panva) as a grantcheck test peer.
//
//   node server.mjs [--config strict|lax] [--port N] [--max-seconds S]
//
// Environment (flags win over the environment):
//   OIDCP_CONFIG        strict (default) | lax
//   OIDCP_PORT          listening port on 127.0.0.1 (default 3000; 0 = any free port)
//   OIDCP_MAX_SECONDS   the server stops itself after this many seconds (default 600)
//   GRANTCHECK_OIDCP_{C1,C2,S1,X1}_SECRET   client secrets (required, non-empty),
//                       the same variables issuers/oidc-provider.toml names.
//
// Listens on 127.0.0.1 only. The issuer is http://127.0.0.1:PORT. On start it
// prints one line `oidc-provider peer listening issuer=<url> config=<name>`
// to stdout. It stops on SIGTERM, SIGINT, or when --max-seconds have passed.
//
// The configuration is worked out from the installed package's own code
// (node_modules/oidc-provider/lib, mainly lib/helpers/defaults.js); see
// NOTES.md next to this file for the reasoning and the line references.

import * as crypto from 'node:crypto';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    config: { type: 'string' },
    port: { type: 'string' },
    'max-seconds': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});

if (args.help) {
  console.log('usage: node server.mjs [--config strict|lax] [--port N] [--max-seconds S]');
  process.exit(0);
}

function fail(msg) {
  console.error(`oidc-provider peer: ${msg}`);
  process.exit(2);
}

const configName = args.config ?? process.env.OIDCP_CONFIG ?? 'strict';
if (!['strict', 'lax'].includes(configName)) fail(`unknown config ${configName} (strict or lax)`);

const port = Number(args.port ?? process.env.OIDCP_PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad port ${args.port ?? process.env.OIDCP_PORT}`);

const maxSeconds = Number(args['max-seconds'] ?? process.env.OIDCP_MAX_SECONDS ?? 600);
if (!Number.isFinite(maxSeconds) || maxSeconds <= 0 || maxSeconds > 24 * 3600) fail('bad --max-seconds (1..86400)');

function secret(role) {
  const name = `GRANTCHECK_OIDCP_${role.toUpperCase()}_SECRET`;
  const v = process.env[name];
  if (!v) fail(`environment variable ${name} is not set (or empty)`);
  return v;
}

const strict = configName === 'strict';

// Scopes the provider knows. api:read / api:write are plain static scopes (no
// resource server): they end up in the grant and the token response `scope`.
// Scope values the provider does not know are dropped silently (AUTHZ-06's
// "ignore" branch).
const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'api:read', 'api:write'];
// What an end-user client may hold (requirements.md fixture C1: not api:write).
const USER_SCOPE = 'openid profile email offline_access api:read';

const codeClient = (id, extra) => ({
  client_id: id,
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  scope: USER_SCOPE,
  ...extra,
});

const clients = [
  // c1: confidential, client_secret_basic.
  codeClient('c1', {
    client_secret: secret('c1'),
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: ['https://c1.example/cb'],
  }),
  // c2: the second confidential client, client_secret_post (as in the
  // reference profile). NB oidc-provider accepts Basic and post for any
  // client registered with either of the two (lib/shared/client_auth.js).
  codeClient('c2', {
    client_secret: secret('c2'),
    token_endpoint_auth_method: 'client_secret_post',
    redirect_uris: ['https://c2.example/cb'],
  }),
  // p1, p2: public web clients. p1 has two redirect URIs (fixture P1; the
  // redirect-uri suites need redirect_uri_2).
  codeClient('p1', {
    token_endpoint_auth_method: 'none',
    redirect_uris: ['https://p1.example/cb', 'https://p1.example/cb2'],
  }),
  codeClient('p2', {
    token_endpoint_auth_method: 'none',
    redirect_uris: ['https://p2.example/cb'],
  }),
  // q1: public, registered redirect URI with a query.
  codeClient('q1', {
    token_endpoint_auth_method: 'none',
    redirect_uris: ['https://q1.example/cb?tenant=a'],
  }),
  // n1: native public client with a loopback redirect URI. Only
  // application_type=native may register http redirect URIs on loopback and
  // gets RFC 8252 §7.3 "any port" matching (lib/models/client.js
  // #redirectAllowed, stripLoopbackPort).
  codeClient('n1', {
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://127.0.0.1/cb'],
  }),
  // s1: client_credentials only, Basic.
  {
    client_id: 's1',
    client_secret: secret('s1'),
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'api:read',
  },
  // x1: confidential, Basic, a secret with `: % + & space` (CAUTH-05).
  {
    client_id: 'x1',
    client_secret: secret('x1'),
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials', 'authorization_code'],
    response_types: ['code'],
    redirect_uris: ['https://x1.example/cb'],
    scope: 'api:read',
  },
];

// A fresh RS256 signing key per process (otherwise the library uses its
// published development key and says so).
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };

const USERS = {
  alice: { email: 'alice@example.com', name: 'Alice' },
  bob: { email: 'bob@example.com', name: 'Bob' },
};

const configuration = {
  clients,
  jwks: { keys: [jwk] },
  scopes: SCOPES,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  responseTypes: ['code'],
  // Only the methods the profile's clients use (the default also advertises
  // client_secret_jwt and private_key_jwt).
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },

  // strict: redirect_uri is required at authorization (OIDC Core §3.1.2.1)
  // and at the token endpoint whenever it was sent (RFC 6749 §4.1.3).
  // lax: the library default (true) fills in a client's single registered
  // redirect URI when the parameter is missing, at the authorization endpoint
  // (lib/actions/authorization/response_parameters.js oneRedirectUriClients,
  // also the error handler's recovery in lib/shared/authorization_error_handler.js)
  // and at the token endpoint (lib/actions/grants/authorization_code.js).
  allowOmittingSingleRegisteredRedirectUri: !strict,

  // The development login and consent pages (lib/actions/interaction.js,
  // lib/views/*.js): login form fields `login` + `password` (any login is
  // accepted, the password is ignored), consent form with one "Continue"
  // button and a "[ Cancel ]" link to /interaction/:uid/abort.
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: {
      enabled: true,
      // lax: any authenticated client may revoke any client's token (the
      // default, lib/helpers/defaults.js revocationAllowedPolicy, refuses
      // with invalid_request when token.clientId !== client.clientId).
      ...(strict ? {} : { allowedPolicy: async () => true }),
    },
    userinfo: { enabled: true },
    rpInitiatedLogout: { enabled: false },
  },

  async findAccount(ctx, sub) {
    const user = USERS[sub] ?? {};
    return {
      accountId: sub,
      async claims() {
        return { sub, ...(user.email ? { email: user.email, email_verified: true } : {}), ...(user.name ? { name: user.name } : {}) };
      },
    };
  },

  pkce: {
    // strict: PKCE for every client. lax: only public clients (this is the
    // library default, lib/helpers/defaults.js pkceRequired).
    required: strict
      ? () => true
      : (ctx, client) => client.clientAuthMethod === 'none',
  },

  // strict: rotate on every use. lax: never (the library default rotates for
  // public clients and otherwise only after 70 % of the RT lifetime).
  rotateRefreshToken: () => strict,

  // Refresh tokens only when offline_access is in the grant and the client
  // may use the refresh_token grant: the library default, spelled out.
  // NB lib/actions/authorization/scopes.js:33-40 drops offline_access from
  // every authorization request whose `prompt` does not contain `consent`
  // (PARAM_LIST.has('prompt') is always true at /auth): OIDC Core §11 taken
  // literally. Without prompt=consent no refresh token is ever issued.
  async issueRefreshToken(ctx, client, code) {
    return client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access');
  },

  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    ClientCredentials: 3600, // the product card wants ~1 h access tokens (TOK-03), machine ones too
    IdToken: 3600,
    RefreshToken: 14 * 24 * 3600,
    Interaction: 3600,
    Session: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
  },
};

// Port 0: find a free loopback port first; the issuer identifier must carry the real port.
async function freePort() {
  const net = await import('node:net');
  const probe = net.createServer();
  await new Promise((resolve, reject) => {
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port: p } = probe.address();
  await new Promise((r) => probe.close(r));
  return p;
}

const listenPort = port === 0 ? await freePort() : port;

let provider;
try {
  provider = new Provider(`http://127.0.0.1:${listenPort}`, configuration);
} catch (e) {
  fail(`configuration refused: ${e.message}`);
}

// strict: forbid framing of every page (HDR-03). oidc-provider sets no
// framing headers itself: that is left to the host application (the
// web_message response mode even strips them, lib/response_modes/web_message.js).
// lax: no such headers, as in a bare deployment.
if (strict) {
  provider.use(async (ctx, next) => {
    ctx.set('content-security-policy', "frame-ancestors 'none'");
    ctx.set('x-frame-options', 'DENY');
    await next();
  });
}

let server;
try {
  server = await new Promise((resolve, reject) => {
    const s = provider.listen(listenPort, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
} catch (e) {
  fail(`cannot listen on 127.0.0.1:${listenPort}: ${e.message}`);
}
const actual = server.address().port;
console.log(`oidc-provider peer listening issuer=http://127.0.0.1:${actual} config=${configName} max_seconds=${maxSeconds}`);

provider.on('server_error', (ctx, err) => console.error('server_error', err));

let stopping = false;
function stop(why) {
  if (stopping) return;
  stopping = true;
  console.log(`oidc-provider peer stopping (${why})`);
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
setTimeout(() => stop(`max-seconds ${maxSeconds} reached`), maxSeconds * 1000).unref();
