/**
 * The composition of an agent process: one or many nodes over one client,
 * one Node informer, one pod informer and one pod sync loop. `bramble agent`
 * hosts one node and watches only pods bound to it (fieldSelector
 * `spec.nodeName=<node>`); `bramble sim` hosts thousands and shares every
 * watch among them, so the server sees one agent connection, not one per
 * node.
 *
 * Start-up order: caches first (so a restarted agent finds its pods and its
 * Node's pod CIDR before doing anything), then the runtime adopts what was
 * running, the pod sync loop starts, and the nodes register (with bounded
 * concurrency, reporting progress). `stop()` ends heartbeats and the loop;
 * Nodes stay registered.
 */
import { realClock, type Clock } from '../client/clock.ts';
import { InformerFactory, type Informer } from '../client/informer.ts';
import { resources, type Client, type Obj } from '../client/types.ts';
import { logger } from '../util/log.ts';
import { NodeAgent, type NodeAgentOptions } from './node/node-agent.ts';
import type { NodeConfig } from './node/node-object.ts';
import { PodSync, type PodSyncOptions } from './pods/pod-sync.ts';
import type { Runtime } from './runtime/types.ts';

const log = logger('agent');

/** A runtime for one node, and what it needs to pick up after a restart. */
export interface NodeRuntime {
  runtime: Runtime;
  /** Rebuilds in-memory state from the pods bound to the node (the fake runtime); real runtimes keep their own. */
  adopt?(pods: Obj[]): number;
  /** Node Ready waits for the runtime's pod network (upstream); false for the fake. */
  readyNeedsNetwork: boolean;
}

export interface HostedNode {
  config: NodeConfig;
  fallbackPodCIDR: string;
}

export interface AgentHostOptions {
  /** Client for registration, pod status and events (bounded: see LimitedClient). */
  client: Client;
  /** Client for Leases and node status; defaults to `client`. */
  heartbeatClient?: Client;
  /** Client for events; defaults to `client`. */
  eventClient?: Client;
  /** Record pod events (Pulled, Created, Started, Killing…); default true. */
  podEvents?: boolean;
  nodes: HostedNode[];
  runtimeFor(node: NodeConfig): NodeRuntime;
  /** Which pods to watch: `spec.nodeName=<node>` for one node. */
  podFieldSelector: string;
  /** Which Nodes to watch. */
  nodeSelector: { fieldSelector?: string; labelSelector?: string };
  clock?: Clock;
  workers?: number;
  /** How often every pod is re-synced without events (default 60 s). */
  resyncMs?: number;
  registerConcurrency?: number;
  podCIDRWaitMs?: number;
  nodeEvents?: boolean;
  /** false: the Nodes exist and are kept by someone else; run only their pods (see NodeAgentOptions.manageNode). */
  manageNodes?: boolean;
  /** Spread heartbeats and reports of many nodes over time (simulator). */
  spread?: boolean;
  random?: () => number;
  /** Pod features for real runtimes: API lookups for env and pull secrets, cluster DNS (see PodSyncOptions). */
  podSync?: Pick<PodSyncOptions, 'lookup' | 'dns' | 'podsDir' | 'probes'>;
  /** Called after each node's registration (`failed` counts failed attempts, which are retried). */
  onRegistered?(done: number, failed: number, total: number): void;
}

export class AgentHost {
  readonly agents = new Map<string, NodeAgent>();
  readonly podSync: PodSync;
  readonly pods: Informer;
  readonly nodeInformer: Informer;
  private readonly o: AgentHostOptions;
  private readonly clock: Clock;
  private readonly informers: InformerFactory;
  private readonly runtimes = new Map<string, NodeRuntime>();
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  /** Nodes registered so far, and failed registration attempts (progress output). */
  registered = 0;
  registrationFailures = 0;
  /** Nodes that fell back to a private pod CIDR (reported once, then counted, when spread). */
  podCIDRFallbacks = 0;

  constructor(opts: AgentHostOptions) {
    this.o = opts;
    this.clock = opts.clock ?? realClock;
    this.informers = new InformerFactory(opts.client);
    this.nodeInformer = this.informers.informer(resources.nodes, opts.nodeSelector);
    this.pods = this.informers.informer(resources.pods, { fieldSelector: opts.podFieldSelector });
    this.podSync = new PodSync({ client: opts.client, pods: this.pods, node: (n) => this.agents.get(n), clock: this.clock, workers: opts.workers ?? 4, resyncMs: opts.resyncMs, ...opts.podSync });
    const observe = (n: Obj | undefined, name: string) => this.agents.get(name)?.observe(n);
    this.nodeInformer.addHandler({
      add: (n) => observe(n, n['metadata']?.name),
      update: (_o, n) => observe(n, n['metadata']?.name),
      delete: (n) => observe(undefined, n['metadata']?.name),
    });
  }

