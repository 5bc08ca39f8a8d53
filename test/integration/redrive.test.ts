/**
 * `npm run redrive` against the deployed stack: a valid OrderConfirmed sits in the shipping DLQ (as a dead-lettered
 * message does: the envelope as body, the `eventType`/`orderId` attributes of raw delivery), and one in the shipping
 * subscription DLQ. A dry run moves nothing; the real run moves both back (by receive -> send -> delete: MiniStack
 * has no move-task API) and shipping processes them: the shipments exist, and the DLQs no longer hold them.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { outcomeEvent } from '../../lambdas/core/events';
import { shipmentKey } from '../../lambdas/services/shipping/shipping';
import { serviceOutputs } from '../../lib/outputs';
import { main } from '../../scripts/redrive';
import { OUTPUTS_FILE } from '../../scripts/local/paths';
import { peekMarked, sendEnvelope } from './support/queues';
import { ddb, dlqUrl, endpoint, output, pollUntil, serviceTable } from './support/stack';

const confirmed = (orderId: string) =>
  outcomeEvent('OrderConfirmed', { orderId, correlationId: `redrive-${orderId}` }, 'orders', {
    amountCents: 500,
    currency: 'USD',
    confirmedAt: new Date().toISOString(),
  });

const shipment = async (orderId: string) =>
  (await ddb.send(new GetCommand({ TableName: serviceTable('shipping'), Key: shipmentKey(orderId), ConsistentRead: true }))).Item;

async function redrive(...args: string[]) {
  const lines: string[] = [];
  const code = await main([...args, '--stage', 'local', '--endpoint', endpoint, '--outputs', OUTPUTS_FILE], (l) => lines.push(l));
  return { code, out: lines.join('\n') };
}

describe('npm run redrive', () => {
  it('moves dead letters back to their queue, where they are processed; a dry run moves nothing', async () => {
    const fromDlq = `rd-${randomUUID()}`;
    const fromSubscriptionDlq = `rd-${randomUUID()}`;
    const subscriptionDlq = output(serviceOutputs('shipping').subscriptionDlqUrl);
    await sendEnvelope(dlqUrl('shipping'), confirmed(fromDlq));
    await sendEnvelope(subscriptionDlq, confirmed(fromSubscriptionDlq));

    const dry = await redrive('--service', 'shipping', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/shipping DLQ -> shipping queue: [1-9]\d* waiting/);
    expect(await peekMarked(dlqUrl('shipping'), fromDlq)).toHaveLength(1);
    expect(await shipment(fromDlq)).toBeUndefined();

    const run = await redrive('--service', 'shipping');
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/shipping DLQ +receive-send-delete +moved [1-9]/);
    expect(run.out).toMatch(/shipping subscription DLQ +receive-send-delete +moved [1-9]/);

    for (const orderId of [fromDlq, fromSubscriptionDlq]) {
      const item = await pollUntil(
        () => shipment(orderId),
        (s) => s !== undefined,
        { timeoutMs: 30_000, what: `the shipment of ${orderId}` },
      );
      expect(item).toMatchObject({ orderId, state: 'REQUESTED', sourceEventId: confirmed(orderId).eventId });
    }
    expect(await peekMarked(dlqUrl('shipping'), fromDlq)).toEqual([]);
    expect(await peekMarked(subscriptionDlq, fromSubscriptionDlq)).toEqual([]);

    // Nothing left to do: a second run is a no-op.
    const again = await redrive('--service', 'shipping');
    expect(again.code).toBe(0);
    expect(again.out).not.toMatch(/moved [1-9]/);
  });

  it('--outbox with an empty on-failure queue reports it and changes nothing', async () => {
    const { code, out } = await redrive('--outbox', '--dry-run');
    expect(code).toBe(0);
    expect(out).toMatch(/outbox on-failure queue: \d+ record\(s\) waiting/);
    expect(output('OutboxDlqUrl')).toBeTruthy();
  });
});
