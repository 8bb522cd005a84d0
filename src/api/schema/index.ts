/**
 * The schema of the built-in types bramble serves, read from the text
 * tables in `data.ts` (format: `dsl.ts`). Loading only scans the text for
 * type lines; each type's fields are parsed the first time it is asked for.
 */
import { schemaTexts } from './data.ts';
import { commonDescriptions, descriptionText, parseDescriptions } from './descriptions.ts';
import { parseType, parseTypeHeader, scanSchemaText } from './dsl.ts';
import type { SchemaText, TypeChunk } from './dsl.ts';
import type { Field, MessageType, Schema } from './types.ts';

export type * from './types.ts';

/** Short package names used for cross-package references in the text. */
export const packageAliases: Record<string, string> = {
  meta: 'io.k8s.apimachinery.pkg.apis.meta.v1',
  core: 'io.k8s.api.core.v1',
  apps: 'io.k8s.api.apps.v1',
  batch: 'io.k8s.api.batch.v1',
  networking: 'io.k8s.api.networking.v1',
  coordination: 'io.k8s.api.coordination.v1',
  discovery: 'io.k8s.api.discovery.v1',
  storage: 'io.k8s.api.storage.v1',
  policy: 'io.k8s.api.policy.v1',
  events: 'io.k8s.api.events.v1',
  autoscaling: 'io.k8s.api.autoscaling.v1',
};


interface Entry {
  chunk: TypeChunk;
  type?: MessageType;
  byName?: Map<string, Field>;
  byTag?: Map<number, Field>;
}

type Docs = Record<string, Record<string, string>>;

/**
 * A Schema over schema text. Exported for tests that build small schemas;
 * everyone else uses the `schema` singleton.
 */
export class TextSchema implements Schema {
  readonly #texts: SchemaText[];
  readonly #docText: string;
  #docs?: Docs;
  readonly #common: boolean;
  #entries?: Map<string, Entry>;
  /** Entry of each parsed type, to find its field indexes. */
  readonly #ofType = new WeakMap<MessageType, Entry>();
  readonly #kinds = new Map<string, string>();
  readonly #shared = new Map<string, string>();

  /**
   * `docText`: descriptions in the format of descriptions.ts; `common`:
   * describe apiVersion/kind/metadata/items of kinds with the shared wording.
   */
  constructor(sources: SchemaText[], docText = '', common = false) {
    this.#texts = sources;
    this.#docText = docText;
    this.#common = common;
  }

  type(name: string): MessageType | undefined {
    const e = this.#load().get(name);
    return e && this.#parse(e);
  }

  typeForKind(group: string, version: string, kind: string): MessageType | undefined {
    this.#load();
    const name = this.#kinds.get(`${group}/${version}/${kind}`) ?? this.#shared.get(kind);
    return name === undefined ? undefined : this.type(name);
  }

  field(type: MessageType, jsonName: string): Field | undefined {
    return this.#indexed(type)?.byName!.get(jsonName) ?? type.fields.find((f) => f.name === jsonName);
  }

  fieldByTag(type: MessageType, tag: number): Field | undefined {
    const e = this.#indexed(type);
    if (e) return e.byTag!.get(tag);
    return type.fields.find((f) => f.tag === tag && f.inline === undefined && tag > 0);
  }

  *all(): Iterable<MessageType> {
    for (const e of this.#load().values()) yield this.#parse(e);
  }

  #indexed(type: MessageType): Entry | undefined {
    const e = this.#ofType.get(type);
    if (!e) return undefined;
    if (!e.byName) {
      e.byName = new Map();
      e.byTag = new Map();
      for (const f of type.fields) {
        e.byName.set(f.name, f);
        if (f.inline === undefined && f.tag > 0) e.byTag.set(f.tag, f);
      }
    }
    return e;
  }

  #load(): Map<string, Entry> {
    if (this.#entries) return this.#entries;
    const entries = new Map<string, Entry>();
    for (const src of this.#texts) {
      for (const chunk of scanSchemaText(src)) {
        entries.set(chunk.name, { chunk });
        if (!chunk.header.includes(' kind=')) continue;
        const head = parseTypeHeader(chunk);
        const g = head.gvk!;
        this.#kinds.set(`${g.group}/${g.version}/${g.kind}`, chunk.name);
        if (head.sharedKind) this.#shared.set(g.kind, chunk.name);
      }
    }
    this.#entries = entries;
    return entries;
  }

  #parse(e: Entry): MessageType {
    if (e.type) return e.type;
    const t = parseType(e.chunk, packageAliases);
    // Splice from the last embedding backwards so earlier positions stay valid.
    for (const emb of [...(t.embedded ?? [])].reverse()) {
      const inner = this.type(emb.type);
      if (!inner) throw new Error(`schema: ${t.name} embeds unknown ${emb.type}`);
      if (inner.embedded?.length) throw new Error(`schema: nested embedding in ${inner.name} is not supported`);
      const own = new Set(t.fields.map((f) => f.name));
      // Copies carry the embedded type's descriptions; this type's own words win below.
      const copies = inner.fields.filter((f) => !own.has(f.name)).map((f) => ({ ...f, inline: emb.tag }));
      t.fields.splice(emb.position, 0, ...copies);
    }
    this.#docs ??= parseDescriptions(this.#docText, packageAliases);
    attachDocs(t, this.#docs[t.name]);
    if (t.gvk && this.#common) describeCommonFields(t);
    e.type = t;
    this.#ofType.set(t, e);
    return t;
  }
}

function attachDocs(t: MessageType, docs: Record<string, string> | undefined): void {
  if (!docs) return;
  if (docs['']) t.description = docs[''];
  for (const f of t.fields) {
    const d = docs[f.name];
    if (d) f.description = d;
  }
}

function describeCommonFields(t: MessageType): void {
  const isList = t.name.endsWith('List') && t.fields.some((f) => f.name === 'items');
  for (const f of t.fields) {
    if (f.description) continue;
    if (f.name === 'apiVersion') f.description = commonDescriptions.apiVersion;
    else if (f.name === 'kind') f.description = commonDescriptions.kind;
    else if (f.name === 'metadata') f.description = isList ? commonDescriptions.listMetadata : commonDescriptions.metadata;
    else if (f.name === 'items' && isList) f.description = commonDescriptions.items;
  }
}

/** The built-in types at Kubernetes 1.32. */
export const schema: Schema = new TextSchema(schemaTexts, descriptionText, true);
