/**
 * The client seam: how controllers, the scheduler and agents talk to the
 * API. Two implementations pass one conformance suite (client.suite.ts):
 * - `InProcessClient` calls the registry directly, as a given user; the
 *   server's own controllers and scheduler use it (no HTTP encoding, and
 *   watch events are shared with other watchers);
 * - `HttpClient` speaks HTTPS/HTTP2 to a server; agents and tests use it.
 *
 * Failures are ApiErrors from the error catalogue (NotFound, Conflict, …),
 * whichever implementation raised them.
 */
import type { ApiWatchEvent, DeleteOptions, ListOptions, ListResult, Obj, PatchType, WatchOptions, WriteOptions } from '../registry/types.ts';

/** A group/version/resource. */
export interface ResourceId {
  group: string;
  version: string;
  resource: string;
}

const gvr = (group: string, version: string, resource: string): ResourceId => ({ group, version, resource });

/** The resources controllers use, by name. */
export const resources = {
  namespaces: gvr('', 'v1', 'namespaces'),
  nodes: gvr('', 'v1', 'nodes'),
  pods: gvr('', 'v1', 'pods'),
  services: gvr('', 'v1', 'services'),
  endpoints: gvr('', 'v1', 'endpoints'),
  configmaps: gvr('', 'v1', 'configmaps'),
  secrets: gvr('', 'v1', 'secrets'),
  events: gvr('', 'v1', 'events'),
  serviceaccounts: gvr('', 'v1', 'serviceaccounts'),
  persistentvolumes: gvr('', 'v1', 'persistentvolumes'),
  persistentvolumeclaims: gvr('', 'v1', 'persistentvolumeclaims'),
  resourcequotas: gvr('', 'v1', 'resourcequotas'),
  limitranges: gvr('', 'v1', 'limitranges'),
  deployments: gvr('apps', 'v1', 'deployments'),
  replicasets: gvr('apps', 'v1', 'replicasets'),
  daemonsets: gvr('apps', 'v1', 'daemonsets'),
  statefulsets: gvr('apps', 'v1', 'statefulsets'),
  controllerrevisions: gvr('apps', 'v1', 'controllerrevisions'),
  jobs: gvr('batch', 'v1', 'jobs'),
  cronjobs: gvr('batch', 'v1', 'cronjobs'),
  ingresses: gvr('networking.k8s.io', 'v1', 'ingresses'),
  leases: gvr('coordination.k8s.io', 'v1', 'leases'),
  endpointslices: gvr('discovery.k8s.io', 'v1', 'endpointslices'),
  poddisruptionbudgets: gvr('policy', 'v1', 'poddisruptionbudgets'),
  storageclasses: gvr('storage.k8s.io', 'v1', 'storageclasses'),
} as const;

export interface ClientWatch {
  /**
   * Calls `onEvents` with each batch of events (initial ADDED events first
   * when the watch started at resourceVersion "" or "0"). Resolves when the
   * watch ends: its signal aborted, its timeout passed, or the server closed
   * it. An expired resourceVersion arrives as an ERROR event (410) first.
   */
  pump(onEvents: (events: ApiWatchEvent[]) => void): Promise<void>;
}

export type { ApiWatchEvent, DeleteOptions, ListOptions, ListResult, Obj, PatchType, WatchOptions, WriteOptions };

export interface Client {
  /** The user this client acts as (for logs and events). */
  readonly userName: string;
  get(r: ResourceId, namespace: string, name: string, opts?: { resourceVersion?: string }): Promise<Obj>;
  list(r: ResourceId, namespace: string, opts?: ListOptions): Promise<ListResult>;
  watch(r: ResourceId, namespace: string, opts: WatchOptions & { timeoutSeconds?: number }, signal: AbortSignal): Promise<ClientWatch>;
  create(r: ResourceId, namespace: string, obj: Obj, opts?: WriteOptions): Promise<Obj>;
  /** PUT; `subresource` for status (and namespaces/finalize). */
  update(r: ResourceId, namespace: string, obj: Obj, opts?: WriteOptions & { subresource?: string }): Promise<Obj>;
  patch(r: ResourceId, namespace: string, name: string, type: PatchType | 'apply', body: unknown, opts?: WriteOptions & { subresource?: string }): Promise<Obj>;
  /** Resolves once the object is deleted or marked for deletion. */
  delete(r: ResourceId, namespace: string, name: string, opts?: DeleteOptions): Promise<void>;
  /** POST to a subresource: pods/binding, pods/eviction. */
  createSubresource(r: ResourceId, namespace: string, name: string, subresource: string, body: Obj): Promise<void>;
}

/** `namespace/name`, or `name` for cluster-scoped objects: the workqueue key upstream uses. */
export function keyOf(obj: Obj): string {
  const m = obj['metadata'] ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : m.name;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
