/**
 * The payment provider boundary. Real providers (Stripe, Adyen, ...) deduplicate on an idempotency key that the
 * caller passes: a retried charge with the same key returns the first answer instead of charging again. That is
 * what makes the charge exactly once although it happens outside our DynamoDB transaction.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../../adapters/aws';
import { contentHash } from '../../core/ids';
import { CRASH_IN_PROVIDER } from '../../core/faults';
import { fireOnce } from '../../adapters/faults';

export interface ChargeRequest {
  /** `${orderId}:charge`: the provider returns the recorded result for a key it has seen. */
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly amountCents: number;
  readonly currency: string;
  /** Secret: never log it, never store it, never hash it. */
  readonly token?: string;
}

export type ChargeResult = { readonly status: 'CHARGED'; readonly chargeId: string } | { readonly status: 'DECLINED'; readonly reason: string };

export interface RefundRequest {
  /** `${orderId}:refund` */
  readonly idempotencyKey: string;
  readonly orderId: string;
  readonly chargeId: string;
  readonly amountCents: number;
  readonly currency: string;
}

export interface RefundResult {
  readonly status: 'REFUNDED';
  readonly refundId: string;
}

export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<ChargeResult>;
  refund(request: RefundRequest): Promise<RefundResult>;
  /**
   * The charge made under this idempotency key, if one was made (real providers look a request up by its key).
   * Lets a cancellation learn whether an attempt that never recorded its result took the money.
   */
  find(request: { readonly idempotencyKey: string; readonly orderId: string }): Promise<{ readonly chargeId: string } | undefined>;
}

/** The same idempotency key was used with other parameters: a bug on our side; real providers reject it too. */
export class IdempotencyKeyReuseError extends Error {
  constructor(readonly idempotencyKey: string) {
    super(`idempotency key ${idempotencyKey} was used with different parameters`);
    this.name = 'IdempotencyKeyReuseError';
  }
}

export const DECLINED_TOKEN = 'tok_declined';
export const chargeRecordKey = (orderId: string) => ({ pk: `CHARGE#${orderId}`, sk: 'CHARGE' });
export const refundRecordKey = (orderId: string) => ({ pk: `REFUND#${orderId}`, sk: 'REFUND' });

/**
 * A provider simulated in the payment service's own table. It behaves like a real one where it matters here: it
 * dedupes on the idempotency key (conditional put; an existing record's answer is returned, declines included).
 * It needs no credentials (a real provider would read its API secret itself: SECURITY.md, "Secrets").
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  constructor(
    private readonly table: string,
    /** Local stage only: the order's fault hooks (`crash-in-provider`), e.g. `orderFaults` of adapters/faults.ts. */
    private readonly faultsOf?: (orderId: string) => Promise<readonly string[]>,
  ) {}

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const result: ChargeResult =
      request.token === DECLINED_TOKEN
        ? { status: 'DECLINED', reason: 'card_declined' }
        : { status: 'CHARGED', chargeId: `ch_${contentHash(request.idempotencyKey).slice(0, 24)}` };
    // The token is not part of the request fingerprint: it must not be stored, even hashed.
    const fingerprint = contentHash({ amountCents: request.amountCents, currency: request.currency });
    const answer = await this.recordOnce<ChargeResult>(
      chargeRecordKey(request.orderId),
      request.idempotencyKey,
      fingerprint,
      { ...result, amountCents: request.amountCents, currency: request.currency },
      (item) => (item.status === 'CHARGED' ? { status: 'CHARGED', chargeId: String(item.chargeId) } : { status: 'DECLINED', reason: String(item.reason) }),
    );
    // The charge is taken and the caller never hears of it (the worker dies inside the call), once per order.
    if ((await this.faultsOf?.(request.orderId))?.includes(CRASH_IN_PROVIDER))
      await fireOnce(this.table, CRASH_IN_PROVIDER, `${request.orderId}#${CRASH_IN_PROVIDER}`);
    return answer;
  }

  async find(request: { idempotencyKey: string; orderId: string }): Promise<{ chargeId: string } | undefined> {
    const { Item } = await ddb.send(new GetCommand({ TableName: this.table, Key: chargeRecordKey(request.orderId), ConsistentRead: true }));
    if (!Item || Item.idempotencyKey !== request.idempotencyKey || Item.status !== 'CHARGED') return undefined;
    return { chargeId: String(Item.chargeId) };
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const result: RefundResult = { status: 'REFUNDED', refundId: `re_${contentHash(request.idempotencyKey).slice(0, 24)}` };
    const fingerprint = contentHash({ chargeId: request.chargeId, amountCents: request.amountCents, currency: request.currency });
    return this.recordOnce(
      refundRecordKey(request.orderId),
      request.idempotencyKey,
      fingerprint,
      { ...result, chargeId: request.chargeId, amountCents: request.amountCents, currency: request.currency },
      (item) => ({
        status: 'REFUNDED',
        refundId: String(item.refundId),
      }),
    );
  }

  /** Puts the record unless the key was seen; for a seen key returns the recorded answer (if the parameters match). */
  private async recordOnce<R>(
    key: { pk: string; sk: string },
    idempotencyKey: string,
    fingerprint: string,
    record: Record<string, unknown>,
    fromItem: (item: Record<string, unknown>) => R,
  ): Promise<R> {
    try {
      await this.ddbPut({ ...key, idempotencyKey, fingerprint, ...record, recordedAt: new Date().toISOString() });
      return fromItem(record);
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      const { Item } = await ddb.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
      if (!Item) throw err;
      if (Item.idempotencyKey !== idempotencyKey || Item.fingerprint !== fingerprint) throw new IdempotencyKeyReuseError(idempotencyKey);
      return fromItem(Item);
    }
  }

  private async ddbPut(item: Record<string, unknown>): Promise<void> {
    await ddb.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  }
}
