/**
 * OpenAPI v3 as a Kubernetes 1.32 apiserver serves it:
 * - `GET /openapi/v3` → {@link openapiV3Root}: one entry per group version,
 *   pointing at a URL whose `hash` changes whenever the document does;
 * - `GET /openapi/v3/api/v1`, `/openapi/v3/apis/<group>/<version>` →
 *   {@link openapiV3Document}: paths and component schemas of that group
 *   version.
 *
 * kubectl reads these to decide that the server validates fields
 * (`fieldValidation` on PATCH operations), for `kubectl explain`, and for
 * the merge keys of client-side apply. Documents are built on first request
 * and kept serialized, with their hash, for the life of the process.
 */
import { createHash } from 'node:crypto';
import { apiVersionOf, resources } from '../resources.ts';
import type { ResourceInfo } from '../resources.ts';
import { schema as builtin } from '../schema/index.ts';
import type { Schema } from '../schema/types.ts';
import { buildPaths } from './paths.ts';
import { componentSchema, reachable } from './schemas.ts';
import type { JsonSchema } from './schemas.ts';

/** A served document: the JSON text and its content hash. */
export interface OpenAPIDocument {
  /** Root key and URL path below /openapi/v3, e.g. `apis/apps/v1`. */
  path: string;
  json: string;
  /** Upper-case hex SHA-512 of `json`, as upstream uses in `?hash=`. */
  hash: string;
  /** The ETag to send with the document (quoted hash). */
  etag: string;
}

/** The `/openapi/v3` root document. */
export interface OpenAPIRoot {
  paths: Record<string, { serverRelativeURL: string }>;
}

/** The version `info` reports. */
export const openapiInfo = { title: 'Kubernetes', version: 'v1.32.4' };

const bearer = { BearerToken: { description: 'Bearer Token authentication', in: 'header', name: 'authorization', type: 'apiKey' } };

/** Builds and caches OpenAPI documents for a resource table and a schema. */
export class OpenAPIService {
  readonly #resources: ResourceInfo[];
  readonly #schema: Schema;
  readonly #docs = new Map<string, OpenAPIDocument>();
  #root?: OpenAPIRoot;

  constructor(table: ResourceInfo[] = resources, schema: Schema = builtin) {
    this.#resources = table;
    this.#schema = schema;
  }

  /** The group versions served, as root keys: `api/v1`, `apis/apps/v1`, … */
  groupVersionPaths(): string[] {
    return [...new Set(this.#resources.map((r) => rootKey(r.group, r.version)))];
  }

  root(): OpenAPIRoot {
    if (!this.#root) {
      const paths: OpenAPIRoot['paths'] = {};
      for (const key of this.groupVersionPaths()) {
        paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${this.forPath(key)!.hash}` };
      }
      this.#root = { paths };
    }
    return this.#root;
  }

  /** The document of a group version, or undefined when none is served. */
  document(group: string, version: string): OpenAPIDocument | undefined {
    return this.forPath(rootKey(group, version));
  }

  /** The document for a root key (`api/v1`, `apis/apps/v1`); undefined when unknown. */
  forPath(path: string): OpenAPIDocument | undefined {
    const cached = this.#docs.get(path);
    if (cached) return cached;
    const m = /^(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (!m) return undefined;
    const group = m[1] ? '' : m[2];
    const version = m[1] ?? m[3];
    const table = this.#resources.filter((r) => r.group === group && r.version === version);
    if (!table.length) return undefined;
    const json = JSON.stringify(this.#build(group, version, table));
    const hash = createHash('sha512').update(json).digest('hex').toUpperCase();
    const doc: OpenAPIDocument = { path, json, hash, etag: `"${hash}"` };
    this.#docs.set(path, doc);
    return doc;
  }

  #build(group: string, version: string, table: ResourceInfo[]): JsonSchema {
    const typeName = (gvk: { group: string; version: string; kind: string }) => {
      const t = this.#schema.typeForKind(gvk.group, gvk.version, gvk.kind);
      if (!t) throw new Error(`openapi: no schema for ${apiVersionOf(gvk)} ${gvk.kind}`);
      return t.name;
    };
    const paths = buildPaths(group, version, table, typeName);
    const refs = new Set<string>();
    collectRefs(paths, refs);
    const served = this.#servedGroupVersions();
    const schemas: Record<string, JsonSchema> = {};
    for (const name of reachable(this.#schema, refs)) {
      const s = componentSchema(this.#schema, name, served);
      if (s) schemas[name] = s;
    }
    return { components: { schemas, securitySchemes: bearer }, info: openapiInfo, openapi: '3.0.0', paths };
  }

  #servedGroupVersions(): { group: string; version: string }[] {
    const seen = new Map<string, { group: string; version: string }>();
    for (const r of this.#resources) seen.set(`${r.group}/${r.version}`, { group: r.group, version: r.version });
    return [...seen.values()].sort((a, b) => (a.group + '/' + a.version).localeCompare(b.group + '/' + b.version));
  }
}

function rootKey(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function collectRefs(x: unknown, out: Set<string>): void {
  if (Array.isArray(x)) for (const v of x) collectRefs(v, out);
  else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if (k === '$ref' && typeof v === 'string') out.add(v.slice(v.lastIndexOf('/') + 1));
      else collectRefs(v, out);
    }
  }
}

let shared: OpenAPIService | undefined;

function service(): OpenAPIService {
  return (shared ??= new OpenAPIService());
}

/** `GET /openapi/v3`. */
export function openapiV3Root(): OpenAPIRoot {
  return service().root();
}

/** `GET /openapi/v3/api/v1` (group '') or `/openapi/v3/apis/<group>/<version>`. */
export function openapiV3Document(group: string, version: string): OpenAPIDocument | undefined {
  return service().document(group, version);
}

/** The document for the path below `/openapi/v3/` (`api/v1`, `apis/apps/v1`), for the HTTP handler. */
export function openapiV3ForPath(path: string): OpenAPIDocument | undefined {
  return service().forPath(path.replace(/^\/+|\/+$/g, ''));
}