  /** Builds the node agents (no I/O yet). */
  private async build(): Promise<void> {
    const rnd = this.o.random ?? Math.random;
    const spread = this.o.spread === true;
    for (const n of this.o.nodes) {
      const rt = this.o.runtimeFor(n.config);
      const v = await rt.runtime.version();
      this.runtimes.set(n.config.name, rt);
      const opts: NodeAgentOptions = {
        client: this.o.client,
        heartbeatClient: this.o.heartbeatClient ?? this.o.client,
        eventClient: this.o.eventClient,
        events: this.o.podEvents !== false,
        clock: this.clock,
        config: n.config,
        runtime: rt.runtime,
        runtimeName: v.runtimeName,
        readyNeedsNetwork: rt.readyNeedsNetwork,
        podCIDRWaitMs: this.o.podCIDRWaitMs ?? 30_000,
        fallbackPodCIDR: n.fallbackPodCIDR,
        onNetworkReady: () => this.podSync.resyncNode(n.config.name),
        onPodCIDRFallback: spread ? (node, cidr) => this.fallback(node, cidr) : undefined,
        nodeEvents: this.o.nodeEvents ?? true,
        manageNode: this.o.manageNodes,
        lease: spread ? { jitterMs: 1_000, firstRenewalMs: Math.floor(rnd() * 10_000) } : undefined,
        status: spread ? { jitterMs: 1_000, firstCheckMs: Math.floor(rnd() * 10_000), reportOffsetMs: Math.floor(rnd() * 300_000) } : undefined,
      };
      const agent = new NodeAgent(opts);
      this.agents.set(n.config.name, agent);
      this.podSync.watchRuntime(agent);
    }
  }

  private fallback(node: string, podCIDR: string): void {
    if (this.podCIDRFallbacks++ === 0) {
      log.warn('nodes without spec.podCIDR after the wait use private fallback ranges (is the node IPAM controller running?)', {
        first: node,
        podCIDR,
        waitedMs: this.o.podCIDRWaitMs ?? 30_000,
      });
    }
  }

  /** Starts everything; resolves once every node has registered. */
  async start(): Promise<{ registered: number; failed: number }> {
    const signal = this.abort.signal;
    await this.build();
    this.informers.start(signal);
    await Promise.race([this.informers.synced(), new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
    if (signal.aborted) return { registered: 0, failed: 0 };
    let adopted = 0;
    for (const [name, rt] of this.runtimes) {
      if (!rt.adopt) continue;
      adopted += rt.adopt(this.pods.list().filter((p) => p['spec']?.nodeName === name));
    }
    if (adopted) log.info('adopted pods from before the restart', { pods: adopted });
    this.running = this.podSync.run(signal);
    return this.registerAll(signal);
  }

  /** Registers every node, `registerConcurrency` at a time; a failed registration is retried (200 ms doubling to 7 s) until it works or the host stops. */
  private async registerAll(signal: AbortSignal): Promise<{ registered: number; failed: number }> {
    const queue = [...this.agents.values()];
    const total = queue.length;
    let registered = 0;
    let failed = 0;
    const worker = async () => {
      for (let a = queue.shift(); a && !signal.aborted; a = queue.shift()) {
        for (let attempt = 0; !signal.aborted; attempt++) {
          try {
            await a.start();
            registered++;
            this.registered++;
            break;
          } catch (e) {
            failed++;
            this.registrationFailures++;
            const inMs = Math.min(7_000, 200 * 2 ** attempt);
            log.warn('node registration failed; retrying', { node: a.name, err: e, inMs });
            await new Promise((r) => setTimeout(r, inMs).unref());
          }
        }
        this.o.onRegistered?.(registered, failed, total);
      }
    };
    await Promise.all(Array.from({ length: Math.min(total, this.o.registerConcurrency ?? 1) }, worker));
    return { registered, failed };
  }

  /** Stops heartbeats, reports and the sync loop; flushes queued events. Nodes stay registered. */
  async stop(): Promise<void> {
    for (const a of this.agents.values()) a.stop();
    this.abort.abort();
    const flushed = Promise.all([...this.agents.values()].map((a) => a.flush()));
    await Promise.race([flushed, new Promise((r) => setTimeout(r, 2_000).unref())]);
    await this.running;
    await this.informers.stopped();
  }
}
