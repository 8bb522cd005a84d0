/**
 * What the agent's streaming server needs from the container runtime: find
 * a pod's container (and its log file), and the CRI streaming calls that
 * return URLs on the runtime's own streaming server. `criStreamingRuntime`
 * implements it straight over CRI (sandbox and container metadata carry the
 * pod's namespace/name and the container's name/attempt, whoever created
 * them); a runtime without streaming (the fake) answers `unsupported`.
 */
import type { RuntimeServiceClient } from '../cri/runtime-client.ts';

export interface ContainerRef {
  containerId: string;
  sandboxId: string;
  /** Absolute path of the CRI log file; '' when the runtime keeps none. */
  logPath: string;
  running: boolean;
  /** The container's attempt (restart count). */
  attempt: number;
}

export type AgentErrorCode = 'NotFound' | 'BadRequest' | 'Unsupported' | 'Runtime';

/** A failure answered to the API server as a Status with the matching HTTP code. */
export class AgentStreamError extends Error {
  readonly code: AgentErrorCode;
  constructor(code: AgentErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgentStreamError';
    this.code = code;
  }
}

export interface ExecParams {
  containerId: string;
  cmd: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface StreamingRuntime {
  /**
   * The pod's container by name: the newest attempt, or with `previous`
   * the one before it. Throws AgentStreamError NotFound when absent.
   */
  findContainer(namespace: string, pod: string, container: string, opts?: { previous?: boolean }): Promise<ContainerRef>;
  /** The pod's ready sandbox id; throws NotFound. */
  findSandbox(namespace: string, pod: string): Promise<string>;
  /** Whether the container is still running (log follow ends when it is not). */
  isRunning(containerId: string): Promise<boolean>;
  exec(p: ExecParams): Promise<string>;
  attach(p: Omit<ExecParams, 'cmd'>): Promise<string>;
  portForward(sandboxId: string, ports: number[]): Promise<string>;
}

/** A runtime without streaming (the fake): every call is a clear 400. */
export function unsupportedStreamingRuntime(name: string): StreamingRuntime {
  const no = (what: string) => () => Promise.reject(new AgentStreamError('Unsupported', `the ${name} runtime does not support ${what}`));
  return {
    findContainer: no('container logs'),
    findSandbox: no('port-forward'),
    isRunning: () => Promise.resolve(false),
    exec: no('exec'),
    attach: no('attach'),
    portForward: no('port-forward'),
  };
}

export function criStreamingRuntime(rt: RuntimeServiceClient): StreamingRuntime {
  const sandboxesOf = async (namespace: string, pod: string) =>
    (await rt.listPodSandbox()).filter((s) => s.metadata?.namespace === namespace && s.metadata?.name === pod).sort((a, b) => b.createdAt - a.createdAt);

  return {
    async findContainer(namespace, pod, container, opts = {}) {
      const boxes = await sandboxesOf(namespace, pod);
      if (boxes.length === 0) throw new AgentStreamError('NotFound', `pod "${pod}" in namespace "${namespace}" has no sandbox on this node`);
      const ids = new Set(boxes.map((b) => b.id));
      const all = (await rt.listContainers()).filter((c) => ids.has(c.podSandboxId) && c.metadata?.name === container);
      // Newest sandbox first, then highest attempt.
      const order = new Map(boxes.map((b, i) => [b.id, i]));
      all.sort((a, b) => order.get(a.podSandboxId)! - order.get(b.podSandboxId)! || (b.metadata?.attempt ?? 0) - (a.metadata?.attempt ?? 0));
      const pick = all[opts.previous ? 1 : 0];
      if (!pick) {
        throw new AgentStreamError(
          opts.previous ? 'BadRequest' : 'NotFound',
          opts.previous ? `previous terminated container "${container}" in pod "${pod}" not found` : `container "${container}" in pod "${pod}" is not available`,
        );
      }
      const st = (await rt.containerStatus(pick.id)).status;
      return {
        containerId: pick.id,
        sandboxId: pick.podSandboxId,
        logPath: st?.logPath ?? '',
        running: st?.state === 'CONTAINER_RUNNING',
        attempt: pick.metadata?.attempt ?? 0,
      };
    },
    async findSandbox(namespace, pod) {
      const ready = (await sandboxesOf(namespace, pod)).find((s) => s.state === 'SANDBOX_READY');
      if (!ready) throw new AgentStreamError('NotFound', `pod "${pod}" in namespace "${namespace}" has no running sandbox on this node`);
      return ready.id;
    },
    async isRunning(containerId) {
      try {
        return (await rt.containerStatus(containerId)).status?.state === 'CONTAINER_RUNNING';
      } catch {
        return false;
      }
    },
    exec: (p) => rt.exec({ containerId: p.containerId, cmd: p.cmd, stdin: p.stdin, stdout: p.stdout, stderr: p.stderr, tty: p.tty }),
    attach: (p) => rt.attach({ containerId: p.containerId, stdin: p.stdin, stdout: p.stdout, stderr: p.stderr, tty: p.tty }),
    portForward: (sandboxId, ports) => rt.portForward(sandboxId, ports),
  };
}
