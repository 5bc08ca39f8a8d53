/** The reconciliation check (scripts/reconcile.ts) against the deployed test stack. */
import { expect } from 'vitest';
import { formatReport, reconcile, tablesFromOutputs, type ReconcileReport } from '../../../scripts/reconcile';
import { lifecycleKey } from '../../../lambdas/adapters/keys';
import { getItem, ordersTable, type Item } from './api-extra';
import { ddb, outputs, pollUntil } from './stack';

export const reconcileNow = (orderIds?: readonly string[], graceSeconds = 0): Promise<ReconcileReport> =>
  reconcile(ddb, tablesFromOutputs(outputs), { orderIds, graceSeconds });

/**
 * The lifecycle invariant for these orders: each decided once; CONFIRMED has one charge, one reservation, one
 * shipment, one e-mail; CANCELLED has net charge 0, nothing reserved, no shipment. Compensation (a refund, a
 * release) comes after the decision, so this polls until clean or the deadline passes, then shows every violation.
 */
export async function expectReconciled(orderIds: readonly string[], timeoutMs = 30_000): Promise<ReconcileReport> {
  let last: ReconcileReport | undefined;
  try {
    last = await pollUntil(() => reconcileNow(orderIds), (r) => r.violations.length === 0, { timeoutMs, intervalMs: 500, what: 'a clean reconciliation' });
  } catch {
    last = await reconcileNow(orderIds);
  }
  expect(last.violations, formatReport(last)).toEqual([]);
  return last;
}

/** The orders' LIFECYCLE items (status, outcomes, the stored decision). */
export const lifecycles = (orderIds: readonly string[]) => Promise.all(orderIds.map((id) => getItem(ordersTable(), lifecycleKey(id))));

/** Polls until every order has a decision; returns their LIFECYCLE items. */
export const untilAllDecided = (orderIds: readonly string[], timeoutMs: number): Promise<(Item | undefined)[]> =>
  pollUntil(
    () => lifecycles(orderIds),
    (items) => items.every((i) => typeof i?.decision === 'string'),
    { timeoutMs, intervalMs: 500, what: `${orderIds.length} orders to be decided` },
  );
