/**
 * The e-mail boundary. A sender receives an idempotency key (`${orderId}:${kind}`); one that dedupes on it makes
 * the e-mail exactly once. The simulated sender does (a conditional put per key), as SES with a message-dedup
 * store or a provider with idempotency keys would.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../../adapters/aws';
import { maskEmail } from '../../core/masking';

export type EmailKind = 'confirmed' | 'cancelled';

export interface EmailMessage {
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly kind: EmailKind;
  /** Personal data: hand it to the sender, never to a log line. */
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface SendResult {
  /** False when the sender had already sent a message with this key (nothing was sent now). */
  readonly sent: boolean;
}

export interface Sender {
  send(message: EmailMessage): Promise<SendResult>;
}

export const emailKey = (orderId: string, kind: EmailKind) => ({ pk: `EMAIL#${orderId}#${kind}`, sk: 'EMAIL' });

/** "Sends" by recording the message in the notification table; the record's key is the dedupe. */
export class SimulatedSender implements Sender {
  constructor(private readonly table: string) {}

  async send(message: EmailMessage): Promise<SendResult> {
    try {
      await ddb.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...emailKey(message.orderId, message.kind),
            idempotencyKey: message.idempotencyKey,
            orderId: message.orderId,
            kind: message.kind,
            to: maskEmail(message.to),
            subject: message.subject,
            sentAt: new Date().toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { sent: true };
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return { sent: false };
      throw err;
    }
  }
}
