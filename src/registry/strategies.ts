/**
 * Per-resource behaviour, following upstream's REST strategies
 * (pkg/registry/<group>/<resource>/strategy.go): what create resets, what
 * updates of the main resource vs. the status subresource may change, the
 * fields a field selector can use, and how deletion proceeds.
 */
import type { ResourceInfo } from '../api/resources.ts';
import { clone, jsonEqual } from './object-meta.ts';
import type { Obj, Strategy } from './types.ts';

/** Resources with a status subresource: the main resource cannot change status, and vice versa. */
function statusSplit(): Strategy {
  return {
    prepareForUpdate(obj, old, sub) {
      if (sub !== 'status') {
        if (old['status'] === undefined) delete obj['status'];
        else obj['status'] = clone(old['status']);
      }
    },
  };
}

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

const pod: Strategy = {
  // A binding sets spec.nodeName and the PodScheduled condition together.
  prepareForUpdate(obj, old, sub) {
    if (sub === 'status' || sub === 'binding') return;
    if (old['status'] === undefined) delete obj['status'];
    else obj['status'] = clone(old['status']);
  },
  fields: (o) => ({
    'spec.nodeName': str(o['spec']?.nodeName),
    'spec.restartPolicy': str(o['spec']?.restartPolicy),
    'spec.schedulerName': str(o['spec']?.schedulerName),
    'spec.serviceAccountName': str(o['spec']?.serviceAccountName),
    'spec.hostNetwork': String(o['spec']?.hostNetwork === true),
    'status.phase': str(o['status']?.phase),
    'status.podIP': str(o['status']?.podIP),
    'status.nominatedNodeName': str(o['status']?.nominatedNodeName),
  }),
  // An unscheduled or finished pod has nothing to stop, so it goes at once;
  // otherwise the node agent stops it and then completes the deletion.
  gracePeriod(o, requested) {
    if (!o['spec']?.nodeName) return 0;
    const phase = o['status']?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return 0;
    const g = requested ?? o['spec']?.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, g);
  },
  returnDeletedObject: true,
};

const immortalNamespaces = new Set(['default', 'kube-system', 'kube-public']);

const namespace: Strategy = {
  prepareForUpdate(obj, old, sub) {
    if (sub === 'finalize') {
      const finalizers = obj['spec']?.finalizers;
      Object.assign(obj, clone({ ...old, metadata: obj['metadata'] }));
      obj['spec'] = { ...(old['spec'] ?? {}), finalizers };
      if (!finalizers?.length) delete obj['spec'].finalizers;
      return;
    }
    if (sub === 'status') return;
    obj['status'] = clone(old['status']);
    if (sub === '') {
      if (old['spec']?.finalizers) obj['spec'] = { ...(obj['spec'] ?? {}), finalizers: clone(old['spec'].finalizers) };
      else if (obj['spec']) delete obj['spec'].finalizers;
    }
  },
  fields: (o) => ({ 'status.phase': str(o['status']?.phase) }),
  forbidDelete: (o) => (immortalNamespaces.has(o['metadata']?.name) ? 'this namespace may not be deleted' : undefined),
  // The namespace controller empties a terminating namespace, then clears spec.finalizers.
  readyToDelete: (o) => !o['metadata']?.finalizers?.length && !o['spec']?.finalizers?.length,
  markDeleting(o) {
    o['status'] = { ...(o['status'] ?? {}), phase: 'Terminating' };
  },
  returnDeletedObject: true,
};

const node: Strategy = {
  // Agents register their Node with its status already filled in.
  prepareForUpdate(obj, old, sub) {
    if (sub !== 'status') obj['status'] = clone(old['status']);
  },
  // A periodic status post that only moves the conditions' heartbeat times.
  deferrable(next, old) {
    const strip = (o: Obj) => {
      const b = withoutBookkeeping(o);
      const conditions = (b['status']?.conditions ?? []).map(({ lastHeartbeatTime: _t, ...c }: Obj) => c);
      return { ...b, status: { ...(b['status'] ?? {}), conditions } };
    };
    return jsonEqual(strip(next), strip(old));
  },
  fields: (o) => ({ 'spec.unschedulable': String(o['spec']?.unschedulable === true) }),
};

