/**
 * The order request: its schema (the single source for validation and for docs/openapi.json), its limits, the
 * request hash that tells an idempotent replay from a reused key, and the masking of personal data for responses.
 * Pure: no AWS types.
 */
// zod/mini with the English locale: the same checks, issues and messages as the full `zod` (which loads `en` by
// default), tree-shakable, so the API bundles carry what they use (~25 KB) instead of all of zod (~445 KB).
// `config` is global: it also gives the workers' envelope errors (core/events.ts) English messages where both load.
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { type Envelope, outcomeEvent } from './events';
import { contentHash } from './ids';

export const ORDER_LIMITS = {
  customerIdMaxLength: 128,
  emailMaxLength: 254,
  minItems: 1,
  maxItems: 50,
  skuMaxLength: 64,
  minQuantity: 1,
  maxQuantity: 1000,
  paymentTokenMaxLength: 128,
  addressLineMaxLength: 128,
  cityMaxLength: 128,
  postalCodeMaxLength: 16,
} as const;

const L = ORDER_LIMITS;

z.config(en());

/**
 * What no text field of an order may hold: C0 and C1 control characters and DEL; bidirectional formatting (the
 * Arabic letter mark, LRM/RLM, line/paragraph separators, embeddings and overrides U+202A-U+202E, isolates
 * U+2066-U+2069), which can make a stored value read differently from what it is; unpaired UTF-16 surrogates, which
 * are not Unicode text (DynamoDB refuses them: that was a 500); and U+FFFD, the replacement character a decoder
 * leaves where bytes were not UTF-8. With the `u` flag a surrogate *pair* is one code point, so only an unpaired one
 * matches. docs/openapi*.json state it without the surrogate range (lambdas/api/openapi.ts says why).
 */
export const SAFE_TEXT = /^[^\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028-\u202E\u2066-\u2069\uD800-\uDFFF\uFFFD]*$/u;
export const UNSAFE_TEXT_MESSAGE = 'must not contain control characters, bidirectional formatting characters, unpaired surrogates or U+FFFD';

/**
 * A text field: NFC-normalised first (so a composed and a decomposed spelling are one value, and one request hash),
 * then its limits, counted in code points as JSON Schema counts them (an emoji is one character, not two).
 */
function text(min: number, max: number) {
  return z.string().check(
    z.normalize('NFC'),
    z.minLength(min),
    z.refine((s: string) => [...s].length <= max, { message: `must be at most ${max} characters`, abort: false }),
    z.regex(SAFE_TEXT, UNSAFE_TEXT_MESSAGE),
    z.meta({ maxLength: max }),
  );
}

const orderLineSchema = z.strictObject({
  sku: text(1, L.skuMaxLength),
  quantity: z.int().check(z.minimum(L.minQuantity), z.maximum(L.maxQuantity)),
});

export const shippingAddressSchema = z.strictObject({
  line1: text(1, L.addressLineMaxLength),
  line2: z.optional(text(0, L.addressLineMaxLength)),
  city: text(1, L.cityMaxLength),
  postalCode: text(1, L.postalCodeMaxLength),
  country: z.string().check(z.regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 country code (2 uppercase letters)')),
});

/**
 * Each SKU at most once: a duplicate would be priced and reserved twice, or not, depending on the reader.
 * `when` runs it even when some lines failed, so one 400 lists every offending field; the lines it sees may
 * therefore be malformed (the list itself is an array: `when` checks that).
 */
const uniqueSkus = z.superRefine<unknown[]>(
  (items, ctx) => {
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      const sku = (item as { sku?: unknown } | null)?.sku;
      if (typeof sku !== 'string') return;
      const at = first.get(sku);
      if (at === undefined) first.set(sku, i);
      else ctx.addIssue({ code: 'custom', path: [i, 'sku'], message: `duplicate SKU (first at items[${at}]): list each SKU once with its total quantity` });
    });
  },
  { when: (payload) => Array.isArray(payload.value) },
);

export const orderRequestSchema = z.strictObject({
  customerId: text(1, L.customerIdMaxLength),
  email: z.email().check(z.maxLength(L.emailMaxLength)),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code (3 uppercase letters)')),
  items: z.array(orderLineSchema).check(z.minLength(L.minItems), z.maxLength(L.maxItems), uniqueSkus, z.describe('Each SKU at most once.')),
  paymentToken: z.optional(text(1, L.paymentTokenMaxLength)),
  shippingAddress: z.optional(shippingAddressSchema),
});

export type OrderRequest = z.infer<typeof orderRequestSchema>;
export type ShippingAddress = z.infer<typeof shippingAddressSchema>;

export interface FieldError {
  /** `items[1].sku`; a top-level unknown key is its own name; `(body)` for the body itself. */
  readonly path: string;
  readonly message: string;
}

/** The message of a field the schema does not know; its path is the client's key name, so logs leave it out. */
export const UNKNOWN_FIELD = 'unknown field';

export type Validation = { ok: true; order: OrderRequest } | { ok: false; errors: FieldError[] };

/** Validates a parsed JSON body; on failure lists every offending field (never quoting a value). */
export function validateOrder(body: unknown): Validation {
  const result = orderRequestSchema.safeParse(body);
  if (result.success) return { ok: true, order: result.data };
  return { ok: false, errors: result.error.issues.flatMap(fieldErrors) };
}

function fieldErrors(issue: z.core.$ZodIssue): FieldError[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: UNKNOWN_FIELD }));
  }
  return [{ path: formatPath(issue.path), message: issue.message }];
}

export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(body)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/**
 * Hash of the validated body (keys sorted): the same body again is a replay, another body under the key is a 422.
 * The payment token is left out: no stored hash may cover it (SECURITY.md). So a retry that differs only in its
 * token is a replay of the first order, which is charged with the first token.
 */
export const requestHash = ({ paymentToken: _secret, ...order }: OrderRequest): string => contentHash(order);

/**
 * The order's OrderPlaced event; its id is a pure function of the order, so a rebuilt copy has the same id.
 * It never carries the payment token (that has its own item, which only payment reads).
 */
export function orderPlaced(orderId: string, order: OrderRequest, correlationId: string, occurredAt: string): Envelope<'OrderPlaced'> {
  const items = order.items.map(({ sku, quantity }) => ({ sku, quantity }));
  return outcomeEvent('OrderPlaced', { orderId, correlationId }, 'orders', { customerId: order.customerId, currency: order.currency, items }, occurredAt);
}
