/**
 * The outbox's retry path, end to end: with `x-fault-inject: publish-fail-once` (local stage only) the relay fails
 * the first publish of the order's OrderPlaced event (and leaves a `FAULT#<eventId>` marker saying so), reports the
 * record as a batch item failure, and the stream is expected to hand it to the relay again, which then publishes.
 * The order must still settle CONFIRMED with every effect applied exactly once.
 *
 * SKU-7 is used by this file only: its stock must go down by exactly the ordered quantity.
 */
import { describe, expect, it } from 'vitest';
import { faultKey } from '../../lambdas/adapters/keys';
import { orderBody, postOrder } from './support/api';
import { customerItems, getItem, itemsWithPkPrefix, ordersTable, serviceStatuses, stockOf, untilOrderState } from './support/api-extra';
import { emulator, pollUntil, serviceTable, uniqueCustomer } from './support/stack';

const OWN_SKU = 'SKU-7';
const FAULT = { 'x-fault-inject': 'publish-fail-once' };

/** Posts a faulted order; returns its id and the OrderPlaced event id its OUTBOX item carries. */
async function postFaulted(customer: string, quantity: number) {
  const res = await postOrder(orderBody(customer, { items: [{ sku: OWN_SKU, quantity }] }), FAULT);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const orderId = res.body.orderId as string;
  const { outbox } = await customerItems(customer);
  expect(outbox).toHaveLength(1);
  expect(outbox[0]).toMatchObject({ orderId, eventType: 'OrderPlaced', faults: ['publish-fail-once'] });
  return { orderId, eventId: outbox[0]!.eventId as string };
}

const untilFaultFired = (eventId: string) =>
  pollUntil(() => getItem(ordersTable(), faultKey(eventId)), (item) => item !== undefined, { timeoutMs: 30_000, what: `fault marker FAULT#${eventId}` });

describe('a publish that fails once', () => {
  it('the header is honoured: the relay fails the first publish and leaves the FAULT# marker', async () => {
    const { eventId } = await postFaulted(uniqueCustomer('pubfail'), 1);
    const marker = await untilFaultFired(eventId);
    expect(marker).toMatchObject({ fault: 'publish-fail-once', firedAt: expect.any(String), expiresAt: expect.any(Number) });
  });

  // MiniStack (1.5.33) does not retry a DynamoDB-stream record that the function reports in `batchItemFailures`:
  // its stream poller (ministack/services/lambda_svc.py, _poll_dynamodb_streams) only treats a function ERROR as a
  // failed batch; a successful invocation advances the shard position past the whole batch whatever the response
  // says (ReportBatchItemFailures is honoured for SQS sources only, in _poll_sqs). The relay reports the failed
  // record (processPartialResponse, throwOnFullBatchFailure: false), so on MiniStack the event is never published
  // and the order stays ACCEPTED. Seen here: the relay logs "injected fault", MiniStack logs "processed 1 DynamoDB
  // stream records", the mapping's LastProcessingResult is "OK - 1 records", and after 60 s the order is still ACCEPTED
  // with every service PENDING. MaximumRetryAttempts and BisectBatchOnFunctionError are stored on the mapping but
  // never read by that poller either. On AWS (and any emulator that honours partial batch responses) this must pass.
  it.skipIf(emulator === 'ministack')('the stream retries the record and the order settles CONFIRMED, every effect exactly once', async () => {
    const stockBefore = await stockOf(OWN_SKU);
    const { orderId, eventId } = await postFaulted(uniqueCustomer('pubfail'), 2);
    await untilFaultFired(eventId);

    const order = await untilOrderState(orderId, 'CONFIRMED', { payment: 'CHARGED', inventory: 'RESERVED', shipping: 'REQUESTED', notification: 'SENT', analytics: 'RECORDED' }, 60_000);
    expect(serviceStatuses(order)).toEqual({ payment: 'CHARGED', inventory: 'RESERVED', shipping: 'REQUESTED', notification: 'SENT', analytics: 'RECORDED' });
    expect(order.total).toEqual({ amountCents: 2 * 7 * 250, currency: 'USD' });

    // Exactly once: one charge, one reservation, stock down by the ordered quantity once, one shipment, one e-mail.
    expect(await itemsWithPkPrefix(serviceTable('payment'), `CHARGE#${orderId}`)).toEqual([expect.objectContaining({ status: 'CHARGED', amountCents: 2 * 7 * 250 })]);
    expect(await itemsWithPkPrefix(serviceTable('inventory'), `RESERVATION#${orderId}`)).toHaveLength(1);
    expect(await stockOf(OWN_SKU)).toBe(stockBefore - 2);
    expect(await itemsWithPkPrefix(serviceTable('shipping'), `SHIPMENT#${orderId}`)).toHaveLength(1);
    expect(await itemsWithPkPrefix(serviceTable('notification'), `EMAIL#${orderId}#`)).toHaveLength(1);
  });
});
