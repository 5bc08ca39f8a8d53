/**
 * Notification: one e-mail per order and kind (confirmed | cancelled). The address is read from the order's PII item
 * (events carry no personal data) and goes to the sender only. Once the retention period has passed or the owner
 * erased it, there is no address and nothing is sent (status SKIPPED, NO_ADDRESS).
 *
 * Exactly once is not possible with a sender that cannot dedupe: the send and our record of it cannot commit
 * together. We choose send-then-record (at-least-once): the inbox record commits after the sender accepted the
 * message, so a crash (or timeout, or failed commit) in between makes the retry send again. The window is from the
 * sender's acceptance to the inbox transaction's commit: normally milliseconds, at worst until the Lambda timeout.
 * Marking first would turn that window into a lost e-mail instead. The sender receives `${orderId}:${kind}` as its
 * idempotency key: with a deduplicating sender (the simulated one dedupes on it) the retry sends nothing and the
 * e-mail is exactly once. See docs/notification-window.md.
 */
import type { AlsoRead } from '../../adapters/inbox';
import { epochSeconds, personalDataKey } from '../../adapters/keys';
import { statusWrite } from '../../adapters/status';
import type { ServiceHandler, WorkerConfig } from '../../adapters/worker';
import type { Envelope, EventType } from '../../core/events';
import { SimulatedSender, type EmailKind, type EmailMessage, type Sender } from './sender';
import { TTL_ATTRIBUTE } from '../../contract';

/** The events that send an e-mail, and its kind. */
const KIND_OF = { OrderConfirmed: 'confirmed', OrderCancelled: 'cancelled' } as const satisfies Partial<Record<EventType, EmailKind>>;

function composeEmail(event: Envelope<keyof typeof KIND_OF>, to: string): EmailMessage {
  const { orderId } = event;
  const kind = KIND_OF[event.eventType];
  const subject = event.eventType === 'OrderConfirmed' ? `Your order ${orderId} is confirmed` : `Your order ${orderId} was cancelled`;
  const text =
    event.eventType === 'OrderConfirmed'
      ? `Thank you. We have received your payment and reserved your items for order ${orderId}.`
      : `We could not complete order ${orderId} (${event.payload.reason}). Any charge will be refunded.`;
  return { idempotencyKey: `${orderId}:${kind}`, orderId, kind, to, subject, text };
}

let simulated: Sender | undefined;
const defaultSender = (config: WorkerConfig): Sender => (simulated ??= new SimulatedSender(config.serviceTable));

export function makeNotification(sender: (config: WorkerConfig) => Sender = defaultSender): ServiceHandler {
  return async (event, { inbox, service, config }) => {
    if (event.eventType !== 'OrderConfirmed' && event.eventType !== 'OrderCancelled') return { outcome: 'IGNORED' };
    const kind = KIND_OF[event.eventType];
    let outcome = 'SENT';
    // The address is read with the inbox record (one BatchGetItem): a first delivery, the usual one, needs both.
    const { emits, duplicate } = await inbox.once(
      event,
      async (personalData) => {
        const to = emailAddressOf(personalData);
        if (!to) {
          outcome = 'NO_ADDRESS';
          return { emits: [], writes: [statusWrite(config.ordersTable, event.orderId, service, 'SKIPPED', { kind, reason: 'NO_ADDRESS' })] };
        }
        // Send first, record second (at-least-once): see the comment at the top.
        const { sent } = await sender(config).send(composeEmail(event, to));
        if (!sent) outcome = 'ALREADY_SENT';
        return { emits: [], writes: [statusWrite(config.ordersTable, event.orderId, service, 'SENT', { kind })] };
      },
      { alsoRead: personalDataRead(config.ordersTable, event.orderId) },
    );
    return { emits, duplicate, outcome: duplicate ? 'SENT' : outcome };
  };
}

export const notification = makeNotification();

/** The order's PII item: only its address and expiry. */
const personalDataRead = (ordersTable: string, orderId: string): AlsoRead => ({
  table: ordersTable,
  key: personalDataKey(orderId),
  projection: 'email, #ttl',
  names: { '#ttl': TTL_ATTRIBUTE },
});

function emailAddressOf(Item: Record<string, unknown> | undefined): string | undefined {
  // No item: the retention period passed (TTL deleted it). Past its expiry counts as gone (TTL deletes late).
  if (typeof Item?.[TTL_ATTRIBUTE] === 'number' && Item[TTL_ATTRIBUTE] < epochSeconds()) return undefined;
  // An erased item is a tombstone without an e-mail. An empty one is no address either: the caller's `!to`.
  return typeof Item?.email === 'string' ? Item.email : undefined;
}
