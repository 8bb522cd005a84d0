import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schema } from './index.ts';
import { resources } from '../resources.ts';
import type { MessageType, TypeRef } from './types.ts';

const apps = 'io.k8s.api.apps.v1.';
const core = 'io.k8s.api.core.v1.';
const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.';

function mustType(name: string): MessageType {
  const t = schema.type(name);
  assert.ok(t, `type ${name}`);
  return t;
}

function mustField(typeName: string, field: string) {
  const f = schema.field(mustType(typeName), field);
  assert.ok(f, `${typeName}.${field}`);
  return f;
}

test('DeploymentSpec.replicas is protobuf field 1, a pointer to int32', () => {
  const f = mustField(apps + 'DeploymentSpec', 'replicas');
  assert.equal(f.tag, 1);
  assert.equal(f.pointer, true);
  assert.deepEqual(f.type, { kind: 'scalar', scalar: 'int32' });
  assert.equal(f.required, undefined);
});

test('DeploymentSpec: selector and template required, strategy retainKeys', () => {
  assert.equal(mustField(apps + 'DeploymentSpec', 'selector').required, true);
  const template = mustField(apps + 'DeploymentSpec', 'template');
  assert.equal(template.required, true);
  assert.equal(template.pointer, false);
  assert.deepEqual(template.type, { kind: 'message', name: core + 'PodTemplateSpec' });
  const strategy = mustField(apps + 'DeploymentSpec', 'strategy');
  assert.equal(strategy.patchStrategy, 'retainKeys');
  assert.equal(strategy.tag, 4);
  assert.deepEqual(mustField(apps + 'DeploymentStrategy', 'type').enum, ['Recreate', 'RollingUpdate']);
  const surge = mustField(apps + 'RollingUpdateDeployment', 'maxSurge');
  assert.deepEqual(surge.type, { kind: 'special', special: 'IntOrString' });
  assert.equal(surge.pointer, true);
});

test('PodSpec.containers merges by name', () => {
  const f = mustField(core + 'PodSpec', 'containers');
  assert.equal(f.tag, 2);
  assert.equal(f.patchStrategy, 'merge');
  assert.equal(f.patchMergeKey, 'name');
  assert.equal(f.listType, 'map');
  assert.deepEqual(f.listMapKeys, ['name']);
  assert.equal(f.required, true);
  assert.deepEqual(f.type, { kind: 'list', items: { kind: 'message', name: core + 'Container' } });
  const volumes = mustField(core + 'PodSpec', 'volumes');
  assert.equal(volumes.patchStrategy, 'merge,retainKeys');
  assert.equal(volumes.patchMergeKey, 'name');
});

test('Container.ports merge on containerPort, list-map keys containerPort and protocol', () => {
  const f = mustField(core + 'Container', 'ports');
  assert.equal(f.patchMergeKey, 'containerPort');
  assert.equal(f.patchStrategy, 'merge');
  assert.equal(f.listType, 'map');
  assert.deepEqual(f.listMapKeys, ['containerPort', 'protocol']);
  const protocol = mustField(core + 'ContainerPort', 'protocol');
  assert.equal(protocol.default, 'TCP');
  assert.deepEqual(protocol.enum, ['SCTP', 'TCP', 'UDP']);
  assert.equal(mustField(core + 'ContainerPort', 'containerPort').required, true);
  assert.equal(mustField(core + 'Container', 'volumeMounts').patchMergeKey, 'mountPath');
  assert.equal(mustField(core + 'Container', 'env').patchMergeKey, 'name');
});

