/**
 * Create, update and patch for a Store, following upstream's generic
 * registry: decode and type-check, default, fill system metadata, mutating
 * admission, the strategy, validation, validating admission, field
 * managers, then compare-and-swap in storage. Updates without a resourceVersion precondition retry on a lost
 * race (upstream's GuaranteedUpdate); with one, a lost race is a 409.
 */
import { ApiError, errors } from '../api/errors.ts';
import { clone, generateName, jsonEqual, meta, newUID, nowTime } from './object-meta.ts';
import { parseRV, type Store } from './store.ts';
import { finishDeletionIfReady } from './store-delete.ts';
import type { Obj, PatchType, WriteContext } from './types.ts';

const maxRetries = 16;

/** The field manager of a request: `?fieldManager=`, else the User-Agent's product name, as upstream. */
export function managerOf(ctx: WriteContext): string {
  if (ctx.fieldManager) return ctx.fieldManager;
  const ua = ctx.userAgent ?? '';
  const slash = ua.indexOf('/');
  return (slash >= 0 ? ua.slice(0, slash) : ua) || 'unknown';
}

function checkTypeMeta(store: Store, obj: unknown): Obj {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw errors.badRequest(`the object provided is unrecognized (expected a ${store.info.kind} object)`);
  }
  const o = obj as Obj;
  o['apiVersion'] ??= store.apiVersion;
  o['kind'] ??= store.info.kind;
  if (o['apiVersion'] !== store.apiVersion) {
    throw errors.badRequest(`the API version in the data (${o['apiVersion']}) does not match the expected API version (${store.apiVersion})`);
  }
  if (o['kind'] !== store.info.kind) {
    throw errors.badRequest(`the kind in the data (${o['kind']}) does not match the expected kind (${store.info.kind})`);
  }
  return o;
}

/** Schema decoding plus `fieldValidation` handling of unknown fields. */
function decode(store: Store, body: unknown, ctx: WriteContext): Obj {
  const obj = checkTypeMeta(store, body);
  const { object, unknownFields } = store.deps.hooks.decode(store.gvk, obj);
  if (unknownFields.length > 0) {
    const list = unknownFields.map((f) => `unknown field "${f}"`);
    const mode = ctx.fieldValidation ?? 'Warn';
    if (mode === 'Strict') {
      throw errors.badRequest(
        `${store.info.kind} in version "${store.info.version}" cannot be handled as a ${store.info.kind}: strict decoding error: ${list.join(', ')}`,
      );
    }
    if (mode === 'Warn') ctx.warnings.push(...list);
  }
  return object;
}

function validateOrThrow(store: Store, obj: Obj, old: Obj | undefined, subresource: string): void {
  const errs = store.deps.hooks.validate(store.gvk, obj, old, subresource);
  if (errs.length > 0) throw errors.invalid(store.info.group, store.info.kind, obj['metadata']?.name ?? '', errs);
}

