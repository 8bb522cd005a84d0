/**
 * The result of running a plugin at an extension point, as upstream's
 * framework.Status: a code plus human-readable reasons. Expected outcomes
 * (a node does not fit, a plugin has nothing to do) are Status values;
 * only faults are thrown or carried as `Error` statuses.
 */

/**
 * - `Success`: the plugin ran and the pod may proceed.
 * - `Error`: an internal fault; the cycle fails and the pod is retried with backoff.
 * - `Unschedulable`: the node does not fit now; preemption or a cluster change may help.
 * - `UnschedulableAndUnresolvable`: the node does not fit and preemption cannot help.
 * - `Skip`: from PreFilter/PreScore, the plugin's Filter/Score need not run for this pod;
 *   from Bind, the plugin leaves binding to the next binder.
 */
export type StatusCode = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Skip';

export interface Status {
  readonly code: StatusCode;
  readonly reasons: readonly string[];
  /** The plugin that produced it, set by the framework on failures. */
  readonly plugin?: string;
  readonly error?: unknown;
}

/** The shared success value (upstream's nil status). */
export const ok: Status = Object.freeze({ code: 'Success', reasons: Object.freeze([]) as readonly string[] });
/** The shared skip value. */
export const skip: Status = Object.freeze({ code: 'Skip', reasons: Object.freeze([]) as readonly string[] });

export function unschedulable(...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons };
}

export function unresolvable(...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}

export function errorStatus(err: unknown): Status {
  return { code: 'Error', reasons: [err instanceof Error ? err.message : String(err)], error: err };
}

export function isSuccess(s: Status): boolean {
  return s.code === 'Success';
}

/** Unschedulable or UnschedulableAndUnresolvable: the node (or pod) was rejected, not a fault. */
export function isRejected(s: Status): boolean {
  return s.code === 'Unschedulable' || s.code === 'UnschedulableAndUnresolvable';
}

/** Upstream's Status.Message(): the reasons joined by ", ". */
export function message(s: Status): string {
  return s.reasons.join(', ');
}

export function withPlugin(s: Status, plugin: string): Status {
  return s.plugin === plugin ? s : { ...s, plugin };
}

const shared = new Map<string, Status>();

/**
 * A frozen rejection shared by every node that fails the same way, so a
 * Filter that rejects thousands of nodes per cycle allocates nothing.
 * Carries the plugin name already (withPlugin then returns it as is).
 */
export function sharedRejection(code: 'Unschedulable' | 'UnschedulableAndUnresolvable', plugin: string, reasons: readonly string[]): Status {
  const key = `${code}|${plugin}|${reasons.join('\n')}`;
  let s = shared.get(key);
  if (!s) {
    if (shared.size > 10_000) shared.clear();
    s = Object.freeze({ code, reasons: Object.freeze([...reasons]), plugin });
    shared.set(key, s);
  }
  return s;
}
