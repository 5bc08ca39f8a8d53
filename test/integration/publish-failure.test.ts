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
import { GetFunctionConfigurationCommand, LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { RELAY_FAILURE_MODE_ENV } from '../../lambdas/outbox/failure-mode';
import { clientConfig } from '../../scripts/local/aws-env';
import { STACK_NAME } from '../../scripts/local/paths';
import { findFunction } from '../../scripts/local/functions';
import { getOrder, orderBody, postOrder } from './support/api';
import { customerItems, getItem, itemsWithPkPrefix, ordersTable, serviceStatuses, stockOf, untilOrderState } from './support/api-extra';
import { emulator, endpoint, pollUntil, serviceTable, uniqueCustomer } from './support/stack';

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
  pollUntil(
    () => getItem(ordersTable(), faultKey(eventId)),
    (item) => item !== undefined,
    { timeoutMs: 30_000, what: `fault marker FAULT#${eventId}` },
  );

describe('a publish that fails once', () => {
  it('the header is honoured: the relay fails the first publish and leaves the FAULT# marker', async () => {
    const { orderId, eventId } = await postFaulted(uniqueCustomer('pubfail'), 1);
    const marker = await untilFaultFired(eventId);
    expect(marker).toMatchObject({ fault: 'publish-fail-once', firedAt: expect.any(String), expiresAt: expect.any(Number) });
    // Let it finish, so the next test's stock baseline for SKU-7 is not moved by this order.
    await untilOrderState(orderId, 'CONFIRMED', {}, 60_000);
  });

  // On MiniStack the local deploy step sets RELAY_FAILURE_MODE=throw on the relay (scripts/local/workarounds.ts,
  // streamBatchItemFailures): its stream poller ignores `batchItemFailures`, so the relay fails the whole batch
  // instead, which it does retry. On AWS the reported record alone is retried. Either way this must pass.
  it('the stream retries the record and the order settles CONFIRMED, every effect exactly once', async () => {
    const stockBefore = await stockOf(OWN_SKU);
    const { orderId, eventId } = await postFaulted(uniqueCustomer('pubfail'), 2);
    await untilFaultFired(eventId);

    const order = await untilOrderState(
      orderId,
      'CONFIRMED',
      { payment: 'CHARGED', inventory: 'RESERVED', shipping: 'REQUESTED', notification: 'SENT', analytics: 'RECORDED' },
      60_000,
    );
    expect(serviceStatuses(order)).toEqual({ payment: 'CHARGED', inventory: 'RESERVED', shipping: 'REQUESTED', notification: 'SENT', analytics: 'RECORDED' });
    expect(order.total).toEqual({ amountCents: 2 * 7 * 250, currency: 'USD' });

    // Exactly once: one charge, one reservation, stock down by the ordered quantity once, one shipment, one e-mail.
    expect(await itemsWithPkPrefix(serviceTable('payment'), `CHARGE#${orderId}`)).toEqual([
      expect.objectContaining({ status: 'CHARGED', amountCents: 2 * 7 * 250 }),
    ]);
    expect(await itemsWithPkPrefix(serviceTable('inventory'), `RESERVATION#${orderId}`)).toHaveLength(1);
    expect(await stockOf(OWN_SKU)).toBe(stockBefore - 2);
    expect(await itemsWithPkPrefix(serviceTable('shipping'), `SHIPMENT#${orderId}`)).toHaveLength(1);
    expect(await itemsWithPkPrefix(serviceTable('notification'), `EMAIL#${orderId}#`)).toHaveLength(1);
  });

  // Canary for the streamBatchItemFailures workaround: with the relay back in `report` mode, MiniStack must still drop
  // the failed record. This test FAILS once MiniStack retries reported stream failures itself: then delete the
  // workaround (and lambdas/outbox/failure-mode.ts's `throw` mode) and this test.
  it.skipIf(emulator !== 'ministack')('canary: MiniStack still skips a stream record reported in batchItemFailures', async () => {
    const lambda = new LambdaClient(clientConfig(endpoint));
    const relay = (await findFunction(lambda, `${STACK_NAME}-OutboxFunction`))!;
    const variables = relay.Environment!.Variables!;
    const setMode = async (mode: string) => {
      await lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: relay.FunctionName,
          Environment: { Variables: { ...variables, [RELAY_FAILURE_MODE_ENV]: mode } },
        }),
      );
      await pollUntil(
        () => lambda.send(new GetFunctionConfigurationCommand({ FunctionName: relay.FunctionName })),
        (c) => c.Environment?.Variables?.[RELAY_FAILURE_MODE_ENV] === mode && c.LastUpdateStatus !== 'InProgress',
        { what: `relay in ${mode} mode` },
      );
    };
    await setMode('report');
    try {
      const { orderId, eventId } = await postFaulted(uniqueCustomer('canary'), 1);
      await untilFaultFired(eventId);
      // The stream is read in order: once a later order has settled, the relay has moved past the faulted record.
      const later = await postOrder(orderBody(uniqueCustomer('canary'), { items: [{ sku: 'SKU-1', quantity: 1 }] }));
      await untilOrderState(later.body.orderId, 'CONFIRMED', {}, 30_000);
      const faulted = await getOrder(orderId);
      expect(faulted.body.status, 'MiniStack now retries reported stream failures: delete the streamBatchItemFailures workaround').toBe('ACCEPTED');
    } finally {
      await setMode('throw');
    }
  });
});
