import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, deployment, gvk, lines } from './builders.test-util.ts';

const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const apps = (kind: string) => ({ group: 'apps', version: 'v1', kind });

test('seed: nginx Deployment with required pod anti-affinity validates cleanly', () => {
  assert.deepEqual(lines(check(gvk.deployment, deployment().antiAffinity().obj())), []);
});

test('seed: the same with RollingUpdate maxSurge 0 / maxUnavailable 1', () => {
  assert.deepEqual(lines(check(gvk.deployment, deployment().antiAffinity().rollingUpdate(0, 1).obj())), []);
});

const invalid: Array<[string, ReturnType<typeof deployment>, string[]]> = [
  ['bad name', deployment('Foo_bar'), [`metadata.name: Invalid value: "Foo_bar": ${SUBDOMAIN}`]],
  ['missing image', deployment().with((o) => delete o.spec.template.spec.containers[0].image), ['spec.template.spec.containers[0].image: Required value']],
  [
    'selector does not match labels',
    deployment().with((o) => (o.spec.template.metadata.labels = { app: 'web' })),
    ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`'],
  ],
  [
    'duplicate container names',
    deployment().with((o) => o.spec.template.spec.containers.push({ name: 'nginx', image: 'busybox' })),
    ['spec.template.spec.containers[1].name: Duplicate value: "nginx"'],
  ],
  [
    'port out of range',
    deployment().with((o) => (o.spec.template.spec.containers[0].ports[0].containerPort = 70000)),
    ['spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive'],
  ],
  [
    'bad quantity',
    deployment().with((o) => (o.spec.template.spec.containers[0].resources = { limits: { memory: '1.5.5Gi' } })),
    [
      "spec.template.spec.containers[0].resources.limits[memory]: Invalid value: \"1.5.5Gi\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    ],
  ],
  [
    'requests above limits',
    deployment().with((o) => (o.spec.template.spec.containers[0].resources = { limits: { cpu: '1' }, requests: { cpu: '2' } })),
    ['spec.template.spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'],
  ],
  [
    'maxSurge and maxUnavailable both zero',
    deployment().rollingUpdate(0, 0),
    ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0'],
  ],
  [
    'percent over 100',
    deployment().rollingUpdate('25%', '150%'),
    ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%'],
  ],
  ['negative replicas', deployment().with((o) => (o.spec.replicas = -1)), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
  [
    'missing selector',
    deployment().with((o) => delete o.spec.selector),
    ['spec.selector: Required value', 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"nginx"}: `selector` does not match template `labels`'],
  ],
  [
    'empty selector',
    deployment().with((o) => (o.spec.selector = {})),
    ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment'],
  ],
  [
    'restartPolicy Never',
    deployment().with((o) => (o.spec.template.spec.restartPolicy = 'Never')),
    ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
  ],
  [
    'unknown strategy type',
    deployment().with((o) => (o.spec.strategy = { type: 'BlueGreen' })),
    ['spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", RollingUpdate:nil}: supported values: "Recreate", "RollingUpdate"'],
  ],
  [
    'Recreate with rollingUpdate',
    deployment().with((o) => (o.spec.strategy = { type: 'Recreate', rollingUpdate: {} })),
    ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
  ],
  [
    'volume mount without volume',
    deployment().with((o) => (o.spec.template.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }])),
    ['spec.template.spec.containers[0].volumeMounts[0].name: Not found: "data"'],
  ],
  [
    'bad label value',
    deployment().with((o) => (o.metadata.labels = { tier: 'front end' })),
    [
      "metadata.labels: Invalid value: \"front end\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue' or 'my_value' or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ],
  ],
];

for (const [name, builder, want] of invalid) {
  test(`Deployment invalid: ${name}`, () => {
    assert.deepEqual(lines(check(gvk.deployment, builder.obj())), want);
  });
}

test('Deployment update: selector is immutable, image is not', () => {
  const old = deployment().obj();
  assert.deepEqual(lines(check(gvk.deployment, deployment().with((o) => (o.spec.template.spec.containers[0].image = 'nginx:1.25')).obj(), old)), []);
  const moved = deployment().with((o) => {
    o.spec.selector.matchLabels.app = 'web';
    o.spec.template.metadata.labels.app = 'web';
  });
  assert.deepEqual(lines(check(gvk.deployment, moved.obj(), old)), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
});

test('metadata is immutable on update: name and namespace', () => {
  const old = deployment().obj();
  const renamed = deployment('other').with((o) => (o.metadata.namespace = 'prod')).obj();
  assert.deepEqual(lines(check(gvk.deployment, renamed, old)), [
    'metadata.name: Invalid value: "other": field is immutable',
    'metadata.namespace: Invalid value: "prod": field is immutable',
  ]);
});

test('ReplicaSet and DaemonSet reuse the template rules', () => {
  const base = deployment().obj();
  const rs = { ...base, kind: 'ReplicaSet', spec: { ...base.spec, selector: {} } };
  assert.deepEqual(lines(check(apps('ReplicaSet'), rs)), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
  ]);
  const ds = { ...base, kind: 'DaemonSet', spec: { selector: base.spec.selector, template: base.spec.template, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } } };
  assert.deepEqual(lines(check(apps('DaemonSet'), ds)), ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0']);
});

test('StatefulSet: only some spec fields may change', () => {
  const base = deployment('db').obj();
  const sts = { ...base, kind: 'StatefulSet', spec: { ...base.spec, serviceName: 'db' } };
  assert.deepEqual(lines(check(apps('StatefulSet'), sts)), []);
  const changed = structuredClone(sts);
  changed.spec.serviceName = 'other';
  changed.spec.replicas = 5;
  assert.deepEqual(lines(check(apps('StatefulSet'), changed, sts)), [
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
  ]);
});

test('status subresource only checks metadata and counters', () => {
  const old = deployment().obj();
  const next = deployment().with((o) => (o.status = { replicas: -1 })).obj();
  assert.deepEqual(lines(check(gvk.deployment, next, old, { subresource: 'status' })), ['status.replicas: Invalid value: -1: must be greater than or equal to 0']);
});

test('scale subresource: replicas must not be negative', () => {
  const scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: -2 } };
  assert.deepEqual(lines(check({ group: 'autoscaling', version: 'v1', kind: 'Scale' }, scale)), [
    'spec.replicas: Invalid value: -2: must be greater than or equal to 0',
  ]);
});
