/**
 * StatefulSet revisions (upstream getStatefulSetRevisions, ApplyRevision and
 * truncateHistory). The update revision snapshots the set's current
 * template: the newest revision if it is equal, an older equal one
 * renumbered as newest (a rollback), or a new one. The current revision is
 * the one `status.currentRevision` names, or the update revision the first
 * time. Pods not yet at the update revision are recreated from it in
 * reverse ordinal order (down to the partition).
 */
import type { Client, Obj } from '../../client/types.ts';
import { equalRevision, findEqualRevisions, newRevision, nextRevision, sortRevisions, templateData, templateOf } from '../history/revision.ts';
import { createRevision, deleteRevision, setRevisionNumber } from '../history/store.ts';
import { podRevision } from './identity.ts';

export interface SetRevisions {
  current: Obj;
  update: Obj;
  collisionCount: number;
}

/** The revision object the set's template would be stored as, numbered `revision`. */
export function revisionFor(set: Obj, revision: number, collisionCount: number): Obj {
  return newRevision({
    parent: set,
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    labels: set['spec']?.template?.metadata?.labels,
    data: templateData(set['spec']?.template),
    revision,
    collisionCount,
  });
}

/** `revisions` must be the ones the set controls. May create or renumber one. */
export async function getSetRevisions(client: Client, set: Obj, revisions: readonly Obj[]): Promise<SetRevisions> {
  const sorted = sortRevisions(revisions);
  const collision = { value: set['status']?.collisionCount ?? 0 };
  let update = revisionFor(set, nextRevision(sorted), collision.value);
  const equal = findEqualRevisions(sorted, update);
  const latest = sorted[sorted.length - 1];
  if (equal.length && latest && equalRevision(latest, equal[equal.length - 1])) update = latest;
  else if (equal.length) update = await setRevisionNumber(client, equal[equal.length - 1]!, update['revision']);
  else update = await createRevision(client, set['metadata'].name, update, collision);
  const currentName = set['status']?.currentRevision;
  const current = sorted.find((r) => r['metadata'].name === currentName) ?? update;
  return { current, update, collisionCount: collision.value };
}

/** The set as of `revision`: its template replaced by the revision's (upstream ApplyRevision). */
export function applyRevision(set: Obj, revision: Obj): Obj {
  const clone = structuredClone(set);
  const template = templateOf(revision);
  if (template) clone['spec'].template = structuredClone(template);
  return clone;
}

/**
 * Deletes revisions beyond revisionHistoryLimit, oldest first, sparing the
 * current and update revisions and any a pod still runs.
 */
export async function truncateHistory(client: Client, set: Obj, pods: readonly Obj[], revisions: readonly Obj[], current: Obj | undefined, update: Obj | undefined): Promise<void> {
  const live = new Set<string>();
  if (current) live.add(current['metadata'].name);
  if (update) live.add(update['metadata'].name);
  for (const p of pods) live.add(podRevision(p));
  const history = sortRevisions(revisions).filter((r) => !live.has(r['metadata'].name));
  const limit: number = set['spec']?.revisionHistoryLimit ?? 10;
  if (limit < 0 || history.length <= limit) return;
  for (const r of history.slice(0, history.length - limit)) await deleteRevision(client, r);
}
