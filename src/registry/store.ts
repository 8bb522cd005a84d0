/**
 * The generic REST store for one resource: upstream's registry/generic Store
 * over our storage Backend. Reads live here; writes, deletes and watches are
 * in store-write.ts, store-delete.ts and store-watch.ts.
 *
 * Objects are stored as JSON without `metadata.resourceVersion`; the
 * revision of the stored row becomes the resourceVersion on the way out.
 */
import { errors, type GroupResource } from '../api/errors.ts';
import type { ResourceInfo } from '../api/resources.ts';
import { parseFieldSelector, type FieldSelector } from '../api/selectors/field.ts';
import { parseLabelSelector, SelectorError, type Selector } from '../api/selectors/label.ts';
import { isStorageError, type Backend, type KeyValue } from '../storage/backend.ts';
import { decodeContinue, encodeContinue } from './continue-token.ts';
import { listPrefix, objectKey, resourcePrefix } from './keys.ts';
import type { GVK, Hooks, ListOptions, ListResult, Obj, Strategy, WriteContext } from './types.ts';
import { runMutating, runValidating, type AdmissionPlugin, type AdmissionRequest, type Operation } from './admission.ts';

/** Converts between the shape a resource is served in and the shape it is stored in. */
export interface Conversion {
  toStored(obj: Obj): Obj;
  fromStored(obj: Obj): Obj;
}

/** What a store needs from the rest of the registry. */
export interface StoreDeps {
  backend: Backend;
  hooks: Hooks;
  /** The admission chain (shared, so plugins can be added after start-up wiring). */
  admission: AdmissionPlugin[];
  /** Namespace lifecycle admission for namespaced creates. */
  checkNamespace(namespace: string, gr: GroupResource, name: string): Promise<void>;
}

export class Store {
  readonly info: ResourceInfo;
  readonly gvk: GVK;
  readonly gr: GroupResource;
  readonly strategy: Strategy;
  readonly deps: StoreDeps;
  readonly conversion?: Conversion;
  readonly prefix: string;

  constructor(info: ResourceInfo, strategy: Strategy, deps: StoreDeps, conversion?: Conversion) {
    this.info = info;
    this.gvk = { group: info.group, version: info.version, kind: info.kind };
    this.gr = { group: info.group, resource: info.resource };
    this.strategy = strategy;
    this.deps = deps;
    this.conversion = conversion;
    this.prefix = resourcePrefix(info);
  }

  get apiVersion(): string {
    return this.info.group ? `${this.info.group}/${this.info.version}` : this.info.version;
  }

  key(namespace: string, name: string): string {
    return objectKey(this.info, namespace, name);
  }

  /** A fresh object from a stored row, with resourceVersion set. */
  fromKV(kv: KeyValue): Obj {
    let obj = JSON.parse(kv.value) as Obj;
    if (this.conversion) obj = this.conversion.fromStored(obj);
    const m = obj['metadata'] ?? (obj['metadata'] = {});
    m.resourceVersion = String(kv.modRevision);
    return obj;
  }

  /**
   * The stored text for an object: stored shape, no resourceVersion, and
   * `apiVersion`, `kind`, `metadata` as the leading keys. That fixed head lets
   * lists emit items without parsing them (see itemText).
   */
  encode(obj: Obj): string {
    const stored = this.conversion ? this.conversion.toStored(obj) : obj;
    const { apiVersion, kind, metadata, ...rest } = stored;
    const { resourceVersion: _rv, ...meta } = metadata ?? {};
    return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
  }

  /**
   * An item of a JSON list response, as upstream writes list items (no
   * apiVersion/kind, resourceVersion set), spliced from the stored text
   * without a parse when it has the canonical head.
   */
  itemText(kv: KeyValue): string {
    const head = this.storedHead;
    const t = kv.value;
    if (head && t.startsWith(head)) {
      const rest = t.slice(head.length);
      return `{"metadata":{"resourceVersion":"${kv.modRevision}"${rest[0] === '}' ? '' : ','}${rest}`;
    }
    const { apiVersion: _a, kind: _k, ...item } = this.fromKV(kv);
    return JSON.stringify(item);
  }

  /** The whole object's JSON with resourceVersion set, spliced without a parse when possible (watch frames). */
  objectText(kv: KeyValue): string {
    const head = this.storedHead;
    const t = kv.value;
    if (head && t.startsWith(head)) {
      const rest = t.slice(head.length);
      return `${head}"resourceVersion":"${kv.modRevision}"${rest[0] === '}' ? '' : ','}${rest}`;
    }
    return JSON.stringify(this.fromKV(kv));
  }

