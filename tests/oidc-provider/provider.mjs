// A small OpenID provider for the portal's browser tests and the local demo
// (scripts/run-local.sh), built on the certified npm `oidc-provider` (pinned in
// package.json; ./scripts/install-test-tools.sh installs it into .tools/node).
//
// One public client (`portal` by default: token_endpoint_auth_method `none`, PKCE S256
// required) with the redirect URIs given, in-memory accounts from a JSON file, a login
// page that checks the password, no consent page (the portal is first party, so every
// grant is given), RP-initiated logout without its confirmation page, and ID tokens
// signed RS256 with a key made at start (served at the discovery's jwks_uri). Every claim
// an account has goes into its ID token; `sub` is the account's login.
//
// Usage:
//   node provider.mjs --accounts accounts.json --redirect-uri URI [--redirect-uri URI]
//        [--post-logout-redirect-uri URI]... [--port 0] [--host 127.0.0.1]
//        [--issuer URL] [--client-id portal]
//   node provider.mjs --config config.json   (the same keys, snake_case; `accounts` is a
//                                            file path or the array itself)
// accounts.json: [{"login":"alice","password":"alice-pw","claims":{"tenant":"acme",...}}]
//
// Once listening it prints one line `issuer <URL>` on stdout (port 0 picks a free port;
// the issuer defaults to http://HOST:PORT). Logs go to stderr, never a password or token.

import { createHash, generateKeyPairSync, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { errorPage, loginPage, logoutPage, signedOutPage } from './pages.mjs';

const INSTALL_HINT = 'run ./scripts/install-test-tools.sh from the repository root (installs oidc-provider 9.13.3 into .tools/node)';
const MAX_FORM_BYTES = 16 * 1024;
const here = path.dirname(fileURLToPath(import.meta.url));

function log(message) {
  process.stderr.write(`oidc-provider: ${message}\n`);
}

function fail(message) {
  log(message);
  process.exit(2);
}

/** The settings from the command line, or from the JSON file `--config` names. */
function readSettings() {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      accounts: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      port: { type: 'string' },
      host: { type: 'string' },
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
    },
  });
  const file = values.config ? JSON.parse(readFileSync(values.config, 'utf8')) : {};
  const accounts = file.accounts ?? values.accounts;
  return {
    host: file.host ?? values.host ?? '127.0.0.1',
    port: Number(file.port ?? values.port ?? 0),
    issuer: file.issuer ?? values.issuer,
    clientId: file.client_id ?? values['client-id'] ?? 'portal',
    redirectUris: file.redirect_uris ?? values['redirect-uri'] ?? [],
    postLogoutRedirectUris: file.post_logout_redirect_uris ?? values['post-logout-redirect-uri'] ?? [],
    accounts: typeof accounts === 'string' ? JSON.parse(readFileSync(accounts, 'utf8')) : accounts,
  };
}

/** The accounts by login, checked for shape. */
function indexAccounts(accounts) {
  if (!Array.isArray(accounts) || accounts.length === 0) {
    fail('no accounts: give --accounts FILE holding [{"login":…,"password":…,"claims":{…}}]');
  }
  const byLogin = new Map();
  for (const account of accounts) {
    const { login, password, claims = {} } = account ?? {};
    if (typeof login !== 'string' || login === '' || typeof password !== 'string' || typeof claims !== 'object') {
      fail('every account needs a non-empty "login", a "password" and an optional "claims" object');
    }
    if (byLogin.has(login)) {
      fail(`account "${login}" is given twice`);
    }
    byLogin.set(login, { login, password, claims });
  }
  return byLogin;
}

/** Whether `given` is the account's password (compared in constant time). */
function passwordMatches(account, given) {
  const digest = (text) => createHash('sha256').update(String(text)).digest();
  return account !== undefined && timingSafeEqual(digest(account.password), digest(given));
}

async function loadProvider() {
  const modules = process.env.OIDC_PROVIDER_NODE_MODULES
    ?? path.join(here, '..', '..', '.tools', 'node', 'node_modules');
  let entry;
  try {
    entry = createRequire(path.join(modules, 'noop.js')).resolve('oidc-provider');
  } catch {
    fail(`the npm package oidc-provider is not in ${modules}; ${INSTALL_HINT}`);
  }
  return (await import(pathToFileURL(entry).href)).default;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_FORM_BYTES) {
      throw new Error('form too large');
    }
  }
  return new URLSearchParams(body);
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

