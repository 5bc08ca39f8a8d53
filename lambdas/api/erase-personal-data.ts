/**
 * DELETE /orders/{orderId}/personal-data: the owner erases the order's e-mail and shipping address. The PII item
 * becomes a tombstone (lambdas/adapters/order-store.ts); the order, its status and its totals stay. Nothing else in
 * the project stores them (SECURITY.md, "Personal data"): events and logs never carry them, the notification
 * record keeps only a masked address. An e-mail not yet sent for the order is then skipped (NO_ADDRESS).
 * Idempotent: erasing twice answers 200 twice. Another caller's order is the 404 of an unknown id.
 */
import { logger } from '../adapters/logger';
import { erasePersonalData, readOrderItem } from '../adapters/order-store';
import { positiveIntegerEnv } from '../adapters/env';
import { authenticate, refusal } from './auth';
import { notFound } from './get-order';
import { correlationIdOf, json, PATTERNS, type HttpEvent, type HttpResult } from './http';
import { ENV } from '../contract';

export interface ErasureResult {
  orderId: string;
  personalData: 'ERASED';
  erasedAt: string;
}

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const requestId = event.requestContext.requestId;
  const correlationId = correlationIdOf(event);
  const orderId = event.pathParameters?.orderId ?? '';
  const wellFormed = PATTERNS.orderId.test(orderId);
  try {
    const auth = await authenticate(event);
    if (auth.kind === 'refused') return refusal(auth, 'erasure refused', requestId, correlationId);
    const order = wellFormed ? await readOrderItem(orderId) : undefined;
    const notOwner = order !== undefined && auth.kind === 'caller' && order.customerId !== auth.sub;
    if (!order || notOwner) return notFound(requestId, correlationId, wellFormed, notOwner, auth);
    const erasedAt = new Date();
    await erasePersonalData(orderId, erasedAt, positiveIntegerEnv(ENV.personalDataTtlSeconds));
    // An audit line: who erased which order's data, and when (no data, nothing to erase from logs).
    logger.info('personal data erased', { correlationId, orderId, ...(auth.kind === 'caller' ? { caller: auth.sub } : {}) });
    const result: ErasureResult = { orderId, personalData: 'ERASED', erasedAt: erasedAt.toISOString() };
    return json(200, result);
  } catch (err) {
    logger.error('erasure failed', {
      correlationId,
      orderId: wellFormed ? orderId : undefined,
      errorName: (err as Error)?.name,
      error: (err as Error)?.message,
    });
    return json(500, { error: { code: 'INTERNAL', message: 'internal error', requestId } });
  }
};
