/** Polling helpers shared by tests and benches. */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `f` every `everyMs` until it returns a value (errors count as not yet), or throws after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, f: () => Promise<T | undefined>, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Waits until `check` holds, polling every 20 ms; throws after `ms`. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  await until(what, ms, async () => ((await check()) ? true : undefined), 20);
}