function specOf(obj: Obj): Obj {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/** Go omits empty lists and maps of metadata (omitempty); so do we, so `finalizers: []` is not stored. */
function dropEmptyMeta(obj: Obj): void {
  const m = obj['metadata'];
  if (!m) return;
  for (const k of ['finalizers', 'ownerReferences', 'labels', 'annotations']) {
    const v = m[k];
    if ((Array.isArray(v) && v.length === 0) || (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0)) delete m[k];
  }
}

/** The namespace from the URL wins; a different one in the body is a 400, as upstream. */
function placeInNamespace(store: Store, obj: Obj, namespace: string): void {
  const m = meta(obj);
  if (store.info.namespaced) {
    if (m.namespace && m.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    m.namespace = namespace;
  } else delete m.namespace;
}

/** Create after decoding; shared by POST, create-on-update and server-side apply. */
async function createDecoded(store: Store, namespace: string, obj: Obj, ctx: WriteContext, applied: boolean): Promise<Obj> {
  placeInNamespace(store, obj, namespace);
  const m = meta(obj);
  const generated = !m.name && !!m.generateName;
  if (generated) m.name = generateName(m.generateName);
  store.deps.hooks.defaults(store.gvk, obj);
  m.uid = newUID();
  m.creationTimestamp = nowTime();
  for (const k of ['resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink']) delete m[k];
  delete m.generation;
  if (store.info.namespaced) await store.deps.checkNamespace(namespace, store.gr, m.name ?? '');
  await store.admit('mutate', 'CREATE', obj, undefined, '', ctx);
  store.deps.hooks.prepareForCreate(store.gvk, obj);
  dropEmptyMeta(obj);
  validateOrThrow(store, obj, undefined, '');
  await store.admit('validate', 'CREATE', obj, undefined, '', ctx);
  if (!applied) store.deps.hooks.updateManagedFields({ live: undefined, updated: obj, manager: managerOf(ctx), gvk: store.gvk, subresource: '', time: nowTime() });
  if (ctx.dryRun) return obj;
  for (let attempt = 0; ; attempt++) {
    const res = await store.deps.backend.create(store.key(namespace, m.name), store.encode(obj));
    if (res.ok) return store.fromKV(res.kv);
    // A clash on a generated name is retried with a fresh suffix, as upstream does.
    if (!generated || attempt >= 8) throw errors.alreadyExists(store.gr, m.name);
    m.name = generateName(m.generateName);
  }
}

export async function create(store: Store, namespace: string, body: unknown, ctx: WriteContext): Promise<Obj> {
  const obj = decode(store, body, ctx);
  return createDecoded(store, namespace, obj, ctx, false);
}

/**
 * Builds the next version of an object from a requested one and the stored
 * one. Returns undefined when nothing would change (no write happens).
 */
async function prepareUpdate(store: Store, requested: Obj, old: Obj, ctx: WriteContext, subresource: string, applied: boolean): Promise<Obj | undefined> {
  const om = old['metadata'] ?? {};
  let next: Obj;
  if (subresource === 'status') {
    // The status subresource changes status only.
    next = clone(old);
    if (requested['status'] === undefined) delete next['status'];
    else next['status'] = requested['status'];
  } else {
    next = requested;
    if (subresource === '') store.deps.hooks.defaults(store.gvk, next);
    const m = meta(next);
    for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'name', 'namespace']) {
      if (om[k] === undefined) delete m[k];
      else m[k] = om[k];
    }
    delete m['selfLink'];
    // An update that leaves managedFields out keeps the existing ones.
    if (m.managedFields === undefined && om.managedFields !== undefined) m.managedFields = clone(om.managedFields);
  }
  await store.admit('mutate', 'UPDATE', next, old, subresource, ctx);
  store.strategy.prepareForUpdate?.(next, old, subresource);
  dropEmptyMeta(next);
  if (store.info.generation && subresource !== 'status' && !jsonEqual(specOf(next), specOf(old))) {
    meta(next).generation = (om.generation ?? 0) + 1;
  }
  meta(next).resourceVersion = om.resourceVersion;
  if (!applied) {
    const probe = { ...next, metadata: { ...next['metadata'], managedFields: om.managedFields } };
    if (jsonEqual(probe, old)) return undefined;
  } else if (jsonEqual(next, old)) return undefined;
  // A scale change is validated as an update of the parent; a binding is
  // written without update validation, as upstream does.
  if (subresource !== 'binding') validateOrThrow(store, next, old, subresource === 'scale' ? '' : subresource);
  await store.admit('validate', 'UPDATE', next, old, subresource, ctx);
  // A binding records no field manager, as upstream's binding writes storage directly.
  if (!applied && subresource !== 'binding') {
    store.deps.hooks.updateManagedFields({ live: old, updated: next, manager: managerOf(ctx), gvk: store.gvk, subresource, time: nowTime() });
  }
  return next;
}

/**
 * The shared read-modify-write loop. `mutate` gets a fresh copy of the
 * current object (undefined if absent) and returns the requested object, or
 * undefined to leave it alone. `precondition` pins the resourceVersion.
 */
