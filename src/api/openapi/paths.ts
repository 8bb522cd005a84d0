/**
 * The `paths` of one group version's OpenAPI v3 document: every REST
 * operation of its resources and subresources, named, tagged and described
 * with `x-kubernetes-action` and `x-kubernetes-group-version-kind` as a
 * Kubernetes 1.32 apiserver lists them.
 */
import type { ResourceInfo, SubresourceInfo } from '../resources.ts';
import { operationParams, pathParam, queryParam } from './params.ts';
import type { QueryParam } from './params.ts';
import { refPrefix } from './schemas.ts';
import type { JsonSchema } from './schemas.ts';

const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.';

/** Media types bramble can answer with: JSON, YAML and (for requests) protobuf, as upstream lists them. */
const objectMedia = ['application/json', 'application/vnd.kubernetes.protobuf', 'application/yaml'];
const streamMedia = [
  'application/json',
  'application/json;stream=watch',
  'application/vnd.kubernetes.protobuf',
  'application/vnd.kubernetes.protobuf;stream=watch',
  'application/yaml',
];
const patchMedia = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

/** Resources whose DELETE returns the deleted object rather than a Status (upstream's registries). */
const deleteReturnsObject = new Set(['persistentvolumeclaims', 'persistentvolumes', 'pods', 'podtemplates', 'resourcequotas', 'serviceaccounts', 'services', 'storageclasses']);

interface Gvk {
  group: string;
  version: string;
  kind: string;
}

interface OpSpec {
  method: 'get' | 'put' | 'post' | 'patch' | 'delete';
  id: string;
  description: string;
  action?: string;
  gvk?: Gvk;
  params: QueryParam[];
  /** Connect operations and the group version's root take no `pretty` parameter. */
  noPretty?: boolean;
  body?: { schema: JsonSchema; media: string[]; required: boolean };
  responses: Record<string, { description: string; schema?: JsonSchema; media?: string[] }>;
}

const ref = (name: string): JsonSchema => ({ $ref: refPrefix + name });
const ok = (schema: JsonSchema, media = objectMedia) => ({ description: 'OK', schema, media });
const created = (schema: JsonSchema) => ({ description: 'Created', schema, media: objectMedia });
const accepted = (schema: JsonSchema) => ({ description: 'Accepted', schema, media: objectMedia });

/** `apps` → `Apps`, `networking.k8s.io` → `Networking`, `` → `Core`: upstream's operation-id group names. */
function groupWord(group: string): string {
  const first = group === '' ? 'core' : group.split('.')[0];
  return first[0].toUpperCase() + first.slice(1);
}

