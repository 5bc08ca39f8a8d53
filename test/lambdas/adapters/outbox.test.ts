import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { ddbMock, envelope, TABLES } from '../services/helpers';
import { pendingEvents, publishable } from '../../../lambdas/adapters/outbox';

const PENDING_SINCE = Date.parse('2024-05-01T10:00:00.000Z');
/** A pending OUTBOX item (OUTBOX#<orderId> / OUTBOX#<eventId>) carrying `event`. */
const outboxItem = (event: Record<string, unknown>) => ({
  pk: `OUTBOX#${String(event.orderId)}`,
  sk: `OUTBOX#${String(event.eventId)}`,
  event,
  pendingShard: 'PENDING',
  pendingSince: PENDING_SINCE,
});
const placed = envelope('OrderPlaced', { customerId: 'c-1', currency: 'USD', items: [{ sku: 'SKU-1', quantity: 1 }] }, { orderId: 'o-1', eventId: 'evt-1' });
// A well-formed envelope, but of a type only a worker emits: the API never writes it to the outbox.
const charged = envelope('PaymentCharged', { amountCents: 500, currency: 'USD', chargeId: 'ch-1' }, { orderId: 'o-2', eventId: 'evt-2' });

beforeEach(() => ddbMock.reset());

describe('publishable', () => {
  it('is OrderPlaced only: what the API originates', () => {
    expect(publishable(placed)).toBe(true);
    expect(publishable(charged)).toBe(false);
  });
});

describe('pendingEvents', () => {
  it('hands back an OrderPlaced item as an event, and leaves an item of any other type as malformed, never to be published', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [outboxItem(placed), outboxItem(charged)] });
    const { events, malformed } = await pendingEvents(TABLES.orders, { olderThanMs: 60_000, limit: 25, now: PENDING_SINCE + 120_000 });
    expect(events).toEqual([{ key: { pk: 'OUTBOX#o-1', sk: 'OUTBOX#evt-1' }, event: placed, pendingSince: PENDING_SINCE }]);
    expect(malformed).toEqual([{ pk: 'OUTBOX#o-2', sk: 'OUTBOX#evt-2' }]);
  });
});
