import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { resources } from '../resources.ts';
import { OpenAPIService, openapiV3Document, openapiV3ForPath, openapiV3Root } from './index.ts';

type Doc = {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, any> };
};

const parse = (group: string, version: string): Doc => JSON.parse(openapiV3Document(group, version)!.json);

test('the root lists every served group version with a hashed URL', () => {
  const root = openapiV3Root();
  const expected = [...new Set(resources.map((r) => (r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`)))].sort();
  assert.deepEqual(Object.keys(root.paths).sort(), expected);
  const apps = openapiV3Document('apps', 'v1')!;
  assert.equal(root.paths['apis/apps/v1'].serverRelativeURL, `/openapi/v3/apis/apps/v1?hash=${apps.hash}`);
  assert.equal(apps.hash, createHash('sha512').update(apps.json).digest('hex').toUpperCase());
  assert.equal(apps.etag, `"${apps.hash}"`);
  assert.equal(openapiV3ForPath('/apis/apps/v1'), apps, 'documents are cached');
  assert.equal(openapiV3Document('apps', 'v2'), undefined);
  assert.equal(openapiV3ForPath('apis/apps'), undefined);
});

test('every PATCH names its kind and takes fieldValidation (what kubectl checks before apply)', () => {
  for (const r of resources.filter((x) => x.verbs.includes('patch'))) {
    const doc = parse(r.group, r.version);
    const ns = r.namespaced ? '/namespaces/{namespace}' : '';
    const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const item = doc.paths[`${prefix}${ns}/${r.resource}/{name}`];
    assert.ok(item?.patch, `${r.resource} patch`);
    assert.deepEqual(item.patch['x-kubernetes-group-version-kind'], { group: r.group, kind: r.kind, version: r.version });
    assert.equal(item.patch['x-kubernetes-action'], 'patch');
    assert.ok(item.patch.parameters.some((p: any) => p.name === 'fieldValidation' && p.in === 'query'));
    assert.ok(item.patch.parameters.some((p: any) => p.name === 'force'));
    assert.deepEqual(Object.keys(item.patch.requestBody.content), [
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
    ]);
    assert.ok(doc.components.schemas[doc.paths[`${prefix}${ns}/${r.resource}/{name}`].get.responses['200'].content['application/json'].schema.$ref.split('/').pop()]);
  }
});

test('operations, shared parameters and subresources follow upstream', () => {
  const doc = parse('apps', 'v1');
  assert.equal(doc.openapi, '3.0.0');
  assert.equal(doc.info.version, 'v1.32.4');
  const collection = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments'];
  assert.deepEqual(Object.keys(collection), ['delete', 'get', 'parameters', 'post']);
  assert.deepEqual(collection.parameters.map((p: any) => p.name), ['namespace', 'pretty']);
  assert.equal(collection.get.operationId, 'listAppsV1NamespacedDeployment');
  assert.equal(collection.post.operationId, 'createAppsV1NamespacedDeployment');
  assert.deepEqual(collection.post.parameters.map((p: any) => p.name), ['dryRun', 'fieldManager', 'fieldValidation']);
  assert.equal(collection.delete['x-kubernetes-action'], 'deletecollection');
  const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
  assert.deepEqual(scale.put['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
  assert.ok(doc.components.schemas['io.k8s.api.autoscaling.v1.Scale']);
  assert.equal(doc.paths['/apis/apps/v1/watch/deployments'].get['x-kubernetes-action'], 'watchlist');
  assert.equal(doc.paths['/apis/apps/v1/deployments'].get.operationId, 'listAppsV1DeploymentForAllNamespaces');
  const gvks = doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions']['x-kubernetes-group-version-kind'];
  assert.ok(gvks.some((g: any) => g.group === 'apps' && g.version === 'v1'));
  assert.ok(gvks.some((g: any) => g.group === '' && g.version === 'v1'));

  const core = parse('', 'v1');
  const pod = core.paths['/api/v1/namespaces/{namespace}/pods/{name}'];
  assert.equal(pod.delete.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/io.k8s.api.core.v1.Pod');
  const cm = core.paths['/api/v1/namespaces/{namespace}/configmaps/{name}'];
  assert.equal(cm.delete.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Status');
  const eviction = core.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'];
  assert.deepEqual(eviction.post['x-kubernetes-group-version-kind'], { group: 'policy', kind: 'Eviction', version: 'v1' });
  assert.equal(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/exec'].get.operationId, 'connectCoreV1GetNamespacedPodExec');
  assert.ok(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/log'].get.responses['200'].content['text/plain']);
  assert.equal(core.paths['/api/v1/namespaces/{name}/finalize'].put.operationId, 'replaceCoreV1NamespaceFinalize');
  assert.equal(core.paths['/api/v1/namespaces/{namespace}/bindings'].post.operationId, 'createCoreV1NamespacedBinding');
  assert.equal(core.paths['/api/v1/nodes'].get.operationId, 'listCoreV1Node');
});

test('every reference in every document resolves inside it', () => {
  const svc = new OpenAPIService();
  for (const key of svc.groupVersionPaths()) {
    const text = svc.forPath(key)!.json;
    const doc = JSON.parse(text) as Doc;
    // ASCII only: V8 then keeps the cached text at one byte per character.
    assert.ok(/^[\x20-\x7e]*$/.test(text), `${key} has non-ASCII text`);
    for (const m of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
      assert.ok(doc.components.schemas[m[1]], `${key}: ${m[1]}`);
    }
  }
});
