/**
 * The API's contract as plain data: the error codes, the order view's states and services, and each operation's
 * success status. The handlers import values from here, never from responses.ts: that module builds zod schemas at
 * its top level, which esbuild cannot drop, and the handlers need the schemas' types only (the bundles stay as
 * small as before; the bundling test holds them to a budget).
 */
export const ERROR_CODES = [
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'MALFORMED_JSON',
  'VALIDATION_FAILED',
  'INVALID_IDEMPOTENCY_KEY',
  'INVALID_HEADER',
  'IDEMPOTENCY_KEY_REUSED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ORDER_STATUSES = ['ACCEPTED', 'CONFIRMED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** KEPT: e-mail and address are stored (masked in answers); ERASED: the owner erased them; EXPIRED: retention passed. */
export const PERSONAL_DATA_STATES = ['KEPT', 'ERASED', 'EXPIRED'] as const;

/** The services a client sees: the registry's list (one home), re-exported with the API's other names. */
export { VISIBLE_SERVICES } from '../services/registry';

/** Each operation (the document's operationId) and its success status; every other answer has the error body. */
export const SUCCESS_STATUS = { placeOrder: 202, getOrder: 200, erasePersonalData: 200 } as const;
export type Operation = keyof typeof SUCCESS_STATUS;
