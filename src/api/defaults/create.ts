/**
 * What upstream registry strategies set when an object is created
 * (PrepareForCreate), beyond scheme defaulting: status reset to its zero
 * shape, generation 1, a Namespace's `kubernetes` finalizer, a Job's
 * generated selector, a Pod's phase and QoS class.
 *
 * The registry calls this after assigning metadata.uid and the final name,
 * and before validation.
 */
import { parseQuantity, type Quantity } from '../quantity.ts';
import { findKind } from '../resources.ts';
import { child, each, isObj, type Obj } from './pod-spec.ts';

/** The annotation holding a DaemonSet's template generation. */
export const daemonSetTemplateGeneration = 'deprecated.daemonset.template.generation';

/** Go serializes a freshly reset status with its non-omitempty counters. */
const ZERO_STATUS: Record<string, () => Obj> = {
  '/Service': () => ({ loadBalancer: {} }),
  '/ResourceQuota': () => ({}),
  '/PersistentVolumeClaim': () => ({ phase: 'Pending' }),
  'apps/Deployment': () => ({}),
  'apps/ReplicaSet': () => ({ replicas: 0 }),
  'apps/DaemonSet': () => ({ currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 }),
  'apps/StatefulSet': () => ({ availableReplicas: 0, replicas: 0 }),
  'batch/Job': () => ({}),
  'batch/CronJob': () => ({}),
  'networking.k8s.io/Ingress': () => ({ loadBalancer: {} }),
  'policy/PodDisruptionBudget': () => ({ currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 }),
};

const QOS_RESOURCES = ['cpu', 'memory'];

/** The pod's QoS class, computed as upstream's GetPodQOS. */
export function podQOSClass(pod: Obj): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const add = (m: Map<string, Quantity>, name: string, q: Quantity) => m.set(name, m.has(name) ? m.get(name)!.add(q) : q);
  const spec = isObj(pod.spec) ? pod.spec : {};
  for (const list of [spec.containers, spec.initContainers])
    each(list, (c) => {
      const r = isObj(c.resources) ? c.resources : {};
      for (const [name, v] of Object.entries(isObj(r.requests) ? r.requests : {})) {
        const q = parseQuantity(v as string);
        if (QOS_RESOURCES.includes(name) && q.ok && q.quantity.sign() > 0) add(requests, name, q.quantity);
      }
      const found = new Set<string>();
      for (const [name, v] of Object.entries(isObj(r.limits) ? r.limits : {})) {
        const q = parseQuantity(v as string);
        if (QOS_RESOURCES.includes(name) && q.ok && q.quantity.sign() > 0) {
          found.add(name);
          add(limits, name, q.quantity);
        }
      }
      if (!QOS_RESOURCES.every((n) => found.has(n))) guaranteed = false;
    });
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed)
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || lim.cmp(req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** generateSelector: pod labels and a selector naming this Job's uid. */
function generateJobSelector(job: Obj): void {
  const meta = child(job, 'metadata');
  const spec = child(job, 'spec');
  if (spec.manualSelector === true) return;
  const tmeta = child(child(spec, 'template'), 'metadata');
  const labels = child(tmeta, 'labels');
  const name = String(meta.name ?? '');
  const uid = String(meta.uid ?? '');
  for (const k of ['job-name', 'batch.kubernetes.io/job-name']) if (!(k in labels)) labels[k] = name;
  for (const k of ['controller-uid', 'batch.kubernetes.io/controller-uid']) if (!(k in labels)) labels[k] = uid;
  const matchLabels = child(child(spec, 'selector'), 'matchLabels');
  if (!('batch.kubernetes.io/controller-uid' in matchLabels)) matchLabels['batch.kubernetes.io/controller-uid'] = uid;
  // Defaulting runs again when upstream reads the object back: the Job's own
  // labels then come from the (now generated) template labels.
  if (!(isObj(meta.labels) && Object.keys(meta.labels).length)) meta.labels = { ...labels };
}

/**
 * Applies create-time strategy changes for `gvk`, in place. `now` stamps
 * times the strategy sets (a PersistentVolume's lastPhaseTransitionTime).
 */
export function prepareForCreate(gvk: { group: string; version: string; kind: string }, obj: Record<string, any>, now = new Date()): void {
  const key = `${gvk.group}/${gvk.kind}`;
  const zero = ZERO_STATUS[key];
  if (zero) obj.status = zero();
  if (findKind(gvk.group, gvk.version, gvk.kind)?.generation) child(obj, 'metadata').generation = 1;
  switch (key) {
    case '/Namespace': {
      const spec = child(obj, 'spec');
      const finalizers: string[] = Array.isArray(spec.finalizers) ? spec.finalizers : [];
      if (!finalizers.includes('kubernetes')) spec.finalizers = [...finalizers, 'kubernetes'];
      obj.status = { phase: 'Active' };
      break;
    }
    case '/Pod':
      obj.status = { phase: 'Pending', qosClass: podQOSClass(obj) };
      break;
    case '/PersistentVolume':
      obj.status = { phase: 'Pending', lastPhaseTransitionTime: now.toISOString().replace(/\.\d+Z$/, 'Z') };
      break;
    case 'batch/Job':
      generateJobSelector(obj);
      break;
    case 'apps/DaemonSet': {
      // apps/v1 keeps the template generation in this annotation (it has no field for it).
      const meta = child(obj, 'metadata');
      meta.annotations = { ...(isObj(meta.annotations) ? meta.annotations : {}), [daemonSetTemplateGeneration]: '1' };
      break;
    }
  }
}
