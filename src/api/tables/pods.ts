/**
 * The pods printer: `kubectl get pods`. The Status cell is the one users read
 * most and it is derived, not stored: it walks init containers, then app
 * containers, then deletion state, exactly in the order Kubernetes 1.32 does,
 * so the same pod reads the same here as on a real cluster.
 */
import type { Container, ContainerStatus, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { ageColumn, column, nameColumn, wide } from './columns.ts';
import { age, humanDuration, timestampMs } from './time.ts';
import type { Printer } from './types.ts';

/** Set by the node lifecycle controller on pods of an unreachable node. */
const nodeUnreachableReason = 'NodeLost';

function isRestartableInit(c: Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function conditionTrue(conditions: PodCondition[] | undefined, type: string): boolean {
  return (conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** Like conditionTrue, but only the first condition of the type counts. */
function firstConditionTrue(conditions: PodCondition[] | undefined, type: string): boolean {
  return (conditions ?? []).find((c) => c.type === type)?.status === 'True';
}

/** Tracks the restart count and the latest restart time across containers. */
class Restarts {
  count = 0;
  last: number | undefined;

  add(cs: ContainerStatus): void {
    this.count += cs.restartCount ?? 0;
    const finished = timestampMs(cs.lastState?.terminated?.finishedAt);
    if (finished !== undefined && (this.last === undefined || finished > this.last)) this.last = finished;
  }
}

interface PodSummary {
  ready: number;
  total: number;
  reason: string;
  restarts: Restarts;
}

/** Ready, Status and Restarts: the derived part of a pod row. */
export function summarizePod(pod: Pod): PodSummary {
  const spec = pod.spec;
  const status = pod.status ?? {};
  const phase = status.phase || 'Pending';
  let reason: string = status.reason || phase;
  if ((status.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }

  const initSpecs = new Map<string, Container>();
  for (const c of spec?.initContainers ?? []) initSpecs.set(c.name, c);
  const initCount = spec?.initContainers?.length ?? 0;
  let total = spec?.containers?.length ?? 0;
  for (const c of initSpecs.values()) if (isRestartableInit(c)) total++;

  let ready = 0;
  let restarts = new Restarts();
  const sidecarRestarts = new Restarts();

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    const restartable = isRestartableInit(initSpecs.get(cs.name));
    restarts.add(cs);
    if (restartable) sidecarRestarts.add(cs);

    const terminated = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready) ready++;
      continue;
    }
    if (terminated) {
      if (!terminated.reason) {
        reason = terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode ?? 0}`;
      } else {
        reason = `Init:${terminated.reason}`;
      }
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initCount}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || firstConditionTrue(status.conditions, 'Initialized')) {
    // Once initialised, only sidecar restarts still count from init containers.
    restarts = sidecarRestarts;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    // Walk backwards so the first container with a problem sets the reason.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts.add(cs);
      const waiting = cs.state?.waiting;
      const terminated = cs.state?.terminated;
      if (waiting?.reason) {
        reason = waiting.reason;
      } else if (terminated?.reason) {
        reason = terminated.reason;
      } else if (terminated) {
        reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
      } else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    // A completed container next to a running one: the pod as a whole still runs.
    if (reason === 'Completed' && hasRunning) {
      reason = conditionTrue(status.conditions, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata?.deletionTimestamp) {
    if (status.reason === nodeUnreachableReason) reason = 'Unknown';
    else if (phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  }

  return { ready, total, reason, restarts };
}

function restartsCell(r: Restarts, now: number): string {
  if (r.count !== 0 && r.last !== undefined) {
    return `${r.count} (${humanDuration(now - r.last)} ago)`;
  }
  return String(r.count);
}

function readinessGatesCell(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conditions = pod.status?.conditions ?? [];
  let trueCount = 0;
  for (const gate of gates) {
    if (conditions.find((c) => c.type === gate.conditionType)?.status === 'True') trueCount++;
  }
  return `${trueCount}/${gates.length}`;
}

function podIP(pod: Pod): string {
  // v1 podIP wins over podIPs[0] when both are set (it is what conversion keeps).
  return pod.status?.podIP || pod.status?.podIPs?.[0]?.ip || '<none>';
}

/** core/v1 pods. */
export const podPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'Ready containers out of all containers (app containers plus sidecars).'),
    column('Status', 'string', 'The pod state summarised from its phase, containers and conditions.'),
    column('Restarts', 'string', 'Container restarts, and how long ago the last one ended.'),
    ageColumn(),
    wide('IP', 'string', 'The primary pod IP.'),
    wide('Node', 'string', 'The node the pod is bound to (spec.nodeName).'),
    wide('Nominated Node', 'string', 'The node the scheduler nominated after preemption.'),
    wide('Readiness Gates', 'string', 'Readiness gates whose condition is True, out of all gates.'),
  ],
  cells(obj, now) {
    const pod = obj as Pod;
    const s = summarizePod(pod);
    return [
      pod.metadata?.name ?? '',
      `${s.ready}/${s.total}`,
      s.reason,
      restartsCell(s.restarts, now),
      age(obj, now),
      podIP(pod),
      pod.spec?.nodeName || '<none>',
      pod.status?.nominatedNodeName || '<none>',
      readinessGatesCell(pod),
    ];
  },
};