async function updateLoop(
  store: Store,
  namespace: string,
  name: string,
  ctx: WriteContext,
  subresource: string,
  mutate: (current: Obj) => { requested: Obj; precondition?: string; applied?: boolean },
  onMissing?: () => Promise<Obj>,
): Promise<{ object: Obj; created: boolean }> {
  const key = store.key(namespace, name);
  for (let attempt = 0; attempt < maxRetries; attempt++) {
    const { kv } = await store.deps.backend.get(key);
    if (!kv) {
      if (onMissing) return { object: await onMissing(), created: true };
      throw errors.notFound(store.gr, name);
    }
    const old = store.fromKV(kv);
    const { requested, precondition, applied } = mutate(clone(old));
    if (precondition && precondition !== String(kv.modRevision)) {
      parseRV(precondition);
      throw errors.staleObject(store.gr, name);
    }
    const next = await prepareUpdate(store, requested, old, ctx, subresource, applied === true);
    if (!next) return { object: old, created: false };
    if (ctx.dryRun) return { object: next, created: false };
    const deferred = store.strategy.deferrable?.(next, old) === true;
    const res = await store.deps.backend.update(key, store.encode(next), kv.modRevision, deferred ? { deferred } : undefined);
    if (res.ok) {
      const object = store.fromKV(res.kv);
      const finished = await finishDeletionIfReady(store, namespace, name, object, res.kv.modRevision);
      return { object: finished ?? object, created: false };
    }
    if (precondition) throw errors.staleObject(store.gr, name);
    if (!res.current) {
      if (onMissing) return { object: await onMissing(), created: true };
      throw errors.notFound(store.gr, name);
    }
  }
  throw errors.conflict(store.gr, name, 'too many concurrent updates, please retry');
}

export async function update(
  store: Store,
  namespace: string,
  name: string,
  body: unknown,
  ctx: WriteContext,
  subresource = '',
): Promise<{ object: Obj; created: boolean }> {
  const obj = decode(store, body, ctx);
  const m = meta(obj);
  if (m.name && m.name !== name) throw errors.badRequest(`the name of the object (${m.name}) does not match the name on the URL (${name})`);
  m.name = name;
  placeInNamespace(store, obj, namespace);
  const onMissing =
    subresource === '' && store.strategy.allowCreateOnUpdate ? () => createDecoded(store, namespace, clone(obj), ctx, false) : undefined;
  return updateLoop(store, namespace, name, ctx, subresource, () => ({ requested: clone(obj), precondition: m.resourceVersion || undefined }), onMissing);
}

/** PATCH, including server-side apply (`type: 'apply'`), which creates a missing object. */
export async function patch(
  store: Store,
  namespace: string,
  name: string,
  type: PatchType | 'apply',
  body: unknown,
  ctx: WriteContext,
  subresource = '',
): Promise<{ object: Obj; created: boolean }> {
  const hooks = store.deps.hooks;
  if (type === 'apply') {
    if (!ctx.fieldManager) {
      throw new ApiError('Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', {
        group: 'meta.k8s.io',
        kind: 'PatchOptions',
        causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }],
      });
    }
    const applied = decode(store, body, ctx);
    const am = meta(applied);
    if (am.name !== undefined && am.name !== name) {
      throw errors.badRequest(`the name of the object (${am.name}) does not match the name on the URL (${name})`);
    }
    am.name = name;
    placeInNamespace(store, applied, namespace);
    const manager = ctx.fieldManager;
    const onMissing = async () => {
      const created = hooks.apply({ live: undefined, applied: clone(applied), manager, force: ctx.force === true, gvk: store.gvk, time: nowTime() });
      return createDecoded(store, namespace, created, ctx, true);
    };
    return updateLoop(
      store,
      namespace,
      name,
      ctx,
      subresource,
      (current) => ({
        requested: hooks.apply({ live: current, applied: clone(applied), manager, force: ctx.force === true, gvk: store.gvk, time: nowTime() }),
        precondition: am.resourceVersion || undefined,
        applied: true,
      }),
      subresource === '' ? onMissing : undefined,
    );
  }
  return updateLoop(store, namespace, name, ctx, subresource, (current) => {
    const rv = current['metadata'].resourceVersion;
    const patched = hooks.patch(type, store.gvk, current, body);
    const prv = patched['metadata']?.resourceVersion;
    // A patch that sets metadata.resourceVersion makes it a precondition.
    const precondition = prv !== undefined && prv !== rv ? String(prv) : undefined;
    const requested = decode(store, patched, ctx);
    return { requested, precondition };
  });
}

/**
 * Read-modify-write for in-process callers (subresources, controllers):
 * `mutate` edits a copy of the current object; return false to skip writing.
 */
export async function guaranteedUpdate(
  store: Store,
  namespace: string,
  name: string,
  ctx: WriteContext,
  mutate: (obj: Obj) => boolean | void,
  subresource = '',
): Promise<Obj> {
  const res = await updateLoop(store, namespace, name, ctx, subresource, (current) => {
    const before = clone(current);
    if (mutate(current) === false) return { requested: before };
    return { requested: current };
  });
  return res.object;
}
