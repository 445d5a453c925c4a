// A real OpenID provider for extauthz's end-to-end tests: the npm package oauth2-mock-server
// (pinned in ../package.json), driven through its programmatic API so that it listens on
// 127.0.0.1 and names itself http://127.0.0.1:PORT (its command line would say "localhost").
//
// Usage: node idp.mjs [--port N] [--alg RS256]
// Prints one line "idp ready port=N issuer=URL kid=KID" on stdout once it accepts connections.
//
// The package serves discovery (/.well-known/openid-configuration), the JWKS (/jwks) and
// /token. This program adds test-only endpoints under /test/:
//   POST /test/token   body {"claims": {...}, "ttl": seconds, "kid": "K"}: a token signed by the
//                      active key (or kid K); a claim set to null is removed from the token.
//   POST /test/rotate  body {"alg": "ES256"}: a new key becomes the signing key; old keys stay
//                      published, as a provider's would during a rotation.
//   GET  /test/stats   {"jwks": n, "discovery": n}: requests served, to count fetches.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    alg: { type: 'string', default: 'RS256' },
  },
});

const issuer = new OAuth2Issuer();
const service = new OAuth2Service(issuer);
const stats = { jwks: 0, discovery: 0 };

// The package signs round-robin over every key it holds; a provider signs with its newest
// key, so tokens here always name the active kid.
let activeKid = (await issuer.keys.generate(args.alg)).kid;

function readJSON(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 1 << 16) reject(new Error('request body too large'));
    });
    req.on('end', () => {
      try {
        resolve(body === '' ? {} : JSON.parse(body));
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

function reply(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value));
}

async function mint(spec) {
  const kid = spec.kid ?? activeKid;
  const token = await issuer.buildToken({
    kid,
    expiresIn: spec.ttl ?? 300,
    scopesOrTransform: (header, payload) => {
      for (const [name, value] of Object.entries(spec.claims ?? {})) {
        if (value === null) delete payload[name];
        else payload[name] = value;
      }
    },
  });
  return { token, kid };
}

async function testEndpoint(req, res, path) {
  if (req.method === 'POST' && path === '/test/token') {
    return reply(res, 200, await mint(await readJSON(req)));
  }
  if (req.method === 'POST' && path === '/test/rotate') {
    const spec = await readJSON(req);
    activeKid = (await issuer.keys.generate(spec.alg ?? args.alg)).kid;
    return reply(res, 200, { kid: activeKid });
  }
  if (req.method === 'GET' && path === '/test/stats') {
    return reply(res, 200, stats);
  }
  return reply(res, 404, { error: 'no such test endpoint' });
}

const serve = service.requestHandler;
const server = http.createServer((req, res) => {
  const path = new URL(req.url, 'http://unused').pathname;
  if (path.startsWith('/test/')) {
    testEndpoint(req, res, path).catch((err) => reply(res, 400, { error: String(err) }));
    return;
  }
  if (path === '/jwks') stats.jwks++;
  if (path === '/.well-known/openid-configuration') stats.discovery++;
  serve(req, res);
});

server.listen(Number(args.port), '127.0.0.1', () => {
  const { port } = server.address();
  // Discovery and the iss claim must both name the address the service will fetch from.
  issuer.url = `http://127.0.0.1:${port}`;
  console.log(`idp ready port=${port} issuer=${issuer.url} kid=${activeKid}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
