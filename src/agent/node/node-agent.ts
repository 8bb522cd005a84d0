/**
 * One node: registers its Node, keeps its Lease and status, and hands its
 * runtime the pod CIDR the control plane allocated. It is also what the pod
 * sync loop sees of the node (SyncNode). A process hosts one (`bramble
 * agent`) or thousands (`bramble sim`); the host feeds each its Node object
 * from one shared informer.
 *
 * The pod CIDR: `spec.podCIDR` is set by the server's node IPAM controller
 * after registration. Until it arrives pods stay Pending (the runtime's
 * network is not ready). If none arrives within `podCIDRWaitMs`, the node
 * falls back to `fallbackPodCIDR` and says so in a warning; a CIDR that
 * arrives later replaces it for new pods.
 */
import type { Clock } from '../../client/clock.ts';
import { EventRecorder } from '../../client/events.ts';
import type { Client, Obj } from '../../client/types.ts';
import { logger } from '../../util/log.ts';
import type { EventSink, SyncNode } from '../pods/pod-sync.ts';
import { runtimeConditionMet, type Runtime } from '../runtime/types.ts';
import { NodeLease } from './lease.ts';
import type { NodeConfig, Readiness } from './node-object.ts';
import { registerNode } from './register.ts';
import { NodeStatusReporter } from './status.ts';

const log = logger('agent/node');

/** Records nothing (events switched off). */
const silent: EventSink = { event: () => undefined };

export interface NodeAgentOptions {
  /** For registration, events and pod CIDR reads. */
  client: Client;
  /** For the Lease and status: the kubelet keeps heartbeats off its (throttled) main client. */
  heartbeatClient: Client;
  /** For events, which are best effort: a narrower lane, so they never hold up pod status writes. */
  eventClient?: Client;
  /** Record pod and node events at all (a simulator may leave them out). */
  events?: boolean;
  clock: Clock;
  config: NodeConfig;
  runtime: Runtime;
  runtimeName: string;
  /** Real runtimes are not Ready without pod networking; the fake needs none (its pods wait for the CIDR instead). */
  readyNeedsNetwork: boolean;
  podCIDRWaitMs: number;
  fallbackPodCIDR: string;
  /** The runtime's network became ready (or changed): re-sync this node's pods. */
  onNetworkReady(): void;
  /** Called instead of logging a warning when the node falls back (a host of many nodes reports once). */
  onPodCIDRFallback?(node: string, podCIDR: string): void;
  /** Post the kubelet's start-up node events (Starting, NodeHas…, NodeReady). */
  nodeEvents: boolean;
  /**
   * `false`: the Node exists already and someone else keeps it (an
   * in-process test cluster's nodes, whose tests drive heartbeats on a fake
   * clock): no registration, Lease or status reports, only the pods.
   */
  manageNode?: boolean;
  lease?: { jitterMs?: number; firstRenewalMs?: number };
  /**
   * `reportOffsetMs`: how much older than now a new Node's first report is
   * taken to be, so thousands of simulated nodes do not all post their
   * 5-minute report in the same second.
   */
  status?: { jitterMs?: number; firstCheckMs?: number; reportOffsetMs?: number };
}

export class NodeAgent implements SyncNode {
  readonly name: string;
  readonly runtime: Runtime;
  readonly runtimeName: string;
  readonly hostIP: string;
  private readonly o: NodeAgentOptions;
  private rec?: EventRecorder;
  private lease?: NodeLease;
  private status?: NodeStatusReporter;
  private node?: Obj;
  private appliedCIDR?: string;
  private fallbackTimer?: unknown;
  private stopped = false;

  constructor(opts: NodeAgentOptions) {
    this.o = opts;
    this.name = opts.config.name;
    this.runtime = opts.runtime;
    this.runtimeName = opts.runtimeName;
    this.hostIP = opts.config.internalIP;
  }

  /** Created on first use: a simulator with thousands of idle nodes keeps none. */
  get recorder(): EventSink {
    return this.o.events === false ? silent : this.eventRecorder();
  }

  private eventRecorder(): EventRecorder {
    this.rec ??= new EventRecorder(this.o.eventClient ?? this.o.client, { component: 'kubelet', host: this.name, clock: this.o.clock });
    return this.rec;
  }

  /** The Node as last seen. */
  get current(): Obj | undefined {
    return this.node;
  }

  get leaseRenewals(): number {
    return this.lease?.renewals ?? 0;
  }

  async readiness(): Promise<Readiness> {
    const pressure = this.o.config.pressure?.();
    const s = await this.runtime.status();
    if (!runtimeConditionMet(s, 'RuntimeReady')) return { ready: false, message: 'container runtime is down', pressure };
    const net = s.conditions.find((c) => c.type === 'NetworkReady');
    if (this.o.readyNeedsNetwork && !net?.status) {
      return { ready: false, message: `container runtime network not ready: NetworkReady=false reason:${net?.reason ?? ''} message:${net?.message ?? ''}`, pressure };
    }
    return { ready: true, pressure };
  }

