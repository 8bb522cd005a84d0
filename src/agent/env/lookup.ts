/**
 * ObjectLookup: the reads pod features need (env, volumes), as a small
 * interface so the libraries stay plain and testable. The agent backs it
 * with its Client (`clientLookup`); tests back it with maps (`mapLookup`).
 *
 * Contract: a missing object resolves to `undefined` (the callers turn that
 * into upstream's "not found" messages); any other failure rejects.
 */
import { isApiError } from '../../api/errors.ts';
import { resources } from '../../client/types.ts';
import type { Client, Obj } from '../../client/types.ts';

export interface ObjectLookup {
  configMap(namespace: string, name: string): Promise<Obj | undefined>;
  secret(namespace: string, name: string): Promise<Obj | undefined>;
  /** All Services of a namespace (for service links; `default` for the kubernetes Service). */
  services(namespace: string): Promise<Obj[]>;
  persistentVolumeClaim(namespace: string, name: string): Promise<Obj | undefined>;
  persistentVolume(name: string): Promise<Obj | undefined>;
  node(name: string): Promise<Obj | undefined>;
}

async function orUndefined(p: Promise<Obj>): Promise<Obj | undefined> {
  try {
    return await p;
  } catch (e) {
    if (isApiError(e, 'NotFound')) return undefined;
    throw e;
  }
}

/** A lookup over the agent's Client (one GET per call; callers memoise within a pod sync). */
export function clientLookup(client: Client): ObjectLookup {
  return {
    configMap: (ns, name) => orUndefined(client.get(resources.configmaps, ns, name)),
    secret: (ns, name) => orUndefined(client.get(resources.secrets, ns, name)),
    services: async (ns) => (await client.list(resources.services, ns)).items,
    persistentVolumeClaim: (ns, name) => orUndefined(client.get(resources.persistentvolumeclaims, ns, name)),
    persistentVolume: (name) => orUndefined(client.get(resources.persistentvolumes, '', name)),
    node: (name) => orUndefined(client.get(resources.nodes, '', name)),
  };
}

/** A lookup over plain objects, keyed `namespace/name` (cluster-scoped: `name`). For tests and the simulator. */
export function mapLookup(objs: {
  configMaps?: Obj[];
  secrets?: Obj[];
  services?: Obj[];
  pvcs?: Obj[];
  pvs?: Obj[];
  nodes?: Obj[];
}): ObjectLookup {
  const find = (list: Obj[] | undefined, ns: string, name: string): Obj | undefined =>
    (list ?? []).find((o) => (o.metadata?.namespace ?? '') === ns && o.metadata?.name === name);
  return {
    configMap: async (ns, name) => find(objs.configMaps, ns, name),
    secret: async (ns, name) => find(objs.secrets, ns, name),
    services: async (ns) => (objs.services ?? []).filter((s) => s.metadata?.namespace === ns),
    persistentVolumeClaim: async (ns, name) => find(objs.pvcs, ns, name),
    persistentVolume: async (name) => find(objs.pvs, '', name),
    node: async (name) => find(objs.nodes, '', name),
  };
}
