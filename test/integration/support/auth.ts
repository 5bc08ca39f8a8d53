/**
 * A JWT issuer that the test owns: an RSA key pair made with jose and its JWKS served over HTTP on 127.0.0.1 (a free
 * port), so tokens can be valid, wrongly signed, expired or for another audience at will. Used by the handler unit
 * tests (test/lambdas/api/auth.test.ts) and the auth-on integration test (test/integration/auth.test.ts).
 * Nothing here touches the network beyond the loopback interface.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export interface TokenOptions {
  sub?: string;
  audience?: string | string[];
  issuer?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  /** Sign with a key the JWKS does not publish (same kid): a bad signature. */
  foreignKey?: boolean;
  /** Extra claims (e.g. client_id). */
  claims?: Record<string, unknown>;
  omitExp?: boolean;
  /** Leave out the `scope` claim (default: TEST_SCOPE). */
  omitScope?: boolean;
  alg?: 'RS256';
}

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export const TEST_AUDIENCE = 'orders-api-test';
/** The scope the test issuer's tokens carry unless told otherwise, and that its handler environment requires. */
export const TEST_SCOPE = 'orders/api';

export class TestIssuer {
  private constructor(
    private readonly local: LocalServer,
    readonly issuer: string,
    readonly jwksUrl: string,
    private readonly privateKey: PrivateKey,
    private readonly foreignKey: PrivateKey,
    readonly kid: string,
    /** How many times the JWKS was fetched. */
    readonly stats: { fetches: number },
  ) {}

  static async start(audience = TEST_AUDIENCE): Promise<TestIssuer & { audience: string }> {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const { privateKey: foreignKey } = await generateKeyPair('RS256');
    const kid = `test-${Math.random().toString(36).slice(2, 10)}`;
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    const stats = { fetches: 0 };
    const local = await serveLocally((req, res) => {
      if (req.url === '/jwks.json') {
        stats.fetches++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      } else res.writeHead(404).end();
    });
    return Object.assign(new TestIssuer(local, local.base, `${local.base}/jwks.json`, privateKey, foreignKey, kid, stats), { audience });
  }

  /** A signed token; by default valid for 5 minutes for `sub` and the test audience. */
  async token(o: TokenOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    let jwt = new SignJWT({ ...(o.omitScope ? {} : { scope: TEST_SCOPE }), ...(o.claims ?? {}) })
      .setProtectedHeader({ alg: o.alg ?? 'RS256', kid: this.kid, typ: 'JWT' })
      .setIssuer(o.issuer ?? this.issuer)
      .setSubject(o.sub ?? 'customer-a')
      .setIssuedAt(now - 10);
    if (o.audience !== undefined || !o.claims?.client_id) jwt = jwt.setAudience(o.audience ?? TEST_AUDIENCE);
    if (!o.omitExp) jwt = jwt.setExpirationTime(now + (o.expiresIn ?? 300));
    return jwt.sign(o.foreignKey ? this.foreignKey : this.privateKey);
  }

  /** The handler environment that trusts this issuer. */
  env(audience = TEST_AUDIENCE): Record<string, string> {
    return { AUTH_MODE: 'jwt', JWT_ISSUER: this.issuer, JWT_AUDIENCE: audience, JWKS_URL: this.jwksUrl, JWT_SCOPE: TEST_SCOPE };
  }

  stop(): Promise<void> {
    return this.local.stop();
  }
}

export interface LocalServer {
  readonly base: string;
  stop(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 at a free port (a JWKS the handlers fetch); `stop` drops open connections too. */
export async function serveLocally(handle: RequestListener): Promise<LocalServer> {
  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { base: `http://127.0.0.1:${port}`, stop };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
