/**
 * The server's control loops: the garbage collector, the namespace
 * controller, and the controller manager (every controller plus the
 * scheduler).
 *
 * A single server (SQLite, the default) runs them unconditionally and writes
 * no Lease: there is nobody to elect, and a renewal every few seconds would
 * only wear the board's flash.
 *
 * With several servers sharing a datastore (`leaderElect`), they must run on
 * one server at a time, as upstream's kube-controller-manager: each server
 * campaigns on the Lease `kube-system/kube-controller-manager` (upstream's
 * name and timings: 15 s lease, 10 s renew deadline, 2 s retry), runs the
 * loops while it holds it, stops them (abort, then waits for them) when it
 * loses it, and campaigns again; the process keeps serving the API
 * throughout.
 *
 * The scheduler follows the same Lease. Upstream's kube-scheduler holds its
 * own `kube-scheduler` Lease because it is a separate binary that may run on
 * other machines; here it shares the controllers' process, and a Lease of
 * its own would need a second informer cache of pods and nodes (memory the
 * 1 GB boards do not have to spare) and twice the Lease writes, for the
 * only gain of letting the scheduler lead on another server.
 *
 * Also with `leaderElect`, every server (leader or not) keeps its API server
 * identity Lease (src/server/apiserver-lease.ts), from which the leader's
 * kubernetes-service controller lists all live API servers.
 */
import { GarbageCollector } from '../controllers/garbage-collector/gc.ts';
import { NamespaceController } from '../controllers/namespace/namespace.ts';
import type { Registry } from '../registry/registry.ts';
import { realClock, type Clock } from '../client/clock.ts';
import { InformerFactory } from '../client/informer.ts';
import { LeaderElector } from '../client/leader-election.ts';
import type { Client } from '../client/types.ts';
import { controllerFactories } from '../controllers/index.ts';
import { recorderFactory, runControllers, type ControllerConfig, type ControllerFactory } from '../controllers/manager.ts';
import { logger } from '../util/log.ts';
import { runAPIServerLease, type APIServerLeaseTimings } from './apiserver-lease.ts';

const log = logger('control-loops');

/** Upstream kube-controller-manager's lock. */
export const controllerManagerLease = { namespace: 'kube-system', name: 'kube-controller-manager' };

export interface ElectionTimings {
  leaseDurationSeconds: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** Upstream's --leader-elect-lease-duration, --leader-elect-renew-deadline, --leader-elect-retry-period. */
export const defaultElectionTimings: ElectionTimings = { leaseDurationSeconds: 15, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

export interface ControlLoopsOptions {
  registry: Registry;
  /** The controllers' and scheduler's client (acting as system:kube-controller-manager). */
  client: Client;
  controllerConfig: ControllerConfig;
  /** Controller names switched off (`--disable`). */
  disable: readonly string[];
  /** Several servers share the datastore: run the loops only while holding the Lease. */
  leaderElect: boolean;
  /** This server's candidate identity, upstream-style `<hostname>_<uuid>`. */
  identity: string;
  /** This server's stable API server id (`apiserver-<hash>`, see apiServerID); needed with leaderElect. */
  apiServerID?: string;
  /** Overrides for tests. */
  factories?: Record<string, ControllerFactory>;
  election?: Partial<ElectionTimings>;
  apiServerLease?: Partial<APIServerLeaseTimings>;
  clock?: Clock;
}

export interface ControlLoops {
  /** Resolves once `signal` has aborted and every loop has stopped. */
  done: Promise<void>;
  /** True while the loops run on this server (always, without leaderElect). */
  isLeader(): boolean;
}

const guard = (p: Promise<void>) => p.catch((e) => log.error('controller stopped', { err: e }));

/** Runs the loops once, until `signal` aborts. Each run builds fresh controllers and informer caches. */
async function runLoops(o: ControlLoopsOptions, config: ControllerConfig, signal: AbortSignal): Promise<void> {
  const clock = o.clock ?? realClock;
  // The garbage collector and namespace lifecycle work on the registry
  // itself; the other controllers and the scheduler go through a client.
  const gc = new GarbageCollector(o.registry);
  const nsc = new NamespaceController(o.registry);
  await Promise.all([
    guard(gc.run(signal)),
    guard(nsc.run(signal)),
    guard(
      runControllers(
        { client: o.client, informers: new InformerFactory(o.client), recorder: recorderFactory(o.client), config, clock },
        o.factories ?? controllerFactories,
        signal,
        new Set(o.disable),
      ),
    ),
  ]);
}

export function startControlLoops(o: ControlLoopsOptions, signal: AbortSignal): ControlLoops {
  if (!o.leaderElect) {
    return { done: runLoops(o, o.controllerConfig, signal), isLeader: () => true };
  }
  if (!o.apiServerID) throw new Error('leader election needs the API server id (apiServerID)');
  let leading = false;
  // The leader's kubernetes-service controller lists the live API servers from their identity Leases.
  const config: ControllerConfig = { ...o.controllerConfig, apiServerIdentityLeases: true };
  const timings = { ...defaultElectionTimings, ...o.election };
  const elector = new LeaderElector({ client: o.client, ...controllerManagerLease, identity: o.identity, ...timings, clock: o.clock ?? realClock });
  const election = elector.run(signal, async (leaderSignal) => {
    leading = true;
    try {
      await runLoops(o, config, leaderSignal);
    } finally {
      leading = false;
      if (!signal.aborted) log.info('control loops stopped on losing the lease; campaigning again', { identity: o.identity });
    }
  });
  // `bramble server` fills apiServerAddresses with its advertise address alone.
  const address = o.controllerConfig.apiServerAddresses[0] ?? '';
  const identityLease = guard(
    runAPIServerLease({ client: o.client, id: o.apiServerID, advertise: `${address}:${o.controllerConfig.apiServerPort}`, clock: o.clock, ...o.apiServerLease }, signal),
  );
  return { done: Promise.all([election, identityLease]).then(() => undefined), isLeader: () => leading };
}
