/**
 * What one Job sync works with (upstream syncJobCtx), and the pod
 * predicates the sync steps share.
 */
import type { EventRecorder } from '../../client/events.ts';
import type { Client, Obj } from '../../client/types.ts';
import type { Expectations } from '../common/expectations.ts';
import type { BackoffRecord } from './backoff.ts';
import type { JobCondition } from './conditions.ts';
import type { Intervals } from './indexes.ts';

export interface JobSync {
  key: string;
  /** A private copy of the Job; its status is what gets written. */
  job: Obj;
  pods: Obj[];
  activePods: Obj[];
  ready: number;
  terminating: number;
  uncountedSucceeded: Set<string>;
  uncountedFailed: Set<string>;
  /** Pods whose finalizer removal was sent but not yet seen: already counted. */
  expectedRmFinalizers: Set<string>;
  succeeded: number;
  failed: number;
  newBackoff: BackoffRecord;
  /** The condition the Job is heading for, if it is finishing. */
  finished?: JobCondition;
  prevSucceededIndexes?: Intervals;
  succeededIndexes?: Intervals;
}

/** Tracks pods whose tracking finalizer this controller is removing, per Job (upstream uidTrackingExpectations). */
export class FinalizerExpectations {
  private readonly byJob = new Map<string, Set<string>>();

  expectRemoved(key: string, uids: readonly string[]): void {
    let s = this.byJob.get(key);
    if (!s) this.byJob.set(key, (s = new Set()));
    for (const u of uids) s.add(u);
  }

  observed(key: string, uid: string): void {
    const s = this.byJob.get(key);
    if (!s) return;
    s.delete(uid);
    if (!s.size) this.byJob.delete(key);
  }

  expected(key: string): Set<string> {
    return new Set(this.byJob.get(key) ?? []);
  }

  delete(key: string): void {
    this.byJob.delete(key);
  }
}

export interface JobDeps {
  client: Client;
  recorder: EventRecorder;
  creations: Expectations;
  deletions: Expectations;
  finalizers: FinalizerExpectations;
  /** Backoff records by Job key (upstream's in-memory backoff store). */
  backoff: Map<string, BackoffRecord>;
  /**
   * The resourceVersion of each Job's last status write. A sync from a cache
   * older than that would be refused (Conflict), so it waits for the
   * informer to deliver the write, which enqueues the Job again.
   */
  written: Map<string, number>;
  now(): number;
}

/** Pods are replaced only once Failed (not while terminating) with podReplacementPolicy Failed or a podFailurePolicy. */
export function onlyReplaceFailedPods(job: Obj): boolean {
  return job['spec']?.podReplacementPolicy === 'Failed' || !!job['spec']?.podFailurePolicy;
}

/** Failed, or (unless only failed pods are replaced) being deleted without having succeeded (upstream isPodFailed). */
export function isPodFailed(pod: Obj, job: Obj): boolean {
  const phase = pod['status']?.phase;
  if (phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return !!pod['metadata']?.deletionTimestamp && phase !== 'Succeeded';
}

/** Terminating pods that have not reached a terminal phase. */
export function countTerminating(pods: readonly Obj[]): number {
  return pods.filter((p) => p['metadata']?.deletionTimestamp && p['status']?.phase !== 'Failed' && p['status']?.phase !== 'Succeeded').length;
}

export function isSuspended(job: Obj): boolean {
  return job['spec']?.suspend === true;
}

/** The Job with its type fields (cached list items lack them; events need them). */
export function typedJob(job: Obj): Obj {
  return job['kind'] ? job : { apiVersion: 'batch/v1', kind: 'Job', ...job };
}
