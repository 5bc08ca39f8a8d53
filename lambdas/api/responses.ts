/**
 * The response bodies of the API, each defined once as a zod/mini schema: the handlers build their answers typed by
 * these (route.ts), the unit tests check every body a handler returns against them, and docs/openapi*.json describe
 * them from the same schemas (openapi.ts, which also adds the descriptions).
 * Nothing parses a response at runtime, and the Lambda code imports only types from here (contract.ts says why), so
 * no bundle carries these schemas.
 */
import * as z from 'zod/mini';
import { CANCEL_REASONS } from '../core/events';
import { ORDER_LIMITS } from '../core/order';
import { ERROR_CODES, ORDER_STATUSES, PERSONAL_DATA_STATES, SUCCESS_STATUS, VISIBLE_SERVICES, type Operation } from './contract';

export const FieldErrorSchema = z.strictObject({ path: z.string(), message: z.string() });

/** Every answer of the API's own that is not a success (API Gateway's own answers are `{message}`: openapi.ts). */
export const ErrorBody = z.strictObject({
  error: z.strictObject({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    requestId: z.string(),
    details: z.optional(z.array(FieldErrorSchema)),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** 202 of POST /orders. */
export const OrderAccepted = z.strictObject({
  orderId: z.guid(),
  status: z.literal('ACCEPTED'),
  statusUrl: z.url(),
});
export type OrderAccepted = z.infer<typeof OrderAccepted>;

export const ServiceStatus = z.strictObject({ status: z.string(), updatedAt: z.nullable(z.iso.datetime()) });
export type ServiceStatus = z.infer<typeof ServiceStatus>;

const masked = z.strictObject({ country: z.string(), postalCode: z.string() });
const money = z.strictObject({ amountCents: z.int().check(z.minimum(0)), currency: z.string() });

/** 200 of GET /orders/{orderId}: the order as a client may see it (personal data masked). */
export const OrderView = z.strictObject({
  orderId: z.guid(),
  status: z.enum(ORDER_STATUSES),
  reason: z.optional(z.enum(CANCEL_REASONS)),
  customerId: z.string(),
  email: z.nullable(z.string()),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/)),
  items: z.array(z.strictObject({ sku: z.string(), quantity: z.int().check(z.minimum(ORDER_LIMITS.minQuantity)) })),
  total: z.nullable(money),
  shippingAddress: z.nullable(masked),
  personalData: z.enum(PERSONAL_DATA_STATES),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  // Every visible service, always (PENDING until it reports): the object's keys come from the registry.
  services: z.strictObject(Object.fromEntries(VISIBLE_SERVICES.map((name) => [name, ServiceStatus])) as Record<string, typeof ServiceStatus>),
});
export type OrderView = z.infer<typeof OrderView>;

/** 200 of DELETE /orders/{orderId}/personal-data. */
export const ErasureResult = z.strictObject({
  orderId: z.guid(),
  personalData: z.literal('ERASED'),
  erasedAt: z.iso.datetime(),
});
export type ErasureResult = z.infer<typeof ErasureResult>;

/** Each operation's success body. Every other answer of the API is an ErrorBody. */
export const SUCCESS = { placeOrder: OrderAccepted, getOrder: OrderView, erasePersonalData: ErasureResult } as const;
export type SuccessBody<O extends Operation> = z.infer<(typeof SUCCESS)[O]>;

/** The schema a body with this status must satisfy, for this operation (tests and docs). */
export const responseSchema = (operation: Operation, status: number) => (status === SUCCESS_STATUS[operation] ? SUCCESS[operation] : ErrorBody);
