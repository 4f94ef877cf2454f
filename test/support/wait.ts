/**
 * Polls `check` until it gives a truthy value, and returns that value. The timeout only bounds a hung test;
 * it is never what a test measures (machines here are noisy).
 */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 60_000, intervalMs = 50): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
