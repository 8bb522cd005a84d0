/**
 * Object semantics over the real HTTP API of a running `bramble server`:
 * status codes and Status bodies, optimistic concurrency, generation,
 * status/spec separation, no-op writes, finalizers, pagination and
 * resourceVersion reads.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, startServer, type TestServer } from '../harness/server.ts';
import { apiClient, type ApiClient } from '../harness/api.ts';

let srv: TestServer;
let api: ApiClient;

before(async () => {
  srv = await startServer();
  api = apiClient(srv.kubeconfig);
});
after(async () => srv?.stop());

const cm = (name: string, data: Record<string, string> = { a: '1' }, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...extra },
  data,
});

const cms = '/api/v1/namespaces/default/configmaps';

describe('transport and auth', () => {
  it('serves HTTP/2 and HTTP/1.1', async () => {
    const h2 = await api.h2('GET', '/version');
    assert.equal(h2.status, 200);
    assert.equal(h2.json.minor, '32');
    assert.match(h2.json.gitVersion, /^v1\.32\.\d+/);
    const h1 = await api.request('GET', '/api/v1/namespaces');
    assert.equal(h1.status, 200);
  });

  it('answers anonymous requests with 401 except public endpoints', async () => {
    const https = await import('node:https');
    const get = (path: string) =>
      new Promise<number>((resolve, reject) => {
        https
          .get({ host: '127.0.0.1', port: srv.port, path, ca: api.credentials.ca, servername: 'localhost' }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
          .on('error', reject);
      });
    assert.equal(await get('/api/v1/pods'), 401);
    assert.equal(await get('/version'), 200);
    assert.equal(await get('/readyz'), 200);
  });

  it('serves aggregated discovery with the exact media type', async () => {
    const r = await api.request('GET', '/apis', undefined, {
      accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const apps = r.json.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'apps');
    const deploy = apps.versions[0].resources.find((x: { resource: string }) => x.resource === 'deployments');
    assert.deepEqual(deploy.shortNames, ['deploy']);
    assert.deepEqual(
      deploy.subresources.find((s: { subresource: string }) => s.subresource === 'scale').responseKind,
      { group: 'autoscaling', version: 'v1', kind: 'Scale' },
    );
    const legacy = await api.request('GET', '/api/v1');
    const ev = legacy.json.resources.find((x: { name: string }) => x.name === 'pods/eviction');
    assert.deepEqual([ev.group, ev.version, ev.kind], ['policy', 'v1', 'Eviction']);
  });
});

describe('writes', () => {
  it('creates with 201 and fills system metadata', async () => {
    const r = await api.request('POST', cms, cm('c1'));
    assert.equal(r.status, 201);
    const m = r.json.metadata;
    assert.match(m.uid, /^[0-9a-f-]{36}$/);
    assert.match(m.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(m.resourceVersion, /^\d+$/);
    assert.equal(m.namespace, 'default');
  });

  it('rejects a duplicate with 409 AlreadyExists', async () => {
    const r = await api.request('POST', cms, cm('c1'));
    assert.equal(r.status, 409);
    assert.equal(r.json.reason, 'AlreadyExists');
    assert.equal(r.json.message, 'configmaps "c1" already exists');
    assert.deepEqual(r.json.details, { name: 'c1', group: '', kind: 'configmaps' });
  });

  it('generates names from generateName', async () => {
    const r = await api.request('POST', cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
    assert.equal(r.status, 201);
    assert.match(r.json.metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('answers a stale resourceVersion with 409 Conflict and keeps the stored object', async () => {
    const created = (await api.request('POST', cms, cm('c2'))).json;
    const first = await api.request('PUT', `${cms}/c2`, { ...created, data: { a: '2' } });
    assert.equal(first.status, 200);
    const stale = await api.request('PUT', `${cms}/c2`, { ...created, data: { a: '3' } });
    assert.equal(stale.status, 409);
    assert.equal(stale.json.reason, 'Conflict');
    assert.equal(
      stale.json.message,
      'Operation cannot be fulfilled on configmaps "c2": the object has been modified; please apply your changes to the latest version and try again',
    );
    const now = await api.request('GET', `${cms}/c2`);
    assert.deepEqual(now.json.data, { a: '2' });
  });

  it('does not write when an update changes nothing', async () => {
    const cur = (await api.request('GET', `${cms}/c2`)).json;
    const again = await api.request('PUT', `${cms}/c2`, cur);
    assert.equal(again.status, 200);
    assert.equal(again.json.metadata.resourceVersion, cur.metadata.resourceVersion);
  });

  it('keeps uid and creationTimestamp on update', async () => {
    const cur = (await api.request('GET', `${cms}/c2`)).json;
    const r = await api.request('PUT', `${cms}/c2`, { ...cur, metadata: { ...cur.metadata, uid: 'x', creationTimestamp: '2001-01-01T00:00:00Z' }, data: { a: '9' } });
    assert.equal(r.status, 200);
    assert.equal(r.json.metadata.uid, cur.metadata.uid);
    assert.equal(r.json.metadata.creationTimestamp, cur.metadata.creationTimestamp);
  });

  it('rejects mismatched names and namespaces with 400', async () => {
    const r = await api.request('PUT', `${cms}/c2`, cm('other'));
    assert.equal(r.status, 400);
    assert.match(r.json.message, /does not match the name on the URL/);
    const ns = await api.request('POST', cms, cm('c3', {}, { namespace: 'kube-system' }));
    assert.equal(ns.status, 400);
    assert.match(ns.json.message, /namespace of the provided object does not match/);
  });

  it('rejects malformed bodies with 400 and stores nothing', async () => {
    const before = (await api.request('GET', cms)).json.items.length;
    const bad = await api.request('POST', cms, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"broken"', { 'content-type': 'application/json' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.kind, 'Status');
    assert.equal(bad.json.reason, 'BadRequest');
    const yaml = await api.request('POST', cms, 'metadata: {name: [unclosed', { 'content-type': 'application/yaml' });
    assert.equal(yaml.status, 400);
    const unknownType = await api.request('POST', cms, 'x', { 'content-type': 'text/plain' });
    assert.equal(unknownType.status, 415);
    assert.equal(unknownType.json.reason, 'UnsupportedMediaType');
    assert.equal((await api.request('GET', cms)).json.items.length, before);
  });

  it('accepts YAML bodies', async () => {
    const r = await api.request('POST', cms, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n', { 'content-type': 'application/yaml' });
    assert.equal(r.status, 201);
    assert.deepEqual(r.json.data, { k: 'v' });
  });

  it('creates in missing namespaces with 404 and answers unknown resources with 404', async () => {
    const r = await api.request('POST', '/api/v1/namespaces/nope/configmaps', cm('x'));
    assert.equal(r.status, 404);
    assert.equal(r.json.message, 'namespaces "nope" not found');
    const u = await api.request('GET', '/api/v1/namespaces/default/widgets');
    assert.equal(u.status, 404);
    const m = await api.request('GET', `${cms}/does-not-exist`);
    assert.equal(m.status, 404);
    assert.equal(m.json.message, 'configmaps "does-not-exist" not found');
  });

  it('supports dry-run without storing', async () => {
    const r = await api.request('POST', `${cms}?dryRun=All`, cm('dry'));
    assert.equal(r.status, 201);
    assert.equal((await api.request('GET', `${cms}/dry`)).status, 404);
  });
});

describe('generation and the status subresource', () => {
  const deploys = '/apis/apps/v1/namespaces/default/deployments';
  const dep = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } },
    },
    status: { replicas: 99 },
  };

  it('starts at generation 1 with status cleared', async () => {
    const r = await api.request('POST', deploys, dep);
    assert.equal(r.status, 201);
    assert.equal(r.json.metadata.generation, 1);
    assert.notEqual(r.json.status?.replicas, 99);
  });

  it('bumps generation on spec changes only', async () => {
    const lbl = await api.request('PATCH', `${deploys}/web`, { metadata: { labels: { x: 'y' } } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(lbl.json.metadata.generation, 1);
    const spec = await api.request('PATCH', `${deploys}/web`, { spec: { replicas: 3 } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(spec.json.metadata.generation, 2);
  });

  it('ignores status in main-resource writes and spec in status writes', async () => {
    const viaMain = await api.request('PATCH', `${deploys}/web`, { status: { replicas: 7 } }, { 'content-type': 'application/merge-patch+json' });
    assert.notEqual(viaMain.json.status?.replicas, 7);
    const viaStatus = await api.request('PATCH', `${deploys}/web/status`, { spec: { replicas: 9 }, status: { replicas: 7 } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(viaStatus.status, 200);
    assert.equal(viaStatus.json.status.replicas, 7);
    assert.equal(viaStatus.json.spec.replicas, 3);
    assert.equal(viaStatus.json.metadata.generation, 2);
  });

  it('serves the scale subresource', async () => {
    const s = await api.request('GET', `${deploys}/web/scale`);
    assert.equal(s.json.kind, 'Scale');
    assert.equal(s.json.apiVersion, 'autoscaling/v1');
    assert.equal(s.json.spec.replicas, 3);
    assert.equal(s.json.status.selector, 'app=web');
    const p = await api.request('PATCH', `${deploys}/web/scale`, { spec: { replicas: 5 } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(p.json.spec.replicas, 5);
    const put = await api.request('PUT', `${deploys}/web/scale`, { ...p.json, spec: { replicas: 2 } });
    assert.equal(put.status, 200);
    const stale = await api.request('PUT', `${deploys}/web/scale`, { ...p.json, spec: { replicas: 1 } });
    assert.equal(stale.status, 409);
    const neg = await api.request('PATCH', `${deploys}/web/scale`, { spec: { replicas: -1 } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(neg.status, 422);
    const d = (await api.request('GET', `${deploys}/web`)).json;
    assert.equal(d.spec.replicas, 2);
    assert.equal(d.metadata.generation, 4);
  });
});

describe('deletion', () => {
  it('waits for finalizers, then deletes when the last one goes', async () => {
    await api.request('POST', cms, cm('held', {}, { finalizers: ['example.com/hold'] }));
    const del = await api.request('DELETE', `${cms}/held`);
    assert.equal(del.status, 200);
    assert.ok(del.json.metadata.deletionTimestamp);
    const still = await api.request('GET', `${cms}/held`);
    assert.equal(still.status, 200);
    const rel = await api.request('PATCH', `${cms}/held`, { metadata: { finalizers: null } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(rel.status, 200);
    assert.equal((await api.request('GET', `${cms}/held`)).status, 404);
  });

  it('honours preconditions', async () => {
    await api.request('POST', cms, cm('pre'));
    const r = await api.request('DELETE', `${cms}/pre`, { preconditions: { uid: 'wrong' } });
    assert.equal(r.status, 409);
    assert.match(r.json.message, /Precondition failed: UID in precondition: wrong/);
  });

  it('deletes pods on a node gracefully, unscheduled pods at once', async () => {
    const pods = '/api/v1/namespaces/default/pods';
    const pod = (name: string, nodeName?: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] },
    });
    await api.request('POST', pods, pod('loose'));
    const d1 = await api.request('DELETE', `${pods}/loose`);
    assert.equal(d1.status, 200);
    assert.equal((await api.request('GET', `${pods}/loose`)).status, 404);
    await api.request('POST', pods, pod('placed', 'node-1'));
    const d2 = await api.request('DELETE', `${pods}/placed`);
    assert.equal(d2.json.metadata.deletionGracePeriodSeconds, 30);
    const t = await api.request('GET', `${pods}/placed`, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.equal(t.json.rows[0].cells[2], 'Terminating');
    const d3 = await api.request('DELETE', `${pods}/placed?gracePeriodSeconds=0`);
    assert.equal(d3.status, 200);
    assert.equal((await api.request('GET', `${pods}/placed`)).status, 404);
  });

  it('refuses to delete the default namespace', async () => {
    const r = await api.request('DELETE', '/api/v1/namespaces/default');
    assert.equal(r.status, 403);
    assert.equal(r.json.message, 'namespaces "default" is forbidden: this namespace may not be deleted');
  });
});

describe('lists', () => {
  before(async () => {
    for (let i = 0; i < 7; i++) await api.request('POST', '/api/v1/namespaces/kube-public/configmaps', cm(`p${i}`, {}, { labels: { n: String(i % 2) } }));
  });
  const base = '/api/v1/namespaces/kube-public/configmaps';

  it('paginates with limit and continue at a consistent revision', async () => {
    const p1 = (await api.request('GET', `${base}?limit=3`)).json;
    assert.equal(p1.items.length, 3);
    assert.ok(p1.metadata.continue);
    await api.request('POST', base, cm('p-late'));
    const p2 = (await api.request('GET', `${base}?limit=3&continue=${encodeURIComponent(p1.metadata.continue)}`)).json;
    const p3 = (await api.request('GET', `${base}?limit=3&continue=${encodeURIComponent(p2.metadata.continue)}`)).json;
    const names = [...p1.items, ...p2.items, ...p3.items].map((i: { metadata: { name: string } }) => i.metadata.name);
    assert.deepEqual(names, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    assert.equal(p3.metadata.continue, undefined);
    assert.equal(p1.metadata.resourceVersion, p3.metadata.resourceVersion);
  });

  it('filters by label and field selectors', async () => {
    const odd = (await api.request('GET', `${base}?labelSelector=n%3D1`)).json.items.map((i: { metadata: { name: string } }) => i.metadata.name);
    assert.deepEqual(odd, ['p1', 'p3', 'p5']);
    const one = (await api.request('GET', `${base}?fieldSelector=metadata.name%3Dp4`)).json.items;
    assert.equal(one.length, 1);
    const bad = await api.request('GET', `${base}?fieldSelector=spec.foo%3Dx`);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.message, 'field label not supported: spec.foo');
    const badLabel = await api.request('GET', `${base}?labelSelector=a%20in%20b`);
    assert.equal(badLabel.status, 400);
  });

  it('reads an exact older revision', async () => {
    const created = (await api.request('POST', base, cm('versioned', { v: '1' }))).json;
    await api.request('PATCH', `${base}/versioned`, { data: { v: '2' } }, { 'content-type': 'application/merge-patch+json' });
    const old = (await api.request('GET', `${base}?resourceVersion=${created.metadata.resourceVersion}&resourceVersionMatch=Exact&fieldSelector=metadata.name%3Dversioned`)).json;
    assert.deepEqual(old.items[0].data, { v: '1' });
    assert.equal(old.metadata.resourceVersion, created.metadata.resourceVersion);
  });

  it('lists across namespaces and as a Table', async () => {
    const all = (await api.request('GET', '/api/v1/configmaps')).json;
    assert.equal(all.kind, 'ConfigMapList');
    assert.ok(all.items.some((i: { metadata: { namespace: string } }) => i.metadata.namespace === 'kube-public'));
    const t = await api.request('GET', base, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    assert.equal(t.json.kind, 'Table');
    assert.deepEqual(t.json.columnDefinitions.map((c: { name: string }) => c.name), ['Name', 'Data', 'Age']);
    assert.equal(t.json.rows[0].object.kind, 'PartialObjectMetadata');
    assert.equal(t.json.rows[0].object.metadata.namespace, 'kube-public');
  });
});

describe('request formats and validation modes', () => {
  it('handles fieldValidation Strict, Warn (Warning header) and Ignore', async () => {
    const body = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: {}, bogus: 1 });
    const strict = await api.request('POST', `${cms}?fieldValidation=Strict`, body('fv1'));
    assert.equal(strict.status, 400);
    assert.equal(strict.json.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"');
    const warn = await api.request('POST', `${cms}?fieldValidation=Warn`, body('fv2'));
    assert.equal(warn.status, 201);
    assert.deepEqual(warn.headers['warning'], '299 - "unknown field \\"bogus\\""');
    assert.equal(warn.json.bogus, undefined, 'unknown fields are pruned, never stored');
    const ignore = await api.request('POST', `${cms}?fieldValidation=Ignore`, body('fv3'));
    assert.equal(ignore.status, 201);
    assert.equal(ignore.headers['warning'], undefined);
    const bad = await api.request('POST', `${cms}?fieldValidation=Loose`, body('fv4'));
    assert.equal(bad.status, 400);
  });

  it('rejects type errors the way Go decoding does', async () => {
    const r = await api.request('POST', '/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'typed' },
      spec: { replicas: 'two' },
    });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /cannot unmarshal string into Go struct field .*replicas of type int32/);
  });

  it('decodes a protobuf DeleteOptions body (kubectl drain without eviction)', async () => {
    await api.request('POST', cms, cm('pb-del'));
    const body = fs.readFileSync(path.join(repoRoot, 'src/api/schema/testdata/delete-options.pb'));
    const r = await api.request('DELETE', `${cms}/pb-del`, body, { 'content-type': 'application/vnd.kubernetes.protobuf' });
    assert.equal(r.status, 200);
    assert.equal((await api.request('GET', `${cms}/pb-del`)).status, 404);
  });

  it('creates from a protobuf body (kubectl create configmap)', async () => {
    const body = fs.readFileSync(path.join(repoRoot, 'src/api/schema/testdata/configmap.pb'));
    const r = await api.request('POST', `${cms}?fieldManager=kubectl-create&fieldValidation=Strict`, body, {
      'content-type': 'application/vnd.kubernetes.protobuf',
      accept: 'application/vnd.kubernetes.protobuf,application/json',
    });
    assert.equal(r.status, 201);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.json.kind, 'ConfigMap');
    assert.equal(r.json.metadata.managedFields[0].manager, 'kubectl-create');
  });

  it('answers 405 for verbs a path does not take', async () => {
    const r = await api.request('POST', '/version', {});
    assert.equal(r.status, 405);
    assert.equal(r.json.reason, 'MethodNotAllowed');
  });

  it('serves PartialObjectMetadata for metadata-only clients', async () => {
    const r = await api.request('GET', cms, undefined, { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' });
    assert.equal(r.json.kind, 'PartialObjectMetadataList');
    assert.ok(r.json.items.length > 0);
    assert.equal(r.json.items[0].kind, 'PartialObjectMetadata');
    assert.equal(r.json.items[0].data, undefined);
  });
});

describe('upstream bookkeeping', () => {
  it('drops empty metadata lists and maps, as Go omits them', async () => {
    await api.request('POST', cms, cm('empties', {}, { finalizers: ['example.com/a'], labels: {} }));
    const r = await api.request('PATCH', `${cms}/empties`, { metadata: { finalizers: [] } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(r.status, 200);
    assert.equal(r.json.metadata.finalizers, undefined);
    assert.equal(r.json.metadata.labels, undefined);
  });

  it('keeps a DaemonSet template generation in its annotation', async () => {
    const dss = '/apis/apps/v1/namespaces/default/daemonsets';
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    const created = await api.request('POST', dss, ds);
    assert.equal(created.json.metadata.annotations['deprecated.daemonset.template.generation'], '1');
    const same = await api.request('PATCH', `${dss}/agent`, { metadata: { labels: { x: 'y' } } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(same.json.metadata.annotations['deprecated.daemonset.template.generation'], '1');
    const changed = await api.request('PATCH', `${dss}/agent`, { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } } }, { 'content-type': 'application/strategic-merge-patch+json' });
    assert.equal(changed.json.metadata.annotations['deprecated.daemonset.template.generation'], '2');
  });
});
