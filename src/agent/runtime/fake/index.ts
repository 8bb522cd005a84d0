/**
 * The fake runtime as an agent host uses it: one in-memory runtime per
 * node, restored from the node's pod statuses after a restart, and no pod
 * network to wait for before the node is Ready.
 */
import type { Clock } from '../../../client/clock.ts';
import type { NodeRuntime } from '../../host.ts';
import { FakeRuntime } from './fake-runtime.ts';
import { restoreFromPods } from './restore.ts';

export { FakeRuntime } from './fake-runtime.ts';
export { exitCodeAnnotation, runSecondsAnnotation } from './behaviour.ts';

export function fakeNodeRuntime(opts: { clock?: Clock; version: string; startDelayMs?: number }): NodeRuntime {
  const runtime = new FakeRuntime(opts);
  return { runtime, adopt: (pods) => restoreFromPods(runtime, pods), readyNeedsNetwork: false };
}
