/**
 * DELETE /orders/{orderId}/personal-data: the owner erases the order's e-mail and shipping address. The PII item
 * becomes a tombstone (lambdas/adapters/order-store.ts); the order, its status and its totals stay. Nothing else in
 * the project stores them (SECURITY.md, "Personal data"): events and logs never carry them, the notification
 * record keeps only a masked address. An e-mail not yet sent for the order is then skipped (NO_ADDRESS).
 * Idempotent: erasing twice answers 200 twice. Another caller's order is the 404 of an unknown id.
 */
import { logger } from '../adapters/logger';
import { erasePersonalData, readOrderItem } from '../adapters/order-store';
import { answer, apiConfig, apiRoute, ownedOrder, type ApiConfig } from './route';

export const createHandler = (config: ApiConfig | Error) =>
  apiRoute({ refused: 'erasure refused', failed: 'erasure failed' }, config, async (request) => {
    const { ordersTable, personalDataTtlSeconds } = request.config;
    const { orderId } = await ownedOrder(
      request,
      (id) => readOrderItem(id, ordersTable),
      (order) => order.customerId,
    );
    const erasedAt = new Date();
    await erasePersonalData(orderId, erasedAt, personalDataTtlSeconds, ordersTable);
    // An audit line: who erased which order's data, and when (no data, nothing to erase from logs). Without
    // authentication there is no caller, and the JSON line leaves an undefined key out.
    logger.info('personal data erased', { correlationId: request.correlationId, orderId, caller: request.caller });
    return answer('erasePersonalData', { orderId, personalData: 'ERASED', erasedAt: erasedAt.toISOString() });
  });

export const handler = createHandler(apiConfig());
