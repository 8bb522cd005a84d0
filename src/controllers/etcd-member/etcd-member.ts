/**
 * The etcd member controller (`etcd-member`, HA servers only), as k3s's:
 * `kubectl delete node <server>` also takes that server's etcd member out
 * of the cluster, so a board that died for good stops counting against the
 * quorum (three members with one dead survive one more failure only once
 * it is removed).
 *
 * A server's etcd member and its Node share a name (start.ts). Every
 * server Node (role control-plane) that names a member gets the finalizer `etcd.bramble.io/member`; a delete
 * then leaves the Node terminating until this controller has removed the
 * member (MemberRemove through this server's etcd) and dropped the
 * finalizer. A finalizer rather than the delete event, so a delete made
 * while no server led, or while the leader was changing, is still acted
 * on. The last member is never removed (etcd refuses; it would be the end
 * of the datastore): its finalizer is just dropped.
 *
 * A removed server that starts again with its old data dir finds itself
 * missing from the member list and joins afresh (src/cluster/etcd/member.ts).
 */
import { isApiError } from '../../api/errors.ts';
import type { EventRecorder } from '../../client/events.ts';
import type { Informer } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { runWorkers, WorkQueue } from '../../client/workqueue.ts';
import { logger } from '../../util/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';

const log = logger('etcd-member');

export const etcdMemberFinalizer = 'etcd.bramble.io/member';

/** The role label every server's own Node carries (src/agent/node/host-config.ts). */
const controlPlaneLabel = 'node-role.kubernetes.io/control-plane';

/** One etcd member as this controller needs it (the seam to src/storage/etcd/members.ts). */
export interface MemberInfo {
  id: string;
  name: string;
}

/** The etcd cluster's membership, through this server's member. */
export interface EtcdMembership {
  list(): Promise<MemberInfo[]>;
  remove(id: string): Promise<void>;
}

export class EtcdMemberController implements Controller {
  readonly name = 'etcd-member';
  private readonly client: Client;
  private readonly recorder: EventRecorder;
  private readonly nodes: Informer;
  private readonly members?: EtcdMembership;
  readonly queue: WorkQueue<string>;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.recorder = ctx.recorder('etcd-member-controller');
    this.members = ctx.config.etcdMembers;
    this.queue = new WorkQueue({ clock: ctx.clock, baseDelayMs: 500, maxDelayMs: 30_000 });
    this.nodes = ctx.informers.informer(resources.nodes);
    if (!this.members) return; // not HA: nothing to watch
    this.nodes.addHandler({
      add: (n) => this.queue.add(n['metadata'].name),
      update: (o, n) => {
        // Only what this controller acts on: a delete starting, or its finalizer taken off by someone.
        if (Boolean(o['metadata'].deletionTimestamp) !== Boolean(n['metadata'].deletionTimestamp) || hasFinalizer(o) !== hasFinalizer(n)) this.queue.add(n['metadata'].name);
      },
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!this.members) return;
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    await runWorkers(this.queue, 1, (name) => this.reconcile(name), (name, err, willRetry) => log.warn('etcd member sync failed', { node: name, err, willRetry }));
  }

  async reconcile(name: string): Promise<void> {
    const node = this.nodes.getByName('', name);
    if (!node) return;
    if (node['metadata'].deletionTimestamp) {
      if (hasFinalizer(node)) await this.removeMember(node);
      return;
    }
    // Only servers run etcd members, and every server's Node carries the control-plane role:
    // agent Nodes cost no call to etcd.
    if (hasFinalizer(node) || node['metadata'].labels?.[controlPlaneLabel] !== 'true') return;
    // A list per server Node added (a leader's start, a server joining): rare, and never stale.
    if (!(await this.members!.list()).some((m) => m.name === name)) return;
    await this.setFinalizers(node, [...finalizersOf(node), etcdMemberFinalizer]);
    log.info('server node marked: deleting it will remove its etcd member', { node: name });
  }

  private async removeMember(node: Obj): Promise<void> {
    const name: string = node['metadata'].name;
    const members = await this.members!.list();
    const member = members.find((m) => m.name === name);
    if (member && members.length === 1) {
      log.warn('not removing the last etcd member; the node goes, the member stays', { node: name });
    } else if (member) {
      await this.members!.remove(member.id);
      log.info('removed the etcd member of a deleted node', { node: name, member: member.id, left: members.length - 1 });
      this.recorder.event(node, 'Normal', 'RemovedEtcdMember', `Removed etcd member ${name} of the deleted node; ${members.length - 1} left`);
    }
    await this.setFinalizers(node, finalizersOf(node).filter((f) => f !== etcdMemberFinalizer));
  }

  /** The whole list with the cached resourceVersion: a conflict (someone else changed the Node) retries from the fresh cache. */
  private async setFinalizers(node: Obj, finalizers: string[]): Promise<void> {
    try {
      await this.client.patch(resources.nodes, '', node['metadata'].name, 'merge', {
        metadata: { resourceVersion: node['metadata'].resourceVersion, finalizers },
      });
    } catch (e) {
      if (isApiError(e, 'NotFound')) return;
      throw e;
    }
  }
}

function finalizersOf(node: Obj): string[] {
  const f = node['metadata']?.finalizers;
  return Array.isArray(f) ? f : [];
}

function hasFinalizer(node: Obj): boolean {
  return finalizersOf(node).includes(etcdMemberFinalizer);
}
