/** Reading the environment the constructs set (the variable names: ENV in lambdas/contract.ts). */
import { ENV } from '../contract';

export function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`missing environment variable ${name}`);
  return v;
}

export const faultsEnabled = (): boolean => process.env[ENV.faultsEnabled] === 'true';

/** A positive integer from the environment, or undefined when unset or not one. */
export function positiveIntegerEnv(name: string): number | undefined {
  const configured = Number(process.env[name]);
  return Number.isInteger(configured) && configured > 0 ? configured : undefined;
}
