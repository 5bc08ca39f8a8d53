/** Reading the environment the constructs set (the variable names: ENV in lambdas/contract.ts). */
import { ENV } from '../contract';

export function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`missing environment variable ${name}`);
  return v;
}

export const faultsEnabled = (): boolean => process.env[ENV.faultsEnabled] === 'true';
