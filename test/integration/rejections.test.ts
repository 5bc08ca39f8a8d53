/**
 * Requests POST /orders refuses, against the deployed stack: each answer is a JSON error naming the problem, and
 * nothing is stored for the customer. Nothing stored means nothing published: the API never publishes itself, the
 * only path to the topic is an OUTBOX item in the orders table (its stream feeds the relay), so "no OUTBOX item"
 * is "no event".
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { orderBody, postOrder, type HttpResult } from './support/api';
import { customerItems } from './support/api-extra';
import { uniqueCustomer } from './support/stack';

/** The refusal is a JSON error with this code (and a request id), and the customer has no item at all. */
async function expectRefusedAndNothingStored(res: HttpResult, status: number, code: string, customer: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/json');
  expect(res.body.error).toMatchObject({ code, message: expect.any(String), requestId: expect.any(String) });
  expect(res.body.error.message.length).toBeGreaterThan(0);
  const stored = await customerItems(customer);
  // No ORDER, no OUTBOX (so nothing can ever be published for it), no IDEMPOTENCY record.
  expect(stored.all, `items stored for refused customer ${customer}`).toEqual([]);
}

describe('POST /orders refusals store nothing', () => {
  it('control: an accepted order IS found by the same per-customer lookup (so "nothing stored" below means something)', async () => {
    const customer = uniqueCustomer('rej');
    const key = `rej-${randomUUID()}`;
    // `application/json; charset=utf-8` is JSON too and is accepted.
    const res = await postOrder(orderBody(customer), { 'content-type': 'application/json; charset=utf-8', 'idempotency-key': key });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const stored = await customerItems(customer);
    expect(stored.orders.map((i) => i.orderId)).toEqual([res.body.orderId]);
    expect(stored.outbox).toHaveLength(1);
    expect(stored.idempotency).toHaveLength(1);
  });

  it('malformed JSON: 400 MALFORMED_JSON', async () => {
    const customer = uniqueCustomer('rej');
    const res = await postOrder(`{"customerId":"${customer}","email":"ada@example.com","currency":"USD","items":[{"sku":"SKU-1","quantity":1}`);
    await expectRefusedAndNothingStored(res, 400, 'MALFORMED_JSON', customer);
    expect(res.body.error.message).toMatch(/JSON/);
  });

  it('schema errors: 400 VALIDATION_FAILED listing every offending field path', async () => {
    const customer = uniqueCustomer('rej');
    const res = await postOrder({
      customerId: customer,
      email: 'not-an-email',
      currency: 'usd',
      items: [
        { sku: '', quantity: 0 },
        { sku: 'SKU-1', quantity: 1.5 },
      ],
      shippingAddress: { line1: 'x', city: 'y', postalCode: '1', country: 'Germany' },
      coupon: 'FREE',
    });
    await expectRefusedAndNothingStored(res, 400, 'VALIDATION_FAILED', customer);
    const paths = (res.body.error.details as { path: string; message: string }[]).map((d) => d.path).sort();
    expect(paths).toEqual(['coupon', 'currency', 'email', 'items[0].quantity', 'items[0].sku', 'items[1].quantity', 'shippingAddress.country'].sort());
    for (const d of res.body.error.details) expect(d.message, d.path).toEqual(expect.any(String));
    // Values are never quoted back (they may be personal data).
    expect(JSON.stringify(res.body)).not.toContain('not-an-email');
  });

  it('duplicate SKUs: 400 naming the second line', async () => {
    const customer = uniqueCustomer('rej');
    const res = await postOrder(
      orderBody(customer, {
        items: [
          { sku: 'SKU-1', quantity: 1 },
          { sku: 'SKU-2', quantity: 1 },
          { sku: 'SKU-1', quantity: 2 },
        ],
      }),
    );
    await expectRefusedAndNothingStored(res, 400, 'VALIDATION_FAILED', customer);
    expect(res.body.error.details).toEqual([{ path: 'items[2].sku', message: expect.stringMatching(/duplicate SKU \(first at items\[0\]\)/) }]);
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['application/json; charset=latin1']])(
    'content type %s: 415 UNSUPPORTED_MEDIA_TYPE',
    async (contentType) => {
      const customer = uniqueCustomer('rej');
      const res = await postOrder(orderBody(customer), { 'content-type': contentType });
      await expectRefusedAndNothingStored(res, 415, 'UNSUPPORTED_MEDIA_TYPE', customer);
      expect(res.body.error.message).toContain('application/json');
    },
  );

  it('body over 32 KiB: 413 PAYLOAD_TOO_LARGE', async () => {
    const customer = uniqueCustomer('rej');
    const body = JSON.stringify(orderBody(customer, { shippingAddress: { line1: 'x'.repeat(33 * 1024), city: 'Berlin', postalCode: '10115', country: 'DE' } }));
    expect(Buffer.byteLength(body)).toBeGreaterThan(32 * 1024);
    const res = await postOrder(body, { 'idempotency-key': `rej-${randomUUID()}` });
    await expectRefusedAndNothingStored(res, 413, 'PAYLOAD_TOO_LARGE', customer);
    expect(res.body.error.message).toContain(String(32 * 1024));
  });

  it.each([['has space'], ['k'.repeat(65)], ['semi;colon'], ['ünïcode']])('bad Idempotency-Key %j: 400 INVALID_IDEMPOTENCY_KEY', async (key) => {
    const customer = uniqueCustomer('rej');
    // fetch only sends ByteString headers: a non-Latin-1 value is sent as its UTF-8 bytes.
    const value = Buffer.from(key, 'utf8').toString('latin1');
    const res = await postOrder(orderBody(customer), { 'idempotency-key': value });
    await expectRefusedAndNothingStored(res, 400, 'INVALID_IDEMPOTENCY_KEY', customer);
    expect(res.body.error.details).toEqual([{ path: 'Idempotency-Key', message: expect.any(String) }]);
  });
});
