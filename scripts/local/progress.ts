/** Prints one line per step with the time it took, so a newcomer sees where the minutes go. */
export async function step<T>(label: string, fn: () => Promise<T>, quiet = false): Promise<T> {
  const started = performance.now();
  if (!quiet) process.stdout.write(`… ${label}\n`);
  try {
    const result = await fn();
    if (!quiet) process.stdout.write(`✓ ${label} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    return result;
  } catch (err) {
    process.stdout.write(`✗ ${label} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    throw err;
  }
}