const event: Strategy = {
  allowCreateOnUpdate: true,
  fields: (o) => {
    const io = o['involvedObject'] ?? {};
    return {
      'involvedObject.kind': str(io.kind),
      'involvedObject.namespace': str(io.namespace),
      'involvedObject.name': str(io.name),
      'involvedObject.uid': str(io.uid),
      'involvedObject.apiVersion': str(io.apiVersion),
      'involvedObject.resourceVersion': str(io.resourceVersion),
      'involvedObject.fieldPath': str(io.fieldPath),
      reason: str(o['reason']),
      reportingComponent: str(o['reportingComponent']),
      source: str(o['source']?.component),
      type: str(o['type']),
    };
  },
};

/** `obj` without its version and field-manager bookkeeping, for "only a heartbeat changed" checks. */
function withoutBookkeeping(obj: Obj): Obj {
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = obj['metadata'] ?? {};
  return { ...obj, metadata: meta };
}

/** A node Lease renewal: nothing but spec.renewTime changed. */
const nodeLease: Strategy = {
  allowCreateOnUpdate: true,
  deferrable(next, old) {
    if (next['metadata']?.namespace !== 'kube-node-lease') return false;
    const strip = (o: Obj) => {
      const b = withoutBookkeeping(o);
      return { ...b, spec: { ...(b['spec'] ?? {}), renewTime: undefined } };
    };
    return jsonEqual(strip(next), strip(old));
  },
};

const templateGeneration = 'deprecated.daemonset.template.generation';

/** DaemonSets count template changes in an annotation, as upstream's registry does for apps/v1. */
const daemonSet: Strategy = {
  prepareForUpdate(obj, old, sub) {
    statusSplit().prepareForUpdate!(obj, old, sub);
    if (sub !== '') return;
    const prev = Number(old['metadata']?.annotations?.[templateGeneration] ?? '0') || 0;
    const next = jsonEqual(obj['spec']?.template, old['spec']?.template) ? prev : prev + 1;
    const m = obj['metadata'];
    if (next > 0) m.annotations = { ...(m.annotations ?? {}), [templateGeneration]: String(next) };
  },
};

/** Strategy for a resource; unknown resources get generic behaviour. */
export function strategyFor(info: ResourceInfo): Strategy {
  const hasStatus = info.subresources.some((s) => s.name === 'status');
  const key = `${info.group}/${info.resource}`;
  switch (key) {
    case '/pods':
      return pod;
    case '/namespaces':
      return namespace;
    case '/nodes':
      return node;
    case '/events':
    case 'events.k8s.io/events':
      return event;
    case '/services':
      return { ...statusSplit(), fields: (o) => ({ 'spec.clusterIP': str(o['spec']?.clusterIP), 'spec.type': str(o['spec']?.type) }), returnDeletedObject: true };
    case '/secrets':
      return { fields: (o) => ({ type: str(o['type']) }) };
    case '/endpoints':
      return { allowCreateOnUpdate: true };
    case 'coordination.k8s.io/leases':
      return nodeLease;
    case '/persistentvolumes':
    case '/persistentvolumeclaims':
      return statusSplit();
    case 'apps/daemonsets':
      return daemonSet;
    case 'apps/replicasets':
      return { ...statusSplit(), fields: (o) => ({ 'status.replicas': String(o['status']?.replicas ?? 0) }) };
    case 'batch/jobs':
      // batch/v1 keeps a Job's pods when the request names no propagation policy, as upstream.
      return { ...statusSplit(), fields: (o) => ({ 'status.successful': String(o['status']?.succeeded ?? 0) }), defaultPropagation: 'Orphan' };
    default:
      return hasStatus ? statusSplit() : {};
  }
}