/** The login page and the automatic consent, at /interaction/<uid>[/login]. */
function interactions(provider, accounts) {
  return async (req, res, uid, action) => {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) {
      send(res, 400, errorPage({ error: 'invalid_request', error_description: 'interaction mismatch' }));
      return;
    }
    const { prompt, params, session } = details;
    if (prompt.name === 'consent') {
      // First party: grant what is asked, without a page.
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      const missing = prompt.details;
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    if (req.method === 'GET' && action === undefined) {
      send(res, 200, loginPage({ uid, clientId: params.client_id }));
      return;
    }
    if (req.method !== 'POST' || action !== 'login') {
      send(res, 405, errorPage({ error: 'invalid_request', error_description: 'unexpected method or path' }));
      return;
    }
    const form = await readForm(req);
    const login = form.get('login') ?? '';
    if (!passwordMatches(accounts.get(login), form.get('password') ?? '')) {
      log(`login refused for "${login}" (unknown login or wrong password)`);
      send(res, 200, loginPage({ uid, clientId: params.client_id, login, error: 'Wrong login or password.' }));
      return;
    }
    log(`login of "${login}" accepted`);
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  };
}

function configuration(settings, accounts) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  const claimNames = new Set(['sub']);
  for (const account of accounts.values()) {
    Object.keys(account.claims).forEach((name) => claimNames.add(name));
  }
  return {
    clients: [{
      client_id: settings.clientId,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: settings.redirectUris,
      post_logout_redirect_uris: settings.postLogoutRedirectUris,
    }],
    pkce: { required: () => true },
    responseTypes: ['code'],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // Every claim an account has, for the `openid` scope alone, and in the ID token.
    claims: {
      openid: [...claimNames],
      profile: ['name', 'preferred_username', 'given_name', 'family_name'],
      email: ['email', 'email_verified'],
    },
    conformIdTokenClaims: false,
    findAccount: (ctx, id) => {
      const account = accounts.get(id);
      return account && { accountId: id, claims: async () => ({ ...account.claims, sub: id }) };
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => { ctx.type = 'html'; ctx.body = logoutPage(form); },
        postLogoutSuccessSource: async (ctx) => { ctx.type = 'html'; ctx.body = signedOutPage(); },
      },
    },
    renderError: async (ctx, out) => { ctx.type = 'html'; ctx.body = errorPage(out); },
    ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
  };
}

function logEvents(provider) {
  const describe = (err) => `${err.error ?? err.name}${err.error_description ? `: ${err.error_description}` : ''}`;
  for (const event of ['authorization.error', 'grant.error', 'end_session.error', 'discovery.error', 'jwks.error']) {
    provider.on(event, (ctx, err) => log(`${event}: ${describe(err)}`));
  }
  provider.on('server_error', (ctx, err) => log(`server error: ${err.message}`));
  provider.on('grant.success', (ctx) => log(`code exchanged by client ${ctx.oidc.client?.clientId}`));
  provider.on('end_session.success', () => log('signed out'));
}

async function main() {
  const settings = readSettings();
  const accounts = indexAccounts(settings.accounts);
  if (settings.redirectUris.length === 0) {
    fail('give at least one --redirect-uri for the client');
  }
  const Provider = await loadProvider();
  let provider;
  let callback;
  let interact;
  const server = http.createServer((req, res) => {
    const match = /^\/interaction\/([^/?]+)(?:\/([a-z]+))?(?:\?|$)/.exec(req.url ?? '');
    if (!match) {
      callback(req, res);
      return;
    }
    interact(req, res, match[1], match[2]).catch((err) => {
      log(`interaction failed: ${err.name}: ${err.error_description ?? err.message}`);
      if (!res.headersSent) send(res, 400, errorPage({ error: 'invalid_request', error_description: 'the sign-in expired or was already used; start again from the portal' }));
    });
  });
  server.on('error', (err) => fail(`cannot listen on ${settings.host}:${settings.port}: ${err.message}`));
  server.listen(settings.port, settings.host, () => {
    const { port } = server.address();
    const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
    const issuer = settings.issuer ?? `http://${host}:${port}`;
    provider = new Provider(issuer, configuration(settings, accounts));
    logEvents(provider);
    callback = provider.callback();
    interact = interactions(provider, accounts);
    log(`client ${settings.clientId}, ${accounts.size} account(s), redirect URIs ${settings.redirectUris.join(' ')}`);
    process.stdout.write(`issuer ${issuer}\n`);
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => process.exit(0));
  }
}

await main();
