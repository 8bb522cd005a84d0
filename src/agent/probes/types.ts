/**
 * Probes: one-shot checks (`runProbe`) and the per-container scheduler
 * (`ProbeManager`) the pod sync loop drives. See manager.ts for the
 * manager's calls; this file holds the shared shapes.
 */
import type { Duplex } from 'node:stream';
import type { Obj } from '../../client/types.ts';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** success / failure count toward thresholds; unknown (probe could not run) is discarded, as upstream. */
export type ProbeOutcome = 'success' | 'failure' | 'unknown';

export interface ProbeResult {
  result: ProbeOutcome;
  /** Probe output (exec stdout+stderr, HTTP body ≤ 10 KiB) or the failure/error text. */
  output: string;
  /** A success upstream reports as a ProbeWarning event (an HTTP redirect to another host). */
  warning?: boolean;
}

/** What CRI ExecSync returned. `timedOut` when the command outlived its timeout. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

/** Where a probe runs: one container of one pod. */
export interface ProbeTarget {
  /** Default host for httpGet / tcpSocket / grpc. */
  podIP: string;
  /** The container spec's `ports`, to resolve named ports. */
  ports?: Obj[];
  /** Runs a command in the container (the runtime's ExecSync); needed for exec probes. */
  exec?(cmd: string[], timeoutSeconds: number): Promise<ExecResult>;
  /**
   * Opens the TCP connection of an httpGet probe. Absent: a direct
   * connection. For an agent whose pod network is not its own network
   * namespace (tests running containerd in a namespace they made).
   */
  connect?(host: string, port: number): Duplex;
}

/** The state of one container as the sync loop last saw it. */
export interface ContainerProbeState {
  name: string;
  /** Runtime container id; a new id (restart) resets that container's probe state. */
  containerId: string;
  running: boolean;
  /** When the current run started (ms since epoch, on the manager's clock). */
  startedAt: number;
}

/** Callback on a probe result change, after thresholds. */
export type ProbeResultHandler = (podUid: string, containerName: string, kind: ProbeKind, result: 'success' | 'failure', message: string) => void;
