/**
 * The pod sync loop's side of volumes (src/agent/volumes does the work):
 * which pods have their volumes set up, the FailedMount back-off, the
 * periodic refresh of API-data volumes, and tear-down. Like the kubelet's
 * volume manager, a pod's containers start only once every volume is
 * ready; a failure is a `FailedMount` warning and the pod waits in
 * ContainerCreating, retried 0.5 s doubling to ~2 min.
 */
import * as fs from 'node:fs';
import type { Clock } from '../../client/clock.ts';
import type { Obj } from '../../client/types.ts';
import { cleanupVolumes, mountsFor, podDir, prepareVolumes, refreshVolumes, VolumeError, type Mount, type PreparedVolumes, type VolumeHost } from '../volumes/index.ts';
import type { EventSink } from './pod-sync.ts';

/** Upstream's volume operation back-off (exponentialbackoff: 500 ms initial, 2 min 2 s cap). */
const initialMs = 500;
const maxMs = 122_000;

export class PodVolumes {
  private readonly host: VolumeHost;
  private readonly clock: Clock;
  /** Pods whose volumes are set up: uid → what the containers mount. */
  private readonly prepared = new Map<string, PreparedVolumes>();
  /** Pods whose set-up failed: uid → when to try again and the delay served. */
  private readonly failed = new Map<string, { until: number; delayMs: number }>();

  constructor(host: VolumeHost, clock: Clock) {
    this.host = host;
    this.clock = clock;
  }

  /**
   * The pod's volumes, set up if they are not yet; with `refresh`, API data
   * volumes are rewritten when their objects changed (the periodic sync).
   * `retryMs` instead when they cannot be set up now (FailedMount recorded).
   */
  async ensure(pod: Obj, recorder: EventSink, refresh: boolean): Promise<{ prepared: PreparedVolumes } | { retryMs: number }> {
    const uid = pod['metadata'].uid as string;
    const have = this.prepared.get(uid);
    if (have) {
      if (refresh) {
        try {
          await refreshVolumes(pod, this.host);
        } catch (e) {
          // The containers keep what they have; the next periodic sync tries again.
          if (!(e instanceof VolumeError)) throw e;
          recorder.event(pod, 'Warning', 'FailedMount', e.message);
        }
      }
      return { prepared: have };
    }
    const f = this.failed.get(uid);
    const now = this.clock.now();
    if (f && now < f.until) return { retryMs: f.until - now };
    try {
      const prepared = await prepareVolumes(pod, this.host);
      this.prepared.set(uid, prepared);
      this.failed.delete(uid);
      return { prepared };
    } catch (e) {
      if (!(e instanceof VolumeError)) throw e;
      recorder.event(pod, 'Warning', 'FailedMount', e.message);
      const delayMs = f ? Math.min(maxMs, f.delayMs * 2) : initialMs;
      this.failed.set(uid, { until: now + delayMs, delayMs });
      return { retryMs: delayMs };
    }
  }

  /** A container's bind mounts (throws a VolumeError for a bad subPath or an unknown volume). */
  mounts(container: Obj, prepared: PreparedVolumes, env: { name: string; value: string }[]): Mount[] {
    return mountsFor(container, prepared, { env });
  }

  /** Unmounts and removes the pod's volumes (its containers must be gone). Cheap when there is nothing. */
  async cleanup(uid: string): Promise<void> {
    this.prepared.delete(uid);
    this.failed.delete(uid);
    if (!fs.existsSync(podDir(this.host, uid))) return;
    await cleanupVolumes(uid, this.host);
  }

  forget(uid: string): void {
    this.prepared.delete(uid);
    this.failed.delete(uid);
  }
}