  /** `{"apiVersion":…,"kind":…,"metadata":{` of stored rows, when served as stored. */
  private get storedHead(): string | undefined {
    if (this.conversion) return undefined;
    return `{"apiVersion":${JSON.stringify(this.apiVersion)},"kind":${JSON.stringify(this.info.kind)},"metadata":{`;
  }

  /** Field values a field selector may test, for an object in served shape. */
  fieldsOf(obj: Obj): Record<string, string> {
    const m = obj['metadata'] ?? {};
    const base: Record<string, string> = { 'metadata.name': m.name ?? '' };
    if (this.info.namespaced) base['metadata.namespace'] = m.namespace ?? '';
    const source = this.conversion ? this.conversion.toStored(obj) : obj;
    return this.strategy.fields ? { ...base, ...this.strategy.fields(source) } : base;
  }

  /** Parses and checks selectors; unsupported field names are 400s as upstream. */
  selectors(labelSelector: string | undefined, fieldSelector: string | undefined): { label: Selector; field: FieldSelector } {
    try {
      const label = parseLabelSelector(labelSelector ?? '');
      const field = parseFieldSelector(fieldSelector ?? '');
      if (!field.empty) {
        const known = new Set(['metadata.name', 'metadata.namespace', ...(this.strategy.fields ? Object.keys(this.strategy.fields({})) : [])]);
        for (const r of field.requirements) {
          if (!known.has(r.field)) throw errors.badRequest(`field label not supported: ${r.field}`);
        }
      }
      return { label, field };
    } catch (e) {
      if (e instanceof SelectorError) throw errors.badRequest(e.message);
      throw e;
    }
  }

  matches(obj: Obj, sel: { label: Selector; field: FieldSelector }): boolean {
    if (!sel.label.empty && !sel.label.matches(obj['metadata']?.labels)) return false;
    if (!sel.field.empty && !sel.field.matches(this.fieldsOf(obj))) return false;
    return true;
  }

  /** Runs the mutating, then (with `phase: 'validate'`) the validating admission plugins. */
  async admit(phase: 'mutate' | 'validate', operation: Operation, object: Obj, oldObject: Obj | undefined, subresource: string, ctx: WriteContext): Promise<void> {
    const plugins = this.deps.admission;
    if (plugins.length === 0) return;
    const m = object['metadata'] ?? {};
    const req: AdmissionRequest = {
      operation,
      kind: this.gvk,
      resource: this.gr,
      subresource,
      namespace: this.info.namespaced ? (m.namespace ?? '') : '',
      name: m.name ?? '',
      object,
      oldObject,
      user: ctx.user,
      dryRun: ctx.dryRun === true,
    };
    if (phase === 'mutate') await runMutating(plugins, req);
    else await runValidating(plugins, req);
  }