test('ServiceSpec.ports merge on port; type is an enum', () => {
  const f = mustField(core + 'ServiceSpec', 'ports');
  assert.equal(f.patchMergeKey, 'port');
  assert.equal(f.patchStrategy, 'merge');
  assert.deepEqual(f.listMapKeys, ['port', 'protocol']);
  assert.deepEqual(mustField(core + 'ServiceSpec', 'type').enum, ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']);
  assert.deepEqual(mustField(core + 'ServicePort', 'targetPort').type, { kind: 'special', special: 'IntOrString' });
});

test('ObjectMeta: finalizers merge as a set, timestamps, owner references', () => {
  const fin = mustField(meta + 'ObjectMeta', 'finalizers');
  assert.equal(fin.patchStrategy, 'merge');
  assert.equal(fin.patchMergeKey, undefined);
  assert.equal(fin.listType, 'set');
  const created = mustField(meta + 'ObjectMeta', 'creationTimestamp');
  assert.deepEqual(created.type, { kind: 'special', special: 'Time' });
  assert.equal(created.pointer, false);
  assert.equal(mustField(meta + 'ObjectMeta', 'deletionTimestamp').pointer, true);
  assert.equal(mustField(meta + 'ObjectMeta', 'ownerReferences').patchMergeKey, 'uid');
  assert.equal(mustType(meta + 'OwnerReference').structType, 'atomic');
  assert.equal(mustType(meta + 'LabelSelector').structType, 'atomic');
  assert.deepEqual(mustField(meta + 'ManagedFieldsEntry', 'fieldsV1').type, { kind: 'special', special: 'FieldsV1' });
});

test('Secret.data is a map of bytes, stringData a map of strings', () => {
  assert.deepEqual(mustField(core + 'Secret', 'data').type, { kind: 'map', values: { kind: 'scalar', scalar: 'bytes' } });
  assert.deepEqual(mustField(core + 'Secret', 'stringData').type, { kind: 'map', values: { kind: 'scalar', scalar: 'string' } });
  assert.equal(mustField(core + 'Secret', 'data').tag, 2);
  assert.deepEqual(mustField(core + 'ResourceRequirements', 'limits').type, {
    kind: 'map',
    values: { kind: 'special', special: 'Quantity' },
  });
});

test('inline structs: Volume shows VolumeSource fields, found by name but not by tag', () => {
  const volume = mustType(core + 'Volume');
  assert.deepEqual(volume.embedded, [{ tag: 2, type: core + 'VolumeSource', position: 1 }]);
  const emptyDir = schema.field(volume, 'emptyDir');
  assert.ok(emptyDir);
  assert.equal(emptyDir.inline, 2);
  assert.equal(emptyDir.tag, 2, 'its number inside VolumeSource');
  assert.equal(emptyDir.pointer, true);
  assert.equal(schema.fieldByTag(volume, 1)?.name, 'name');
  assert.equal(schema.fieldByTag(volume, 2), undefined);
  assert.equal(schema.fieldByTag(mustType(core + 'VolumeSource'), 2)?.name, 'emptyDir');
  // LocalObjectReference is embedded by the key selectors.
  const sel = mustType(core + 'SecretKeySelector');
  assert.equal(schema.field(sel, 'name')?.inline, 1);
  assert.equal(schema.fieldByTag(sel, 2)?.name, 'key');
  assert.equal(schema.field(mustType(core + 'Probe'), 'httpGet')?.inline, 1);
});

test('apiVersion and kind are fields that are never on the protobuf wire', () => {
  const dep = mustType(apps + 'Deployment');
  assert.equal(schema.field(dep, 'kind')?.tag, 0);
  assert.equal(schema.fieldByTag(dep, 0), undefined);
  assert.equal(schema.fieldByTag(dep, 2)?.name, 'spec');
});

test('typeForKind finds every kind in the resource table, and its list', () => {
  for (const r of resources) {
    const t = schema.typeForKind(r.group, r.version, r.kind);
    assert.ok(t, `${r.group}/${r.version} ${r.kind}`);
    assert.deepEqual(t.gvk, { group: r.group, version: r.version, kind: r.kind });
    if (r.kind !== 'Binding') assert.ok(schema.typeForKind(r.group, r.version, r.kind + 'List'), `${r.kind}List`);
    for (const s of r.subresources) {
      if (s.kind && !['PodExecOptions', 'PodAttachOptions', 'PodPortForwardOptions'].includes(s.kind.kind)) {
        assert.ok(schema.typeForKind(s.kind.group, s.kind.version, s.kind.kind), `${r.kind}/${s.name}`);
      }
    }
  }
  assert.equal(schema.typeForKind('events.k8s.io', 'v1', 'Event')?.name, 'io.k8s.api.events.v1.Event');
  assert.equal(schema.typeForKind('', 'v1', 'Event')?.name, core + 'Event');
  assert.equal(schema.typeForKind('', 'v1', 'PodTemplate')?.name, core + 'PodTemplate');
  assert.equal(schema.typeForKind('apps', 'v1', 'Pod'), undefined);
});

test('DeleteOptions is a kind of every group version', () => {
  assert.equal(schema.typeForKind('', 'v1', 'DeleteOptions')?.name, meta + 'DeleteOptions');
  assert.equal(schema.typeForKind('apps', 'v1', 'DeleteOptions')?.name, meta + 'DeleteOptions');
  const f = mustField(meta + 'DeleteOptions', 'gracePeriodSeconds');
  assert.equal(f.tag, 1);
  assert.equal(f.pointer, true);
  assert.equal(mustField(meta + 'DeleteOptions', 'propagationPolicy').tag, 4);
  assert.equal(schema.typeForKind('', 'v1', 'Status')?.name, meta + 'Status');
});

function refsOf(t: TypeRef): string[] {
  if (t.kind === 'message') return [t.name];
  if (t.kind === 'list') return refsOf(t.items);
  if (t.kind === 'map') return refsOf(t.values);
  return [];
}

test('the schema is closed and consistent', () => {
  let types = 0;
  let fields = 0;
  for (const t of schema.all()) {
    types++;
    const names = new Set<string>();
    const tags = new Set<number>();
    for (const f of t.fields) {
      fields++;
      assert.ok(!names.has(f.name), `${t.name}.${f.name} twice`);
      names.add(f.name);
      if (f.inline === undefined && f.tag > 0) {
        assert.ok(!tags.has(f.tag), `${t.name} tag ${f.tag} twice`);
        tags.add(f.tag);
      }
      for (const ref of refsOf(f.type)) assert.ok(schema.type(ref), `${t.name}.${f.name} refers to unknown ${ref}`);
      if (f.listMapKeys) assert.equal(f.listType, 'map', `${t.name}.${f.name}`);
      if (f.type.kind === 'list' || f.type.kind === 'map') assert.equal(f.pointer, true);
    }
  }
  assert.ok(types > 300, `types: ${types}`);
  assert.ok(fields > 1400, `fields: ${fields}`);
});

test('commonly explained types carry our descriptions', () => {
  for (const name of [apps + 'Deployment', apps + 'DeploymentSpec', core + 'PodSpec', core + 'Container', core + 'ServiceSpec', meta + 'ObjectMeta']) {
    assert.ok(mustType(name).description, name);
  }
  assert.match(mustField(apps + 'DeploymentSpec', 'replicas').description ?? '', /pods/);
  assert.match(mustField(apps + 'Deployment', 'apiVersion').description ?? '', /schema/);
  assert.match(mustField(apps + 'DeploymentList', 'items').description ?? '', /list/);
  // Embedded fields keep the description of the embedding type where it has one.
  assert.match(mustField(core + 'Volume', 'emptyDir').description ?? '', /empty directory/);
});