/** Builds the path items of one group version. `typeName` maps a kind to its schema name. */
export function buildPaths(
  group: string,
  version: string,
  resources: ResourceInfo[],
  typeName: (gvk: Gvk) => string,
): Record<string, JsonSchema> {
  const prefix = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  const gv = `${groupWord(group)}${version[0].toUpperCase()}${version.slice(1)}`;
  const tag = `${group === '' ? 'core' : group.split('.')[0]}_${version}`;
  const paths = new Map<string, { ops: OpSpec[]; pathParams: JsonSchema[] }>();
  const add = (path: string, pathParams: JsonSchema[], op: OpSpec) => {
    let item = paths.get(path);
    if (!item) paths.set(path, (item = { ops: [], pathParams }));
    item.ops.push(op);
  };

  add(`${prefix}/`, [], {
    method: 'get',
    id: `get${gv}APIResources`,
    description: 'get available resources',
    params: [],
    noPretty: true,
    responses: { '200': ok(ref(`${meta}APIResourceList`)) },
  });

  for (const r of resources) {
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    const kindRef = ref(typeName(gvk));
    const listRef = () => ref(typeName({ ...gvk, kind: `${r.kind}List` }));
    const scoped = r.namespaced ? 'Namespaced' : '';
    const name = `${gv}${scoped}${r.kind}`;
    const nsParams = r.namespaced ? [pathParam('namespace', r.kind)] : [];
    const nsPath = r.namespaced ? '/namespaces/{namespace}' : '';
    const collection = `${prefix}${nsPath}/${r.resource}`;
    const object = `${collection}/{name}`;
    const objParams = [pathParam('name', r.kind), ...nsParams];
    const has = (v: string) => r.verbs.includes(v);

    if (has('list')) {
      add(collection, nsParams, listOp(`list${name}`, `list or watch ${r.kind} objects`, gvk, listRef(), 'list'));
      if (r.namespaced) {
        const id = `list${gv}${r.kind}ForAllNamespaces`;
        add(`${prefix}/${r.resource}`, [], listOp(id, `list or watch ${r.kind} objects in every namespace`, gvk, listRef(), 'list'));
      }
    }
    if (has('create')) add(collection, nsParams, createOp(`create${name}`, `create a ${r.kind}`, gvk, kindRef));
    if (has('deletecollection')) {
      const id = `delete${gv}Collection${scoped}${r.kind}`;
      add(collection, nsParams, deleteOp(id, `delete a collection of ${r.kind} objects`, gvk, ref(`${meta}Status`), 'deletecollection'));
    }
    if (has('get')) add(object, objParams, readOp(`read${name}`, `read the named ${r.kind}`, gvk, kindRef));
    if (has('update')) add(object, objParams, replaceOp(`replace${name}`, `replace the named ${r.kind}`, gvk, kindRef));
    if (has('patch')) add(object, objParams, patchOp(`patch${name}`, `partially update the named ${r.kind}`, gvk, kindRef));
    if (has('delete')) {
      const result = deleteReturnsObject.has(r.resource) ? kindRef : ref(`${meta}Status`);
      add(object, objParams, deleteOp(`delete${name}`, `delete a ${r.kind}`, gvk, result, 'delete'));
    }
    if (has('watch')) {
      const event = ref(`${meta}WatchEvent`);
      const deprecated = '(deprecated: use the watch parameter of list';
      add(`${prefix}/watch${nsPath}/${r.resource}`, nsParams, listOp(`watch${name}List`, `watch ${r.kind} objects ${deprecated})`, gvk, event, 'watchlist'));
      add(`${prefix}/watch${nsPath}/${r.resource}/{name}`, objParams, listOp(`watch${name}`, `watch one ${r.kind} ${deprecated} and a fieldSelector)`, gvk, event, 'watch'));
      if (r.namespaced) {
        const id = `watch${gv}${r.kind}ListForAllNamespaces`;
        add(`${prefix}/watch/${r.resource}`, [], listOp(id, `watch ${r.kind} objects in every namespace ${deprecated})`, gvk, event, 'watchlist'));
      }
    }
    for (const s of r.subresources) {
      for (const o of subresourceOps(s, gv, scoped, gvk, kindRef, typeName)) add(`${object}/${s.name}`, objParams, o);
    }
  }

  const out: Record<string, JsonSchema> = {};
  for (const path of [...paths.keys()].sort()) {
    const item = paths.get(path)!;
    out[path] = pathItem(item.ops, item.pathParams, tag);
  }
  return out;
}

const deleteBody = () => ({ schema: ref(`${meta}DeleteOptions`), media: ['*/*'], required: false });

/** List, or watch: both stream and take the list parameters. */
function listOp(id: string, description: string, gvk: Gvk, schema: JsonSchema, action: string): OpSpec {
  return { method: 'get', id, description, action, gvk, params: operationParams.list, responses: { '200': ok(schema, streamMedia) } };
}

function readOp(id: string, description: string, gvk: Gvk, schema: JsonSchema): OpSpec {
  return { method: 'get', id, description, action: 'get', gvk, params: [], responses: { '200': ok(schema) } };
}

function createOp(id: string, description: string, gvk: Gvk, schema: JsonSchema): OpSpec {
  return {
    method: 'post',
    id,
    description,
    action: 'post',
    gvk,
    params: operationParams.create,
    body: { schema, media: ['*/*'], required: true },
    responses: { '200': ok(schema), '201': created(schema), '202': accepted(schema) },
  };
}

function replaceOp(id: string, description: string, gvk: Gvk, schema: JsonSchema): OpSpec {
  return {
    method: 'put',
    id,
    description,
    action: 'put',
    gvk,
    params: operationParams.replace,
    body: { schema, media: ['*/*'], required: true },
    responses: { '200': ok(schema), '201': created(schema) },
  };
}

function patchOp(id: string, description: string, gvk: Gvk, schema: JsonSchema): OpSpec {
  return {
    method: 'patch',
    id,
    description,
    action: 'patch',
    gvk,
    params: operationParams.patch,
    body: { schema: ref(`${meta}Patch`), media: patchMedia, required: true },
    responses: { '200': ok(schema), '201': created(schema) },
  };
}

