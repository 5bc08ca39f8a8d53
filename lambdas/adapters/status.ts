import type { TransactItem } from './inbox';
import { statusKey } from './keys';

/**
 * A service's progress as a client sees it: one small item per service under its own key prefix
 * (`STATUS#<service>#<orderId>`), so IAM lets each service write its own status only; GET reads the order and every
 * status with one BatchGetItem, and no service rewrites the order item.
 */
export function statusWrite(ordersTable: string, orderId: string, service: string, status: string, detail?: Record<string, unknown>): TransactItem {
  return {
    Put: {
      TableName: ordersTable,
      Item: { ...statusKey(orderId, service), service, status, updatedAt: new Date().toISOString(), ...(detail ? { detail } : {}) },
    },
  };
}
