import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schema } from '../schema/index.ts';
import { componentSchema, reachable } from './schemas.ts';
import type { JsonSchema } from './schemas.ts';

const apps = 'io.k8s.api.apps.v1.';
const core = 'io.k8s.api.core.v1.';
const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function props(name: string): Record<string, JsonSchema> {
  const s = componentSchema(schema, name);
  assert.ok(s, name);
  return s.properties as Record<string, JsonSchema>;
}

/** Drops descriptions: their wording is ours, the rest must be upstream's shape. */
function bare(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(bare);
  if (s && typeof s === 'object') return Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'description').map(([k, v]) => [k, bare(v)]));
  return s;
}

test('Deployment: kind extension, metadata/spec/status as allOf references with default {}', () => {
  const s = componentSchema(schema, apps + 'Deployment')!;
  assert.deepEqual(s['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  assert.equal(s.type, 'object');
  assert.deepEqual(bare(props(apps + 'Deployment').spec), { allOf: [ref(apps + 'DeploymentSpec')], default: {} });
  assert.deepEqual(bare(props(apps + 'Deployment').apiVersion), { type: 'string' });
});

test('DeploymentSpec as upstream publishes it', () => {
  const s = bare(componentSchema(schema, apps + 'DeploymentSpec')) as JsonSchema;
  assert.deepEqual(s, {
    properties: {
      minReadySeconds: { format: 'int32', type: 'integer' },
      paused: { type: 'boolean' },
      progressDeadlineSeconds: { format: 'int32', type: 'integer' },
      replicas: { format: 'int32', type: 'integer' },
      revisionHistoryLimit: { format: 'int32', type: 'integer' },
      selector: { allOf: [ref(meta + 'LabelSelector')] },
      strategy: { allOf: [ref(apps + 'DeploymentStrategy')], default: {}, 'x-kubernetes-patch-strategy': 'retainKeys' },
      template: { allOf: [ref(core + 'PodTemplateSpec')], default: {} },
    },
    required: ['selector', 'template'],
    type: 'object',
  });
});

test('Container.ports carries merge key, list type and list-map keys; items default {}', () => {
  assert.deepEqual(bare(props(core + 'Container').ports), {
    items: { allOf: [ref(core + 'ContainerPort')], default: {} },
    type: 'array',
    'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-patch-merge-key': 'containerPort',
    'x-kubernetes-patch-strategy': 'merge',
  });
  assert.deepEqual(bare(props(core + 'Container').command), { items: { default: '', type: 'string' }, type: 'array', 'x-kubernetes-list-type': 'atomic' });
  assert.deepEqual(bare(props(core + 'ContainerPort').protocol), { default: 'TCP', enum: ['SCTP', 'TCP', 'UDP'], type: 'string' });
  assert.deepEqual(bare(props(core + 'PodSpec').volumes), {
    items: { allOf: [ref(core + 'Volume')], default: {} },
    type: 'array',
    'x-kubernetes-list-map-keys': ['name'],
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-patch-merge-key': 'name',
    'x-kubernetes-patch-strategy': 'merge,retainKeys',
  });
});

test('formats: byte maps, quantities, int64, date-time and int-or-string', () => {
  assert.deepEqual(bare(props(core + 'Secret').data), { additionalProperties: { format: 'byte', type: 'string' }, type: 'object' });
  assert.deepEqual(bare(props(core + 'ResourceRequirements').limits), {
    additionalProperties: ref('io.k8s.apimachinery.pkg.api.resource.Quantity'),
    type: 'object',
  });
  assert.deepEqual(bare(props(meta + 'ObjectMeta').generation), { format: 'int64', type: 'integer' });
  assert.deepEqual(bare(props(meta + 'ObjectMeta').labels), { additionalProperties: { default: '', type: 'string' }, type: 'object' });
  assert.deepEqual(bare(componentSchema(schema, meta + 'Time')), { format: 'date-time', type: 'string' });
  assert.deepEqual(bare(componentSchema(schema, 'io.k8s.apimachinery.pkg.util.intstr.IntOrString')), {
    format: 'int-or-string',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
  });
  assert.deepEqual(bare(props(meta + 'ObjectMeta').finalizers), {
    items: { default: '', type: 'string' },
    type: 'array',
    'x-kubernetes-list-type': 'set',
    'x-kubernetes-patch-strategy': 'merge',
  });
});

test('atomic structs, granular overrides, unions and required order', () => {
  assert.equal(componentSchema(schema, meta + 'LabelSelector')!['x-kubernetes-map-type'], 'atomic');
  assert.equal(props(core + 'PersistentVolumeSpec').claimRef['x-kubernetes-map-type'], 'granular');
  // Go struct order, not alphabetical and not protobuf order.
  assert.deepEqual(componentSchema(schema, meta + 'OwnerReference')!.required, ['apiVersion', 'kind', 'name', 'uid']);
  assert.deepEqual(componentSchema(schema, core + 'SeccompProfile')!['x-kubernetes-unions'], [
    { discriminator: 'type', 'fields-to-discriminateBy': { localhostProfile: 'LocalhostProfile' } },
  ]);
  // Inline VolumeSource fields appear on Volume itself.
  assert.deepEqual(bare(props(core + 'Volume').emptyDir), { allOf: [ref(core + 'EmptyDirVolumeSource')] });
});

test('shared kinds list every served group version', () => {
  const gvks = componentSchema(schema, meta + 'DeleteOptions', [
    { group: '', version: 'v1' },
    { group: 'apps', version: 'v1' },
  ])!['x-kubernetes-group-version-kind'];
  assert.deepEqual(gvks, [
    { group: '', kind: 'DeleteOptions', version: 'v1' },
    { group: 'apps', kind: 'DeleteOptions', version: 'v1' },
  ]);
});

test('reachable closes over references; inline-only types are not published', () => {
  const names = reachable(schema, [apps + 'Deployment']);
  for (const n of [core + 'Container', meta + 'ObjectMeta', 'io.k8s.apimachinery.pkg.api.resource.Quantity', meta + 'FieldsV1']) {
    assert.ok(names.includes(n), n);
  }
  assert.ok(!names.includes(core + 'VolumeSource'));
  assert.ok(!names.includes(core + 'Service'));
});
