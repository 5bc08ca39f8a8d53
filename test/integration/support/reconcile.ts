/** The reconciliation check (scripts/reconcile.ts) against the deployed test stack. */
import { expect } from 'vitest';
import { formatReport, reconcile, tablesFromOutputs, type ReconcileReport } from '../../../scripts/reconcile';
import { batchGetAll } from '../../../lambdas/adapters/batch-get';
import { lifecycleKey } from '../../../lambdas/adapters/keys';
import { ordersTable, type Item } from './api-extra';
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
    last = await pollUntil(
      () => reconcileNow(orderIds),
      (r) => r.violations.length === 0,
      { timeoutMs, intervalMs: 2000, what: 'a clean reconciliation' },
    );
  } catch {
    last = await reconcileNow(orderIds);
  }
  expect(last.violations, formatReport(last)).toEqual([]);
  return last;
}

/**
 * The orders' LIFECYCLE items (status, outcomes, the stored decision), in the order of `orderIds`: BatchGetItem,
 * 100 keys a call, strongly consistent, unprocessed keys asked again. One call per 100 orders instead of one each:
 * a test that polls hundreds of orders must not become the emulator's main load (its one process serves every
 * function of the stack too).
 */
export async function lifecycles(orderIds: readonly string[]): Promise<(Item | undefined)[]> {
  const table = ordersTable();
  const byPk = new Map<string, Item>();
  const unique = [...new Set(orderIds)];
  for (const item of await batchGetAll(ddb, table, unique.map(lifecycleKey), { consistentRead: true, rounds: 10 })) byPk.set(String(item.pk), item);
  return orderIds.map((id) => byPk.get(lifecycleKey(id).pk));
}

/**
 * Polls until every order has a decision; returns their LIFECYCLE items. A decision is final, so each round asks
 * only for the orders still undecided.
 */
export async function untilAllDecided(orderIds: readonly string[], timeoutMs: number): Promise<(Item | undefined)[]> {
  const decided = new Map<string, Item>();
  const pending = () => orderIds.filter((id) => !decided.has(id));
  await pollUntil(
    async () => {
      const ids = pending();
      (await lifecycles(ids)).forEach((item, i) => {
        if (typeof item?.decision === 'string') decided.set(ids[i]!, item);
      });
      return pending();
    },
    (left) => left.length === 0,
    { timeoutMs, intervalMs: 1000, what: `${orderIds.length} orders to be decided` },
  );
  return orderIds.map((id) => decided.get(id));
}
