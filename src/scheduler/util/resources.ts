/**
 * Resource arithmetic for scheduling, as upstream's framework.Resource and
 * resourcehelper.PodRequests: CPU in millicores, memory and storage in
 * bytes, extended resources and hugepages as whole units. Quantities are
 * summed exactly (src/api/quantity.ts) and converted once, so requests
 * never drift.
 */
import { parseQuantity, Quantity } from '../../api/quantity.ts';
import type { Obj } from '../../client/types.ts';

export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended resources, hugepages and attachable volumes, by name; absent when none. */
  scalar?: Map<string, number>;
}

/** What the scheduler assumes a container without a CPU/memory request uses, for scoring only. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0 };
}

/** Adds `r` × `sign` into `into`. */
export function addResources(into: Resources, r: Resources, sign = 1): void {
  into.milliCPU += sign * r.milliCPU;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  if (r.scalar) {
    into.scalar ??= new Map();
    for (const [k, v] of r.scalar) {
      const n = (into.scalar.get(k) ?? 0) + sign * v;
      if (n === 0) into.scalar.delete(k);
      else into.scalar.set(k, n);
    }
  }
}

/**
 * Resources the scheduler tracks beyond cpu, memory and ephemeral-storage
 * (upstream IsScalarResourceName): hugepages, attachable volumes, and any
 * domain-prefixed name (`example.com/gpu`, `kubernetes.io/...`).
 */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  return name.includes('/') && !name.startsWith('requests.');
}

function tracked(name: string): boolean {
  return name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || isScalarResourceName(name);
}

type QList = Map<string, Quantity>;

function toQList(list: unknown): QList {
  const out: QList = new Map();
  if (!list || typeof list !== 'object') return out;
  for (const [k, v] of Object.entries(list as Obj)) {
    if (!tracked(k) || (typeof v !== 'string' && typeof v !== 'number')) continue;
    const q = parseQuantity(v);
    if (q.ok) out.set(k, q.quantity);
  }
  return out;
}

function addQ(into: QList, list: QList): void {
  for (const [k, q] of list) {
    const cur = into.get(k);
    into.set(k, cur ? cur.add(q) : q);
  }
}

function maxQ(into: QList, list: QList): void {
  for (const [k, q] of list) {
    const cur = into.get(k);
    if (!cur || q.cmp(cur) > 0) into.set(k, q);
  }
}

const DEFAULT_CPU_Q = Quantity.milli(DEFAULT_MILLI_CPU_REQUEST);
const DEFAULT_MEM_Q = Quantity.of(DEFAULT_MEMORY_REQUEST);

function containerRequests(c: Obj, nonMissing: boolean): QList {
  const list = toQList(c?.['resources']?.requests);
  if (nonMissing) {
    if (!list.has('cpu')) list.set('cpu', DEFAULT_CPU_Q);
    if (!list.has('memory')) list.set('memory', DEFAULT_MEM_Q);
  }
  return list;
}

/**
 * A pod's effective requests: the sum of its containers and of its sidecars
 * (restartable init containers), or the largest need of any init container
 * while it runs beside the sidecars started before it, whichever is larger
 * per resource, plus the pod overhead. With `nonMissing`, a container that
 * does not request CPU or memory counts as the scoring defaults.
 */
function podRequestList(spec: Obj, nonMissing: boolean): QList {
  const reqs: QList = new Map();
  for (const c of spec['containers'] ?? []) addQ(reqs, containerRequests(c, nonMissing));
  const sidecars: QList = new Map();
  const initMax: QList = new Map();
  for (const c of spec['initContainers'] ?? []) {
    const own = containerRequests(c, nonMissing);
    if (c?.restartPolicy === 'Always') {
      addQ(reqs, own);
      addQ(sidecars, own);
      maxQ(initMax, sidecars);
    } else {
      const during: QList = new Map();
      addQ(during, own);
      addQ(during, sidecars);
      maxQ(initMax, during);
    }
  }
  maxQ(reqs, initMax);
  if (spec['overhead']) addQ(reqs, toQList(spec['overhead']));
  return reqs;
}

function fromQList(list: QList): Resources {
  const r = emptyResources();
  for (const [k, q] of list) {
    if (k === 'cpu') r.milliCPU = q.milliValue();
    else if (k === 'memory') r.memory = q.value();
    else if (k === 'ephemeral-storage') r.ephemeralStorage = q.value();
    else {
      const v = q.value();
      if (v !== 0) (r.scalar ??= new Map()).set(k, v);
    }
  }
  return r;
}

/** The requests NodeResourcesFit checks and NodeInfo.requested sums. */
export function podRequests(spec: Obj): Resources {
  return fromQList(podRequestList(spec, false));
}

/** CPU and memory with the scoring defaults for containers that request none. */
export function podNonZeroRequests(spec: Obj): { milliCPU: number; memory: number } {
  const r = fromQList(podRequestList(spec, true));
  return { milliCPU: r.milliCPU, memory: r.memory };
}

/** A node's allocatable resources (capacity when allocatable is missing) and its pod limit. */
export function nodeAllocatable(node: Obj): { allocatable: Resources; allowedPods: number } {
  const status = node['status'] ?? {};
  const list = status.allocatable ?? status.capacity ?? {};
  const allocatable = fromQList(toQList(list));
  const pods = list.pods !== undefined ? parseQuantity(list.pods) : undefined;
  return { allocatable, allowedPods: pods?.ok ? pods.quantity.value() : 0 };
}
