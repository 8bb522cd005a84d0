/**
 * events.k8s.io/v1 Events are core/v1 Events in another shape (upstream
 * serves both from one storage). We store the core shape and convert.
 */
import type { Conversion } from './store.ts';
import type { Obj } from './types.ts';

const renames: [core: string, v1: string][] = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
  ['reportingComponent', 'reportingController'],
];

function rename(obj: Obj, pairs: [string, string][], apiVersion: string): Obj {
  const out: Obj = { ...obj, apiVersion };
  for (const [from, to] of pairs) {
    if (from in out) {
      const v = out[from];
      delete out[from];
      if (v !== undefined && v !== null && v !== '') out[to] = v;
    }
  }
  return out;
}

export const eventsV1Conversion: Conversion = {
  fromStored: (core) => rename(core, renames, 'events.k8s.io/v1'),
  toStored: (v1) => rename(v1, renames.map(([c, v]) => [v, c] as [string, string]), 'v1'),
};
