/**
 * Authentication on, end to end over HTTP, against an issuer the test owns: an RSA key pair made here and its JWKS
 * served by this process on 127.0.0.1 (support/auth.ts).
 *
 * How auth gets turned on: for this file's duration the deployed local stack's two API functions get
 * AUTH_MODE=jwt, JWT_ISSUER, JWT_AUDIENCE and JWKS_URL (UpdateFunctionConfiguration), and their previous
 * environment back afterwards. Why not a second stack deployed with `-c auth=jwt`: that costs a full deploy (nine
 * functions bundled, ~80 resources, 20-40 s on two shared cores) to test the same handler code, and it would also
 * attach the gateway's JWT authorizer, whose behaviour on MiniStack (it answers 401 itself without a token, and needs
 * to fetch keys from the issuer for a valid one) is the emulator's, not ours. The gateway authorizer is covered by
 * the template tests (every route, issuer, audience); this file covers the handlers' checks, which are the only
 * checks on the emulator and the defence in depth on AWS. It is an emulator-only trick: it changes a deployed
 * stack in place, so it holds the deploy lock while the environment is changed (no other run deploys or starts its
 * tests on a stack in this state), restores in afterAll, and runs only on MiniStack that this checkout manages.
 */
import { GetFunctionConfigurationCommand, LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../scripts/local/aws-env';
import { withDeployLock } from '../../scripts/local/lease';
import { STACK_NAME } from '../../scripts/local/paths';
import { findFunction } from '../../scripts/local/functions';
import { type HttpResult, orderBody } from './support/api';
import { bearer, TestIssuer } from './support/auth';
import { apiUrl, emulator, endpoint, pollUntil, uniqueCustomer } from './support/stack';

const lambda = new LambdaClient(clientConfig(endpoint));
const onMiniStack = emulator === 'ministack';

async function call(method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}, body?: unknown): Promise<HttpResult> {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep the text */
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** The API functions' names and their environment before the test, to put back. */
type Saved = { name: string; variables: Record<string, string> }[];

async function setEnvironment(name: string, variables: Record<string, string>): Promise<void> {
  await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Environment: { Variables: variables } }));
}

describe.skipIf(!onMiniStack)('authentication on (AUTH_MODE=jwt on the deployed API functions)', () => {
  let issuer: Awaited<ReturnType<typeof TestIssuer.start>>;
  let saved: Saved = [];
  let releaseLock: (() => void) | undefined;
  const probeId = randomUUID();

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    // Hold the deploy lock until afterAll: a deploy now would reset the environment under us.
    let locked!: () => void;
    const held = new Promise<void>((resolve) => (releaseLock = resolve));
    await new Promise<void>((resolve, reject) => {
      locked = resolve;
      withDeployLock(async () => {
        locked();
        await held;
      }).catch(reject);
    });

    for (const part of ['ApiPostOrder', 'ApiGetOrder']) {
      const fn = await findFunction(lambda, `${STACK_NAME}-${part}`);
      if (!fn?.FunctionName) throw new Error(`no function ${STACK_NAME}-${part}* on ${endpoint}`);
      const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn.FunctionName }));
      const variables = config.Environment?.Variables ?? {};
      saved.push({ name: fn.FunctionName, variables });
      await setEnvironment(fn.FunctionName, { ...variables, ...issuer.env() });
    }
    // Until every warm worker runs with the new environment: no token is refused on both routes.
    await pollUntil(
      async () => [(await call('GET', `/orders/${probeId}`)).status, (await call('POST', '/orders', {}, orderBody('probe'))).status],
      (s) => s.every((x) => x === 401),
      { timeoutMs: 60_000, what: 'the API functions to require a token' },
    );
  });

  afterAll(async () => {
    try {
      for (const { name, variables } of saved) await setEnvironment(name, variables);
      if (saved.length) {
        await pollUntil(
          async () => (await call('GET', `/orders/${probeId}`)).status,
          (s) => s === 404,
          { timeoutMs: 60_000, what: 'the API to be open again' },
        );
      }
    } finally {
      saved = [];
      releaseLock?.();
      await issuer?.stop();
    }
  });

  it('no token: 401 UNAUTHORIZED with a Bearer challenge, on both routes', async () => {
    const post = await call('POST', '/orders', {}, orderBody(uniqueCustomer()));
    expect(post.status).toBe(401);
    expect(post.body.error.code).toBe('UNAUTHORIZED');
    expect(post.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await call('GET', `/orders/${probeId}`)).status).toBe(401);
  });

  it('a bad signature: 401', async () => {
    const res = await call('POST', '/orders', bearer(await issuer.token({ sub: uniqueCustomer(), foreignKey: true })), orderBody('x'));
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: 'the bearer token is not valid' });
  });

  it('an expired token: 401', async () => {
    const res = await call('POST', '/orders', bearer(await issuer.token({ sub: uniqueCustomer(), expiresIn: -120 })), orderBody('x'));
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: 'the bearer token has expired' });
  });

  it("own order: 202 then 200 (customerId from the token); another caller's: 404 like an unknown id", async () => {
    const owner = uniqueCustomer('owner');
    const { customerId: _omit, ...body } = orderBody('ignored');
    const placed = await call('POST', '/orders', bearer(await issuer.token({ sub: owner })), body);
    expect(placed.status).toBe(202);
    const { orderId } = placed.body as { orderId: string };

    const mine = await call('GET', `/orders/${orderId}`, bearer(await issuer.token({ sub: owner })));
    expect(mine.status).toBe(200);
    expect(mine.body.customerId).toBe(owner);

    const theirs = await call('GET', `/orders/${orderId}`, bearer(await issuer.token({ sub: uniqueCustomer('other') })));
    const unknown = await call('GET', `/orders/${randomUUID()}`, bearer(await issuer.token({ sub: uniqueCustomer('other') })));
    expect(theirs.status).toBe(404);
    expect(theirs.body).toEqual({ error: { ...unknown.body.error, requestId: theirs.body.error.requestId } });
  });

  it('a body customerId that is not the caller: 403 FORBIDDEN, nothing created', async () => {
    const caller = uniqueCustomer('caller');
    const key = `auth-${randomUUID().slice(0, 8)}`;
    const res = await call('POST', '/orders', { ...bearer(await issuer.token({ sub: caller })), 'idempotency-key': key }, orderBody(uniqueCustomer('victim')));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    // The key was not consumed: the same key with the caller's own order is a new order, not a replay.
    const ok = await call('POST', '/orders', { ...bearer(await issuer.token({ sub: caller })), 'idempotency-key': key }, orderBody(caller));
    expect(ok.status).toBe(202);
    expect(ok.headers.get('idempotent-replayed')).toBeNull();
  });
});
