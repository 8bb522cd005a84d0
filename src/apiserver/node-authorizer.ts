/**
 * What a node credential (`system:node:<name>` in `system:nodes`) may do, as
 * upstream's Node authorizer and system:node role grant a kubelet:
 * - read nodes, pods, services, endpoints(lices) and namespaces (kubelet,
 *   service proxy and DNS on the board need them);
 * - write its own Node and Lease, status of pods, delete pods, and events;
 * - read a Secret, ConfigMap, PersistentVolumeClaim or ServiceAccount only
 *   when a pod bound to this node uses it (by name: get, or list/watch with
 *   `metadata.name=`);
 * - read Ingresses and IngressClasses, and get a Secret by name when an
 *   Ingress of the `bramble` class (or of no class: bramble is the default)
 *   in its namespace names it under `spec.tls` (the built-in ingress
 *   controller on every node serves those certificates; as Traefik's or
 *   ingress-nginx's service account may read them);
 * - read the ConfigMap `kube-system/bramble-tcp-services` (the TCP routes
 *   every node's ingress serves, src/agent/tcp-routes), by name only: get,
 *   or list/watch with `metadata.name=` — no other ConfigMap.
 * Which objects a write may touch (its own Node and Lease, pods bound to it)
 * is checked by the NodeRestriction admission plugin, which sees bodies.
 */
import type { Registry } from '../registry/registry.ts';
import type { Obj } from '../registry/types.ts';
import type { UserInfo } from './http.ts';
import type { Attributes, Authorizer, Decision } from './auth.ts';

const nodePrefix = 'system:node:';

export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes('system:nodes') || !user.name.startsWith(nodePrefix)) return undefined;
  return user.name.slice(nodePrefix.length);
}

const reads = new Set(['get', 'list', 'watch']);
const readable = new Set(['/nodes', '/pods', '/services', '/endpoints', '/namespaces', 'discovery.k8s.io/endpointslices', 'storage.k8s.io/storageclasses', 'node.k8s.io/runtimeclasses', 'networking.k8s.io/ingresses', 'networking.k8s.io/ingressclasses']);
/** namespace/name of the one ConfigMap every node may read: the TCP routes of the built-in ingress. */
export const TCP_ROUTES_CONFIGMAP = 'kube-system/bramble-tcp-services';
const referenced = new Set(['/secrets', '/configmaps', '/persistentvolumeclaims', '/serviceaccounts']);

/** Names of the objects a pod uses, by resource. */
export function podReferences(pod: Obj): Record<string, Set<string>> {
  const out: Record<string, Set<string>> = { secrets: new Set(), configmaps: new Set(), persistentvolumeclaims: new Set(), serviceaccounts: new Set() };
  const spec = pod['spec'] ?? {};
  out['serviceaccounts']!.add(spec.serviceAccountName || 'default');
  for (const s of spec.imagePullSecrets ?? []) if (s.name) out['secrets']!.add(s.name);
  for (const v of spec.volumes ?? []) {
    if (v.secret?.secretName) out['secrets']!.add(v.secret.secretName);
    if (v.configMap?.name) out['configmaps']!.add(v.configMap.name);
    if (v.persistentVolumeClaim?.claimName) out['persistentvolumeclaims']!.add(v.persistentVolumeClaim.claimName);
    for (const src of v.projected?.sources ?? []) {
      if (src.secret?.name) out['secrets']!.add(src.secret.name);
      if (src.configMap?.name) out['configmaps']!.add(src.configMap.name);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c.env ?? []) {
      if (e.valueFrom?.secretKeyRef?.name) out['secrets']!.add(e.valueFrom.secretKeyRef.name);
      if (e.valueFrom?.configMapKeyRef?.name) out['configmaps']!.add(e.valueFrom.configMapKeyRef.name);
    }
    for (const f of c.envFrom ?? []) {
      if (f.secretRef?.name) out['secrets']!.add(f.secretRef.name);
      if (f.configMapRef?.name) out['configmaps']!.add(f.configMapRef.name);
    }
  }
  return out;
}

/** An Ingress the built-in controller (class `bramble`, the default class) serves. */
function servedIngress(i: Obj): boolean {
  const cls = i['spec']?.ingressClassName ?? i['metadata']?.annotations?.['kubernetes.io/ingress.class'];
  return !cls || cls === 'bramble';
}

function nameFromSelector(fieldSelector: string | undefined): string | undefined {
  const m = /^metadata\.name==?([^,]+)$/.exec(fieldSelector ?? '');
  return m?.[1];
}

export function nodeAuthorizer(registry: Registry): Authorizer {
  /** Is `name` of `resource` in `namespace` used by a pod bound to `node`? */
  const usedByNode = async (node: string, resource: string, namespace: string, name: string): Promise<boolean> => {
    const pods = await registry.storeFor('', 'pods').list(namespace, { fieldSelector: `spec.nodeName=${node}` });
    return pods.items.some((p) => podReferences(p)[resource]?.has(name));
  };
  /** Is Secret `name` in `namespace` a TLS secret of an Ingress the built-in controller serves? */
  const ingressTls = async (namespace: string, name: string): Promise<boolean> => {
    const ings = await registry.storeFor('networking.k8s.io', 'ingresses').list(namespace);
    return ings.items.some((i) => servedIngress(i) && (i['spec']?.tls ?? []).some((t: Obj) => t?.secretName === name));
  };
  return {
    async authorize(user: UserInfo, a: Attributes): Promise<Decision> {
      const node = nodeNameOf(user);
      if (!node) return { allowed: false };
      if (a.path !== undefined) return { allowed: a.verb === 'get' };
      const gr = `${a.group}/${a.resource}`;
      if (reads.has(a.verb) && readable.has(gr) && !a.subresource) return { allowed: true };
      if (referenced.has(gr)) {
        if (!reads.has(a.verb) || !a.namespace) return { allowed: false };
        const name = a.verb === 'get' ? a.name : nameFromSelector(a.fieldSelector);
        if (!name) return { allowed: false, reason: 'a node may only read objects its pods use, by name' };
        if (a.resource === 'configmaps' && `${a.namespace}/${name}` === TCP_ROUTES_CONFIGMAP) return { allowed: true };
        if (await usedByNode(node, a.resource, a.namespace, name)) return { allowed: true };
        return { allowed: a.resource === 'secrets' && a.verb === 'get' && (await ingressTls(a.namespace, name)) };
      }
      switch (gr) {
        case '/nodes':
          // Its own Node and its status; which one is checked at admission.
          return { allowed: ['create', 'update', 'patch'].includes(a.verb) && (a.name === '' || a.name === node) };
        case 'coordination.k8s.io/leases':
          return { allowed: a.namespace === 'kube-node-lease' && (reads.has(a.verb) || ['create', 'update', 'patch'].includes(a.verb)) };
        case '/pods':
          if (a.subresource === 'status') return { allowed: ['get', 'update', 'patch'].includes(a.verb) };
          return { allowed: a.verb === 'delete' && !a.subresource };
        case '/events':
        case 'events.k8s.io/events':
          return { allowed: ['create', 'update', 'patch'].includes(a.verb) };
        default:
          return { allowed: false };
      }
    },
  };
}
