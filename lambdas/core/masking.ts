/**
 * How personal data is shown where it must be shown at all: GET /orders/{id} (lambdas/api/get-order.ts) and the
 * simulated e-mail sender's record (lambdas/services/notification/sender.ts). A module of its own, so a worker's
 * bundle gets these few lines without the order request schema of core/order.ts.
 */

/** `jane@example.com` -> `j***@example.com`: enough for the owner to recognise, not enough to contact. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address[0]}***${address.slice(at)}`;
}

/** The postal code's first characters (at most a third of it, at most 2) and the country: no street, no city. */
export function maskAddress(address: { readonly country: string; readonly postalCode: string }): { country: string; postalCode: string } {
  const code = address.postalCode;
  const visible = Math.min(2, Math.floor(code.length / 3));
  return { country: address.country, postalCode: `${code.slice(0, visible)}***` };
}
