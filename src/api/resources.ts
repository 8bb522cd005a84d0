/**
 * The built-in resources bramble serves, as upstream Kubernetes 1.32 serves
 * them: group, version, kind, plural, scope, short names, categories and
 * subresources. Discovery, OpenAPI, Tables and the registry all read this
 * table; behaviour per resource lives in the registry.
 */

export interface SubresourceInfo {
  name: string;
  /** The kind the subresource accepts/returns when it differs from the parent. */
  kind?: { group: string; version: string; kind: string };
  verbs: string[];
}

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** Plural, lower case: the URL segment. */
  resource: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources: SubresourceInfo[];
  verbs: string[];
  /** Increment metadata.generation on spec changes (upstream strategies do this for these kinds). */
  generation?: boolean;
  /**
   * Another resource whose stored objects this one presents: events.k8s.io
   * Events are core Events in another shape.
   */
  storedAs?: { group: string; resource: string };
}

const crud = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const status: SubresourceInfo = { name: 'status', verbs: ['get', 'patch', 'update'] };
const scale: SubresourceInfo = {
  name: 'scale',
  kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
  verbs: ['get', 'patch', 'update'],
};

function r(
  group: string,
  version: string,
  kind: string,
  resource: string,
  namespaced: boolean,
  extra: Partial<ResourceInfo> = {},
): ResourceInfo {
  return {
    group,
    version,
    kind,
    resource,
    singular: kind.toLowerCase(),
    namespaced,
    subresources: [],
    verbs: crud,
    ...extra,
  };
}

export const resources: ResourceInfo[] = [
  // core/v1
  r('', 'v1', 'Namespace', 'namespaces', false, {
    shortNames: ['ns'],
    subresources: [status, { name: 'finalize', verbs: ['update'] }],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  r('', 'v1', 'Node', 'nodes', false, { shortNames: ['no'], subresources: [status] }),
  r('', 'v1', 'Pod', 'pods', true, {
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      status,
      { name: 'binding', kind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] },
      { name: 'eviction', kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] },
      { name: 'log', verbs: ['get'] },
      { name: 'exec', kind: { group: '', version: 'v1', kind: 'PodExecOptions' }, verbs: ['create', 'get'] },
      { name: 'attach', kind: { group: '', version: 'v1', kind: 'PodAttachOptions' }, verbs: ['create', 'get'] },
      { name: 'portforward', kind: { group: '', version: 'v1', kind: 'PodPortForwardOptions' }, verbs: ['create', 'get'] },
    ],
  }),
  r('', 'v1', 'Binding', 'bindings', true, { verbs: ['create'] }),
  r('', 'v1', 'Service', 'services', true, {
    shortNames: ['svc'],
    categories: ['all'],
    subresources: [status],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  r('', 'v1', 'Endpoints', 'endpoints', true, { singular: 'endpoints', shortNames: ['ep'] }),
  r('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  r('', 'v1', 'Secret', 'secrets', true),
  r('', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  r('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'] }),
  r('', 'v1', 'PersistentVolume', 'persistentvolumes', false, { shortNames: ['pv'], subresources: [status] }),
  r('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, { shortNames: ['pvc'], subresources: [status] }),
  r('', 'v1', 'ResourceQuota', 'resourcequotas', true, { shortNames: ['quota'], subresources: [status] }),
  r('', 'v1', 'LimitRange', 'limitranges', true, { shortNames: ['limits'] }),
  // apps/v1
  r('apps', 'v1', 'Deployment', 'deployments', true, {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [status, scale],
    generation: true,
  }),
  r('apps', 'v1', 'ReplicaSet', 'replicasets', true, {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: [status, scale],
    generation: true,
  }),
  r('apps', 'v1', 'DaemonSet', 'daemonsets', true, {
    shortNames: ['ds'],
    categories: ['all'],
    subresources: [status],
    generation: true,
  }),
  r('apps', 'v1', 'StatefulSet', 'statefulsets', true, {
    shortNames: ['sts'],
    categories: ['all'],
    subresources: [status, scale],
    generation: true,
  }),
  r('apps', 'v1', 'ControllerRevision', 'controllerrevisions', true),
  // batch/v1
  r('batch', 'v1', 'Job', 'jobs', true, { categories: ['all'], subresources: [status], generation: true }),
  r('batch', 'v1', 'CronJob', 'cronjobs', true, {
    shortNames: ['cj'],
    categories: ['all'],
    subresources: [status],
    generation: true,
  }),
  // networking.k8s.io/v1
  r('networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, { shortNames: ['ing'], subresources: [status], generation: true }),
  r('networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false, { generation: true }),
  // coordination.k8s.io/v1
  r('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  // discovery.k8s.io/v1
  r('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
  // storage.k8s.io/v1
  r('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, { shortNames: ['sc'] }),
  // policy/v1
  r('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, {
    shortNames: ['pdb'],
    subresources: [status],
    generation: true,
  }),
  // events.k8s.io/v1: the same stored objects as core/v1 events, in another shape
  r('events.k8s.io', 'v1', 'Event', 'events', true, { shortNames: ['ev'], storedAs: { group: '', resource: 'events' } }),
];

/** Group names in the order discovery lists them (core first, then as upstream orders them). */
export const groupOrder = [
  '',
  'apps',
  'events.k8s.io',
  'batch',
  'networking.k8s.io',
  'policy',
  'storage.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
];

export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return resources.find((x) => x.group === group && x.version === version && x.resource === resource);
}

export function findKind(group: string, version: string, kind: string): ResourceInfo | undefined {
  return resources.find((x) => x.group === group && x.version === version && x.kind === kind);
}

export function apiVersionOf(info: { group: string; version: string }): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}
