import { createHash, randomUUID } from 'node:crypto';

/**
 * Outcome event ids are a pure function of (order, service, outcome): a worker that re-emits after a crash
 * produces the same id, so consumers drop the copy. Formatted as a UUID (name-based, SHA-256 truncated).
 */
export function deterministicEventId(orderId: string, service: string, outcome: string): string {
  const h = createHash('sha256').update(`${orderId}\u0000${service}\u0000${outcome}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Stable hash of a JSON value (keys sorted), used to tell a true replay from a reused key. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex');
}

export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    // An object's keys are distinct, so two never compare equal: no 0 branch (it could not be reached).
    // Stryker disable next-line EqualityOperator: equivalent, `a <= b` differs from `a < b` only for equal keys
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

export const newOrderId = (): string => randomUUID();
