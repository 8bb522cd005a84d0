/**
 * The node IPAM controller (`nodeipam`, upstream's range allocator as k3s
 * runs it): gives each node without one a pod network block —
 * `spec.podCIDR` and `spec.podCIDRs`, a /24 per IPv4 cluster CIDR (a /64
 * per IPv6 one) from --cluster-cidr — and takes it back when the node is
 * deleted. Nothing is stored but the Nodes themselves: on start every
 * node's existing block is marked taken before anything is handed out, so
 * a restarted server never gives one block to two nodes.
 */
import { isApiError } from '../../api/errors.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Informer } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { CidrSet } from './cidr-set.ts';

const log = logger('nodeipam');

export interface NodeIpamOptions {
  /** Node block size for IPv4 cluster CIDRs (k3s --node-cidr-mask-size-ipv4, 24). */
  nodeMaskIPv4?: number;
  /** For IPv6 cluster CIDRs (k3s --node-cidr-mask-size-ipv6, 64). */
  nodeMaskIPv6?: number;
}

/** A node's blocks as stored: podCIDRs, or the older single podCIDR. */
export function podCIDRsOf(node: Obj): string[] {
  const spec = node['spec'] ?? {};
  if (Array.isArray(spec.podCIDRs) && spec.podCIDRs.length) return spec.podCIDRs;
  return spec.podCIDR ? [spec.podCIDR] : [];
}

export class NodeIpamController implements Controller {
  readonly name = 'nodeipam';
  private readonly client: Client;
  private readonly recorder: EventRecorder;
  private readonly nodes: Informer;
  readonly sets: CidrSet[];
  readonly queue: WorkQueue<string>;
  /** What this controller holds for each node (by name), with the node's uid. */
  private readonly held = new Map<string, { uid: string; cidrs: string[] }>();

  constructor(ctx: ControllerContext, opts: NodeIpamOptions = {}) {
    this.client = ctx.client;
    this.recorder = ctx.recorder('cidrAllocator');
    this.queue = new WorkQueue({ clock: ctx.clock, baseDelayMs: 100, maxDelayMs: 60_000 });
    this.sets = ctx.config.clusterCIDR
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((cidr) => new CidrSet(cidr, cidr.includes(':') ? (opts.nodeMaskIPv6 ?? 64) : (opts.nodeMaskIPv4 ?? 24)));
    this.nodes = ctx.informers.informer(resources.nodes);
    this.nodes.addHandler({
      add: (n) => this.queue.add(n['metadata'].name),
      update: (o, n) => {
        if (podCIDRsOf(n).length === 0 || podCIDRsOf(o).join() !== podCIDRsOf(n).join()) this.queue.add(n['metadata'].name);
      },
      delete: (n) => this.queue.add(n['metadata'].name),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    // The cache is complete here (the manager waits for sync): take every existing block first.
    for (const node of this.nodes.list()) this.occupy(node);
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    await runWorkers(this.queue, 1, (name) => this.reconcile(name), (name, err, willRetry) => log.warn('pod CIDR allocation failed', { node: name, err, willRetry }));
  }

  private occupy(node: Obj): void {
    const m = node['metadata'];
    const cidrs = podCIDRsOf(node);
    const prev = this.held.get(m.name);
    if (prev && prev.uid === m.uid && prev.cidrs.join() === cidrs.join()) return;
    if (prev) this.release(m.name);
    const taken: string[] = [];
    for (const cidr of cidrs) {
      const set = this.sets.find((s) => s.handles(cidr));
      try {
        if (!set) throw new Error(`no cluster CIDR of its IP family`);
        set.occupy(cidr);
        taken.push(cidr);
      } catch (e) {
        // Not ours to manage (outside --cluster-cidr): leave the node as it is.
        log.warn('node pod CIDR not in the cluster CIDR; not tracked', { node: m.name, cidr, err: e });
      }
    }
    this.held.set(m.name, { uid: m.uid, cidrs: taken });
  }

  private release(name: string): void {
    const prev = this.held.get(name);
    if (!prev) return;
    for (const cidr of prev.cidrs) this.sets.find((s) => s.handles(cidr))?.release(cidr);
    this.held.delete(name);
  }

  /** Level-based: a deleted node's blocks are freed; a node without blocks gets them. */
  async reconcile(name: string): Promise<void> {
    const node = this.nodes.getByName('', name);
    if (!node) {
      if (this.held.has(name)) log.info('released pod CIDRs of a deleted node', { node: name, cidrs: this.held.get(name)!.cidrs.join(',') });
      this.release(name);
      return;
    }
    if (this.held.get(name)?.uid !== node['metadata'].uid) this.release(name); // the same name, a new node
    if (podCIDRsOf(node).length) {
      this.occupy(node);
      return;
    }
    if (this.sets.length === 0) return;
    const allocated: string[] = [];
    try {
      for (const set of this.sets) allocated.push(set.allocateNext());
    } catch (e) {
      for (const [i, cidr] of allocated.entries()) this.sets[i]!.release(cidr);
      this.statusEvent(node, 'CIDRNotAvailable');
      throw e;
    }
    try {
      const fresh = await this.client.get(resources.nodes, '', name);
      if (fresh['metadata'].uid !== node['metadata'].uid) throw new Error('node was replaced');
      if (podCIDRsOf(fresh).length) {
        // Someone (a previous run, or the agent's own flag) set it meanwhile: keep theirs.
        for (const [i, cidr] of allocated.entries()) this.sets[i]!.release(cidr);
        this.occupy(fresh);
        return;
      }
      await this.client.patch(resources.nodes, '', name, 'merge', {
        metadata: { resourceVersion: fresh['metadata'].resourceVersion },
        spec: { podCIDR: allocated[0], podCIDRs: allocated },
      });
      this.held.set(name, { uid: node['metadata'].uid, cidrs: allocated });
      log.info('allocated pod CIDRs', { node: name, cidrs: allocated.join(',') });
    } catch (e) {
      for (const [i, cidr] of allocated.entries()) this.sets[i]!.release(cidr);
      if (isApiError(e, 'NotFound')) return;
      if (!isApiError(e, 'Conflict')) this.statusEvent(node, 'CIDRAssignmentFailed');
      throw e;
    }
  }

  /** Upstream records allocation trouble as a node status-change event. */
  private statusEvent(node: Obj, status: string): void {
    const m = node['metadata'];
    this.recorder.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: m.name, uid: m.uid } }, 'Normal', status, `Node ${m.name} status is now: ${status}`);
  }
}
