/** Which emulator answers on the endpoint: the workaround canaries are specific to MiniStack. */
export interface EmulatorIdentity {
  product: 'ministack' | 'other';
  version?: string;
}

/** MiniStack answers `/_ministack/health` with its version; LocalStack and others do not. */
export async function identifyEmulator(endpoint: string): Promise<EmulatorIdentity> {
  try {
    const res = await fetch(`${endpoint.replace(/\/$/, '')}/_ministack/health`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return { product: 'other' };
    const body = (await res.json()) as { version?: string; services?: unknown };
    return body.services && body.version ? { product: 'ministack', version: body.version } : { product: 'other' };
  } catch {
    return { product: 'other' };
  }
}
