/**
 * Shared by the printer tests: a fixed clock and a fluent pod builder, so
 * each table row in a test reads as the situation it covers.
 */
import type { ContainerState, ContainerStatus, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { Printer } from './types.ts';

/** The tests' "now". */
export const now = Date.parse('2026-11-22T03:10:00Z');

/** An RFC 3339 timestamp `seconds` before {@link now}. */
export function ago(seconds: number): string {
  return new Date(now - seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** Column names of a printer, in order. */
export function columnNames(p: Printer): string[] {
  return p.columns.map((c) => c.name);
}

/** Names of the wide-only columns. */
export function wideColumnNames(p: Printer): string[] {
  return p.columns.filter((c) => c.priority === 1).map((c) => c.name);
}

/** Cells keyed by column name, to assert a few cells without counting positions. */
export function cellMap(p: Printer, obj: object): Record<string, unknown> {
  const cells = p.cells(obj as Record<string, any>, now);
  return Object.fromEntries(p.columns.map((c, i) => [c.name, cells[i]]));
}

const running = (startedSecondsAgo = 600): ContainerState => ({ running: { startedAt: ago(startedSecondsAgo) } });

/** Fluent builder of realistic pods. */
export class PodBuilder {
  private pod: Pod;

  constructor(name: string) {
    this.pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', creationTimestamp: ago(600) },
      spec: { containers: [] },
      status: { phase: 'Pending', conditions: [] },
    };
  }

  container(name: string, image = `${name}:latest`): this {
    this.pod.spec!.containers.push({ name, image });
    return this;
  }

  initContainer(name: string, opts: { sidecar?: boolean } = {}): this {
    (this.pod.spec!.initContainers ??= []).push({
      name,
      image: `${name}:latest`,
      ...(opts.sidecar ? { restartPolicy: 'Always' } : {}),
    });
    return this;
  }

  phase(phase: string): this {
    this.pod.status!.phase = phase;
    return this;
  }

  reason(reason: string): this {
    this.pod.status!.reason = reason;
    return this;
  }

  condition(type: string, status: 'True' | 'False', reason?: string): this {
    const c: PodCondition = { type, status, ...(reason ? { reason } : {}) };
    this.pod.status!.conditions!.push(c);
    return this;
  }

  scheduledOn(node: string, ip?: string): this {
    this.pod.spec!.nodeName = node;
    if (ip) {
      this.pod.status!.podIP = ip;
      this.pod.status!.podIPs = [{ ip }];
    }
    return this;
  }

  nominated(node: string): this {
    this.pod.status!.nominatedNodeName = node;
    return this;
  }

  readinessGate(conditionType: string): this {
    (this.pod.spec!.readinessGates ??= []).push({ conditionType });
    return this;
  }

  deleting(): this {
    this.pod.metadata = { ...this.pod.metadata, deletionTimestamp: ago(5) };
    return this;
  }

  /** A container status; `state` defaults to running and ready. */
  status(name: string, s: Partial<ContainerStatus> = {}): this {
    (this.pod.status!.containerStatuses ??= []).push(containerStatus(name, s));
    return this;
  }

  initStatus(name: string, s: Partial<ContainerStatus> = {}): this {
    (this.pod.status!.initContainerStatuses ??= []).push(containerStatus(name, s));
    return this;
  }

  obj(): Pod {
    return structuredClone(this.pod);
  }
}

function containerStatus(name: string, s: Partial<ContainerStatus>): ContainerStatus {
  return {
    name,
    image: `${name}:latest`,
    imageID: '',
    ready: s.state ? false : true,
    restartCount: 0,
    state: running(),
    ...s,
  };
}

/** Starts a {@link PodBuilder}. */
export function makePod(name: string): PodBuilder {
  return new PodBuilder(name);
}

/** Container states, for readable builder calls. */
export const state = {
  running,
  waiting: (reason: string, message?: string): ContainerState => ({ waiting: { reason, ...(message ? { message } : {}) } }),
  terminated: (exitCode: number, reason?: string, extra: { signal?: number } = {}): ContainerState => ({
    terminated: { exitCode, ...(reason ? { reason } : {}), ...extra, startedAt: ago(300), finishedAt: ago(200) },
  }),
};

/** A lastState recording a termination `secondsAgo` seconds before now. */
export function lastTerminated(secondsAgo: number, reason = 'Error'): ContainerStatus['lastState'] {
  return { terminated: { exitCode: 1, reason, startedAt: ago(secondsAgo + 30), finishedAt: ago(secondsAgo) } };
}
