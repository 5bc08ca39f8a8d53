/** `notification` -> `Notification`: construct ids and output keys per service (docs/contract.md). */
export const pascal = (name: string): string => name.replace(/(^|[-_])([a-z])/g, (_m, _sep, c: string) => c.toUpperCase());