function deleteOp(id: string, description: string, gvk: Gvk, result: JsonSchema, action: 'delete' | 'deletecollection'): OpSpec {
  const responses: OpSpec['responses'] = action === 'delete' ? { '200': ok(result), '202': accepted(result) } : { '200': ok(result) };
  return { method: 'delete', id, description, action, gvk, params: operationParams[action], body: deleteBody(), responses };
}

function subresourceOps(s: SubresourceInfo, gv: string, scoped: string, parent: Gvk, parentRef: JsonSchema, typeName: (gvk: Gvk) => string): OpSpec[] {
  const name = `${gv}${scoped}${parent.kind}`;
  const gvk = s.kind ?? parent;
  // Connect and log subresources have no object schema (PodExecOptions is not in the type schema).
  const schemaOf = () => (s.kind ? ref(typeName(s.kind)) : parentRef);
  const sub = s.name[0].toUpperCase() + s.name.slice(1);
  const ops: OpSpec[] = [];
  const str = { type: 'string' };
  switch (s.name) {
    case 'log':
      ops.push({
        method: 'get',
        id: `read${name}Log`,
        description: `read the log of the named ${parent.kind}`,
        action: 'get',
        gvk,
        params: operationParams.log,
        responses: { '200': ok(str, [...objectMedia, 'text/plain']) },
      });
      break;
    case 'exec':
    case 'attach':
    case 'portforward':
      for (const method of ['get', 'post'] as const) {
        ops.push({
          method,
          id: `connect${gv}${method === 'get' ? 'Get' : 'Post'}${scoped}${parent.kind}${sub}`,
          description: `connect to the ${s.name} of the named ${parent.kind}`,
          action: 'connect',
          gvk,
          params: operationParams[s.name],
          noPretty: true,
          responses: { '200': ok(str, ['*/*']) },
        });
      }
      break;
    default: {
      const schema = schemaOf();
      const what = `the ${s.name} of the named ${parent.kind}`;
      if (s.verbs.includes('get')) ops.push(readOp(`read${name}${sub}`, `read ${what}`, gvk, schema));
      if (s.verbs.includes('update')) ops.push(replaceOp(`replace${name}${sub}`, `replace ${what}`, gvk, schema));
      if (s.verbs.includes('patch')) ops.push(patchOp(`patch${name}${sub}`, `partially update ${what}`, gvk, schema));
      if (s.verbs.includes('create')) ops.push(createOp(`create${name}${sub}`, `create ${what}`, gvk, schema));
    }
  }
  return ops;
}

/**
 * A path item: parameters every operation shares move to the path level,
 * the rest stay with their operation, each list sorted by name (as
 * upstream's generator does).
 */
function pathItem(ops: OpSpec[], pathParams: JsonSchema[], tag: string): JsonSchema {
  const full = ops.map((o) => [...pathParams, ...(o.noPretty ? [] : [queryParam('pretty')]), ...o.params.map(queryParam)]);
  const key = (p: JsonSchema) => `${p.in}:${p.name}`;
  const shared = full[0].filter((p) => full.every((list) => list.some((x) => key(x) === key(p))));
  const sharedKeys = new Set(shared.map(key));
  const byName = (a: JsonSchema, b: JsonSchema) => String(a.name).localeCompare(String(b.name));
  const item: JsonSchema = {};
  ops.forEach((o, i) => {
    const own = full[i].filter((p) => !sharedKeys.has(key(p))).sort(byName);
    const op: JsonSchema = { description: o.description, operationId: o.id };
    if (own.length) op.parameters = own;
    if (o.body) {
      op.requestBody = { content: Object.fromEntries(o.body.media.map((m) => [m, { schema: o.body!.schema }])) };
      if (o.body.required) (op.requestBody as JsonSchema).required = true;
    }
    const responses: JsonSchema = {};
    for (const [code, r] of Object.entries(o.responses)) {
      responses[code] = { content: Object.fromEntries((r.media ?? []).map((m) => [m, { schema: r.schema }])), description: r.description };
    }
    responses['401'] = { description: 'Unauthorized' };
    op.responses = responses;
    op.tags = [tag];
    if (o.action) op['x-kubernetes-action'] = o.action;
    if (o.gvk) op['x-kubernetes-group-version-kind'] = { group: o.gvk.group, kind: o.gvk.kind, version: o.gvk.version };
    item[o.method] = op;
  });
  if (shared.length) item.parameters = shared.sort(byName);
  const sorted: JsonSchema = {};
  for (const k of Object.keys(item).sort()) sorted[k] = item[k];
  return sorted;
}
