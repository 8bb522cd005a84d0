/**
 * Adding and removing node taints (upstream's SwapNodeControllerTaint):
 * read the node, compute the new taint list, write it with the read
 * resourceVersion as a precondition, and retry on conflicts with a fresh
 * read, so an agent's concurrent writes are never lost.
 */
import { isApiError } from '../../api/errors.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { timeString } from './conditions.ts';
import { sameTaint, taintExists, taintsOf, type Taint } from './taints.ts';

const attempts = 5;

/**
 * Removes `remove`, then adds each of `add` the node lacks (stamped with
 * timeAdded = now; a taint already present keeps its original time).
 * `cached` (an informer's copy) saves the first read. Resolves true when the
 * node was written, false when nothing needed to change or the node is
 * gone. Throws after repeated conflicts or on other API errors.
 */
export async function swapNodeTaints(client: Client, nodeName: string, add: readonly Taint[], remove: readonly Taint[], nowMs: number, cached?: Obj): Promise<boolean> {
  let lastErr: unknown;
  for (let i = 0; i < attempts; i++) {
    let node: Obj;
    try {
      node = i === 0 && cached ? cached : await client.get(resources.nodes, '', nodeName);
    } catch (e) {
      if (isApiError(e, 'NotFound')) return false;
      throw e;
    }
    const current = taintsOf(node);
    const next = current.filter((t) => !remove.some((r) => sameTaint(r, t)));
    for (const a of add) if (!taintExists(next, a)) next.push({ ...a, timeAdded: timeString(nowMs) });
    if (next.length === current.length && next.every((t, j) => t === current[j])) return false;
    try {
      await client.patch(resources.nodes, '', nodeName, 'merge', {
        metadata: { resourceVersion: node['metadata'].resourceVersion },
        spec: { taints: next.length ? next : null },
      });
      return true;
    } catch (e) {
      if (isApiError(e, 'NotFound')) return false;
      if (!isApiError(e, 'Conflict')) throw e;
      lastErr = e;
    }
  }
  throw lastErr;
}