  /** Registers the Node, then starts the Lease, status reports and the pod CIDR fallback timer. */
  async start(): Promise<void> {
    const c = this.o.config;
    if (this.o.manageNode === false) {
      if (!this.appliedCIDR) this.fallbackTimer = this.o.clock.setTimeout(() => void this.fallBack(), this.o.podCIDRWaitMs);
      return;
    }
    const reg = await registerNode(this.o.client, c, await this.readiness(), this.o.clock.now());
    this.observe(reg.node);
    if (this.stopped) return;
    log.debug(reg.created ? 'node registered' : 'node already registered; reusing it', { node: c.name });
    if (this.o.nodeEvents) this.startupEvents(reg.node);
    this.lease = new NodeLease({ client: this.o.heartbeatClient, clock: this.o.clock, nodeName: c.name, nodeUid: reg.node['metadata'].uid, ...this.o.lease });
    this.status = new NodeStatusReporter(
      { client: this.o.heartbeatClient, clock: this.o.clock, config: c, readiness: () => this.readiness(), current: () => this.node, jitterMs: this.o.status?.jitterMs ?? 0 },
      reg.created ? this.o.clock.now() - (this.o.status?.reportOffsetMs ?? 0) : 0,
    );
    await this.lease.start();
    // An existing Node gets its status refreshed at once (it may read NotReady/Unknown from our absence).
    this.status.start(reg.created ? (this.o.status?.firstCheckMs ?? 10_000) : 0);
    if (!this.appliedCIDR) {
      this.fallbackTimer = this.o.clock.setTimeout(() => void this.fallBack(), this.o.podCIDRWaitMs);
    }
  }

  /** Stops heartbeats and reports; the Node stays (a stopped kubelet leaves its Node to the lifecycle controller). */
  stop(): void {
    this.stopped = true;
    this.lease?.stop();
    this.status?.stop();
    if (this.fallbackTimer !== undefined) this.o.clock.clearTimeout(this.fallbackTimer);
  }

  /** Resolves when queued events are written (shutdown). */
  async flush(): Promise<void> {
    await this.rec?.flush();
  }

  /** The host calls this with every version of the Node it sees (undefined: deleted). */
  observe(node: Obj | undefined): void {
    if (node === undefined && this.node === undefined) return;
    this.node = node;
    const cidr = node?.['spec']?.podCIDR as string | undefined;
    if (cidr && cidr !== this.appliedCIDR) void this.applyCIDR(cidr, false);
  }

  private async fallBack(): Promise<void> {
    this.fallbackTimer = undefined;
    if (this.appliedCIDR || this.stopped) return;
    if (this.o.onPodCIDRFallback) this.o.onPodCIDRFallback(this.name, this.o.fallbackPodCIDR);
    else {
      log.warn('no pod CIDR allocated to this node; using a private fallback range', {
        node: this.name,
        waitedMs: this.o.podCIDRWaitMs,
        podCIDR: this.o.fallbackPodCIDR,
      });
    }
    await this.applyCIDR(this.o.fallbackPodCIDR, true);
  }

  private async applyCIDR(cidr: string, fallback: boolean): Promise<void> {
    const previous = this.appliedCIDR;
    this.appliedCIDR = cidr;
    if (this.fallbackTimer !== undefined) this.o.clock.clearTimeout(this.fallbackTimer);
    this.fallbackTimer = undefined;
    try {
      await this.runtime.updateRuntimeConfig({ podCIDR: cidr });
    } catch (e) {
      this.appliedCIDR = previous;
      log.error('runtime rejected the pod CIDR', { node: this.name, podCIDR: cidr, err: e });
      return;
    }
    if (!fallback) log.debug('pod CIDR configured', { node: this.name, podCIDR: cidr, replaced: previous });
    this.o.onNetworkReady();
    // A real node turns Ready once its network is: report that now, not at the next 10 s check.
    if (this.o.readyNeedsNetwork) void this.status?.check();
  }

  private startupEvents(node: Obj): void {
    // The kubelet refers to its node by name, with the name as uid.
    const ref = { kind: 'Node', apiVersion: 'v1', metadata: { name: this.name, uid: this.name, resourceVersion: node['metadata']?.resourceVersion } };
    const r = this.eventRecorder();
    r.event(ref, 'Normal', 'Starting', 'Starting kubelet.');
    r.event(ref, 'Normal', 'NodeHasSufficientMemory', `Node ${this.name} status is now: NodeHasSufficientMemory`);
    r.event(ref, 'Normal', 'NodeHasNoDiskPressure', `Node ${this.name} status is now: NodeHasNoDiskPressure`);
    r.event(ref, 'Normal', 'NodeHasSufficientPID', `Node ${this.name} status is now: NodeHasSufficientPID`);
    r.event(ref, 'Normal', 'NodeReady', `Node ${this.name} status is now: NodeReady`);
  }
}