  /** Maps storage faults on reads to API errors. */
  storageError(e: unknown, what: 'list' | 'continue' | 'get'): unknown {
    if (isStorageError(e, 'COMPACTED')) {
      if (what === 'continue') {
        return errors.expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      return errors.expired(`The resourceVersion for the provided ${what} is too old.`);
    }
    if (isStorageError(e, 'FUTURE_REVISION')) {
      return errors.timeout(`Too large resource version: ${e.message}`, 1);
    }
    if (isStorageError(e, 'UNAVAILABLE')) return errors.serviceUnavailable(`storage is unavailable: ${e.message}`);
    return e;
  }

  /** Resolves a resourceVersion parameter for a NotOlderThan read: 0 means latest. */
  async notOlderThan(rv: string | undefined): Promise<void> {
    if (!rv || rv === '0') return;
    const n = parseRV(rv);
    const cur = await this.deps.backend.currentRevision();
    if (n > cur) throw errors.timeout(`Too large resource version: ${n}, current: ${cur}`, 1);
  }

  async get(namespace: string, name: string, opts: { resourceVersion?: string } = {}): Promise<Obj> {
    await this.notOlderThan(opts.resourceVersion);
    const { kv } = await this.deps.backend.get(this.key(namespace, name)).catch((e) => {
      throw this.storageError(e, 'get');
    });
    if (!kv) throw errors.notFound(this.gr, name);
    return this.fromKV(kv);
  }

  /** Latest stored row, or undefined. */
  async getKV(namespace: string, name: string): Promise<KeyValue | undefined> {
    return (await this.deps.backend.get(this.key(namespace, name))).kv;
  }

  /** LIST as objects (tables, metadata views, controllers). */
  list(namespace: string, opts: ListOptions = {}): Promise<ListResult> {
    return this.scan(namespace, opts, (kv, sel) => {
      const o = this.fromKV(kv);
      return this.matches(o, sel) ? o : undefined;
    });
  }

  /** LIST as item JSON texts, parsing only when a selector has to look inside. */
  listText(namespace: string, opts: ListOptions = {}): Promise<ListResult<string>> {
    return this.scan(namespace, opts, (kv, sel) => {
      if (sel.label.empty && sel.field.requirements.every((r) => r.field === 'metadata.name' && r.op === '=')) return this.itemText(kv);
      return this.matches(this.fromKV(kv), sel) ? this.itemText(kv) : undefined;
    });
  }

  /**
   * The core of LIST: resourceVersion and continue semantics, a
   * `metadata.name=` selector narrowed to one key, paging through storage,
   * and `limit`. `take` converts a row, or returns undefined to skip it.
   */
  private async scan<T>(namespace: string, opts: ListOptions, take: (kv: KeyValue, sel: ReturnType<Store['selectors']>) => T | undefined): Promise<ListResult<T>> {
    const sel = this.selectors(opts.labelSelector, opts.fieldSelector);
    const prefix = listPrefix(this.info, namespace);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    let revision = 0;
    let startKey: string | undefined;
    let what: 'list' | 'continue' = 'list';
    if (opts.continue) {
      const t = decodeContinue(opts.continue);
      revision = t.rv;
      startKey = prefix + t.start;
      what = 'continue';
    } else if (opts.resourceVersion && opts.resourceVersion !== '0') {
      const exact = opts.resourceVersionMatch === 'Exact' || (!opts.resourceVersionMatch && limit > 0);
      if (exact) revision = parseRV(opts.resourceVersion);
      else await this.notOlderThan(opts.resourceVersion);
    } else if (opts.resourceVersionMatch === 'Exact') {
      throw errors.badRequest('resourceVersionMatch "Exact" is forbidden for resourceVersion "0" or ""');
    }

    const pinned = sel.field.exact('metadata.name');
    const items: T[] = [];
    let more = false;
    let lastKey = '';
    try {
      if (pinned !== undefined && (this.info.namespaced ? namespace : true) && !opts.continue) {
        const res = await this.deps.backend.get(this.key(namespace, pinned), { revision });
        revision = res.revision;
        if (res.kv) {
          const item = take(res.kv, sel);
          if (item !== undefined) items.push(item);
        }
      } else {
        const page = limit > 0 ? Math.max(limit, 64) : 0;
        for (;;) {
          const res = await this.deps.backend.list(prefix, { revision, startKey, limit: page });
          revision = res.revision;
          for (const kv of res.kvs) {
            if (limit > 0 && items.length >= limit) {
              more = true;
              break;
            }
            lastKey = kv.key;
            const item = take(kv, sel);
            if (item !== undefined) items.push(item);
          }
          if (more || !res.more || res.kvs.length === 0) break;
          if (limit > 0 && items.length >= limit) {
            more = true;
            break;
          }
          startKey = res.kvs[res.kvs.length - 1]!.key + '\u0000';
        }
      }
    } catch (e) {
      throw this.storageError(e, what);
    }
    const result: ListResult<T> = { items, resourceVersion: String(revision) };
    if (more) result.continue = encodeContinue({ rv: revision, start: lastKey.slice(prefix.length) + '\u0000' });
    return result;
  }

  /** The served List kind wrapper. */
  listObject(result: ListResult): Obj {
    const metadata: Obj = { resourceVersion: result.resourceVersion };
    if (result.continue) metadata['continue'] = result.continue;
    if (result.remainingItemCount !== undefined) metadata['remainingItemCount'] = result.remainingItemCount;
    return { kind: `${this.info.kind}List`, apiVersion: this.apiVersion, metadata, items: result.items };
  }
}

export function parseRV(rv: string): number {
  if (!/^\d+$/.test(rv)) throw errors.badRequest(`invalid resource version "${rv}": expected a non-negative integer`);
  return Number(rv);
}

export { listPrefix };
