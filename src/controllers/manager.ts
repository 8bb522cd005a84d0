/**
 * The controller manager: builds every enabled controller on one shared
 * context (client, informer factory, event recorders, config), starts the
 * informers, waits for their caches to sync, then runs the controllers
 * until the signal aborts. Controllers register the informers they need in
 * their constructors, so one informer per resource serves them all.
 */
import type { Clock } from '../client/clock.ts';
import { EventRecorder } from '../client/events.ts';
import type { InformerFactory } from '../client/informer.ts';
import type { Client } from '../client/types.ts';
import { logger } from '../util/log.ts';
import type { EtcdMembership } from './etcd-member/etcd-member.ts';

const log = logger('controller-manager');

/** Settings controllers read; flags of `bramble server` fill them. */
export interface ControllerConfig {
  /** Service ClusterIP range (k3s default 10.43.0.0/16). */
  serviceCIDR: string;
  /** Pod network; a /24 per node (k3s default 10.42.0.0/16). */
  clusterCIDR: string;
  nodePortRange: readonly [number, number];
  /** How long a node may miss Lease renewals before it is NotReady/Unknown (upstream 40 s). */
  nodeMonitorGracePeriodMs: number;
  /** tolerationSeconds of the default not-ready/unreachable tolerations (upstream 300). */
  defaultNotReadyTolerationSeconds: number;
  defaultUnreachableTolerationSeconds: number;
  /** Addresses of the API server(s), for the `kubernetes` Service's endpoints. */
  apiServerAddresses: string[];
  apiServerPort: number;
  /**
   * HA (several servers on one datastore): the `kubernetes` Endpoints list
   * the addresses of the live API server identity Leases (plus
   * apiServerAddresses) instead of apiServerAddresses alone. Set by
   * startControlLoops with leader election.
   */
  apiServerIdentityLeases?: boolean;
  /**
   * HA: several API servers share the datastore, so Service IP and node port
   * allocations are also claimed in it (src/admission/service-ip/claims.ts).
   */
  sharedDatastore?: boolean;
  /** `--lb-pool`: LoadBalancer address ranges/CIDRs (empty: Services get node addresses, as k3s ServiceLB). */
  lbPools?: string[];
  /** Asks a node's agent whether it is alive (the servicelb controller's fast failover); none: readiness only. */
  agentProbe?: (address: string, port: number) => Promise<boolean>;
  /** HA: the etcd cluster's membership, so deleting a server's Node removes its member (etcd-member controller). */
  etcdMembers?: EtcdMembership;
}

export const defaultControllerConfig: ControllerConfig = {
  serviceCIDR: '10.43.0.0/16',
  clusterCIDR: '10.42.0.0/16',
  nodePortRange: [30000, 32767],
  nodeMonitorGracePeriodMs: 40_000,
  defaultNotReadyTolerationSeconds: 300,
  defaultUnreachableTolerationSeconds: 300,
  apiServerAddresses: ['127.0.0.1'],
  apiServerPort: 6443,
};

export interface ControllerContext {
  client: Client;
  informers: InformerFactory;
  /** An event recorder for a component (e.g. `deployment-controller`, `default-scheduler`). */
  recorder(component: string): EventRecorder;
  config: ControllerConfig;
  clock: Clock;
}

export interface Controller {
  readonly name: string;
  /** Runs until `signal` aborts; called after the informers have synced. */
  run(signal: AbortSignal): Promise<void>;
}

export type ControllerFactory = (ctx: ControllerContext) => Controller;

export function recorderFactory(client: Client): (component: string) => EventRecorder {
  const recorders = new Map<string, EventRecorder>();
  return (component) => {
    let r = recorders.get(component);
    if (!r) recorders.set(component, (r = new EventRecorder(client, { component })));
    return r;
  };
}

/** Builds, syncs and runs the controllers; resolves when all have stopped. */
export async function runControllers(ctx: ControllerContext, factories: Record<string, ControllerFactory>, signal: AbortSignal, disabled: ReadonlySet<string> = new Set()): Promise<void> {
  const controllers: Controller[] = [];
  for (const [name, make] of Object.entries(factories)) {
    if (disabled.has(name)) {
      log.info('controller disabled', { controller: name });
      continue;
    }
    controllers.push(make(ctx));
  }
  ctx.informers.start(signal);
  await Promise.race([ctx.informers.synced(), new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
  if (signal.aborted) return;
  log.info('caches synced; starting controllers', { controllers: controllers.map((c) => c.name).join(',') });
  await Promise.all(
    controllers.map((c) =>
      c.run(signal).catch((e) => {
        log.error('controller stopped with an error', { controller: c.name, err: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      }),
    ),
  );
  await ctx.informers.stopped();
}
