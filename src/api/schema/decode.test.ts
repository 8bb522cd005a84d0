import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isApiError } from '../errors.ts';
import { decodeObject, pruneUnknownFields } from './decode.ts';
import { schema } from './index.ts';
import type { MessageType } from './types.ts';

const deployment = schema.typeForKind('apps', 'v1', 'Deployment') as MessageType;
const secret = schema.typeForKind('', 'v1', 'Secret') as MessageType;
const pod = schema.typeForKind('', 'v1', 'Pod') as MessageType;
const ctxDeploy = { group: 'apps', version: 'v1', kind: 'Deployment' };
const ctxPod = { group: '', version: 'v1', kind: 'Pod' };

function deploy(spec: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec, ...extra };
}

function rejects(fn: () => unknown, message: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isApiError(e, 'BadRequest'), String(e));
    assert.equal((e as Error).message, message);
    return true;
  });
}

test('a valid object decodes unchanged', () => {
  const obj = deploy({
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '500m' } } }] },
    },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
  });
  const r = decodeObject(deployment, obj, ctxDeploy);
  assert.deepEqual(r.object, obj);
  assert.deepEqual(r.unknownFields, []);
});

test('unknown fields are dropped and reported by path, list indexes included', () => {
  const r = decodeObject(
    deployment,
    deploy({ bogus: 1, template: { spec: { containers: [{ name: 'a' }, { name: 'b', imagee: 'x' }] } } }, { Metadata: {} }),
    ctxDeploy,
  );
  assert.deepEqual(r.unknownFields, ['spec.bogus', 'spec.template.spec.containers[1].imagee', 'Metadata']);
  assert.deepEqual(r.object.spec, { template: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } } });
  assert.equal('Metadata' in r.object, false, 'names match case-sensitively');
});

test('type mismatches fail with the message Go prints', () => {
  rejects(
    () => decodeObject(deployment, deploy({ replicas: '3' }), ctxDeploy),
    'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
  );
  rejects(
    () => decodeObject(deployment, deploy({ template: { spec: { containers: [{ name: 'a', image: 5 }] } } }), ctxDeploy),
    'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.image of type string',
  );
  rejects(
    () => decodeObject(deployment, deploy({ replicas: 1.5 }), ctxDeploy),
    'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32',
  );
  rejects(
    () => decodeObject(deployment, deploy({ replicas: 3_000_000_000 }), ctxDeploy),
    'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 3000000000 into Go struct field DeploymentSpec.spec.replicas of type int32',
  );
  rejects(
    () => decodeObject(deployment, deploy({ template: { spec: { containers: { name: 'a' } } } }), ctxDeploy),
    'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container',
  );
  rejects(
    () => decodeObject(deployment, deploy('yes' as unknown as Record<string, unknown>), ctxDeploy),
    'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field Deployment.spec of type v1.DeploymentSpec',
  );
  rejects(
    () => decodeObject(deployment, deploy({ paused: 'true' }), ctxDeploy),
    'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool',
  );
  rejects(
    () => decodeObject(deployment, [], ctxDeploy),
    'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal array into Go value of type v1.Deployment',
  );
});

test('null means zero: fields are left out, list items and map values become zero values', () => {
  const r = decodeObject(
    deployment,
    deploy({ replicas: null, template: { metadata: { labels: { app: null } }, spec: { containers: [null] } } }, { status: null }),
    ctxDeploy,
  );
  assert.deepEqual(r.object, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { template: { metadata: { labels: { app: '' } }, spec: { containers: [{}] } } },
  });
});

test('IntOrString takes numbers and strings only', () => {
  const ok = decodeObject(deployment, deploy({ strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: '10%' } } }), ctxDeploy);
  assert.deepEqual((ok.object.spec as any).strategy.rollingUpdate, { maxSurge: 1, maxUnavailable: '10%' });
  rejects(
    () => decodeObject(deployment, deploy({ strategy: { rollingUpdate: { maxSurge: true } } }), ctxDeploy),
    'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal bool into Go value of type int32',
  );
});

test('quantities come out canonical; malformed ones are rejected', () => {
  const spec = (limits: unknown) => ({ containers: [{ name: 'c', image: 'i', resources: { limits } }] });
  const r = decodeObject(pod, { apiVersion: 'v1', kind: 'Pod', spec: spec({ cpu: '0.5', memory: 1024, 'nvidia.com/gpu': '1' }) }, ctxPod);
  assert.deepEqual((r.object.spec as any).containers[0].resources.limits, { cpu: '500m', memory: '1024', 'nvidia.com/gpu': '1' });
  rejects(
    () => decodeObject(pod, { spec: spec({ cpu: 'lots' }) }, ctxPod),
    `Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
  );
});

test('times are normalised to UTC RFC 3339 seconds; bad ones are rejected', () => {
  const r = decodeObject(pod, { metadata: { creationTimestamp: '2024-01-02T03:04:05.678+02:00', deletionTimestamp: null } }, ctxPod);
  assert.deepEqual(r.object.metadata, { creationTimestamp: '2024-01-02T01:04:05Z' });
  rejects(
    () => decodeObject(pod, { metadata: { creationTimestamp: 'yesterday' } }, ctxPod),
    'Pod in version "v1" cannot be handled as a Pod: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
  );
  rejects(
    () => decodeObject(pod, { metadata: { creationTimestamp: 5 } }, ctxPod),
    'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into Go value of type string',
  );
  const ev = schema.typeForKind('events.k8s.io', 'v1', 'Event') as MessageType;
  const e = decodeObject(ev, { eventTime: '2024-01-02T03:04:05.5Z' }, { group: 'events.k8s.io', version: 'v1', kind: 'Event' });
  assert.equal(e.object.eventTime, '2024-01-02T03:04:05.500000Z');
});

test('bytes must be base64', () => {
  const ctx = { group: '', version: 'v1', kind: 'Secret' };
  assert.deepEqual(decodeObject(secret, { data: { a: 'aGk=' } }, ctx).object, { data: { a: 'aGk=' } });
  rejects(() => decodeObject(secret, { data: { a: 'h!' } }, ctx), 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 1');
  rejects(
    () => decodeObject(secret, { data: { a: true } }, ctx),
    'Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal bool into Go struct field Secret.data of type []uint8',
  );
});

test('inline fields decode at their JSON level; RawExtension keeps any JSON', () => {
  const r = decodeObject(pod, { spec: { volumes: [{ name: 'v', emptyDir: {}, bogus: 1 }] } }, ctxPod);
  assert.deepEqual(r.object.spec, { volumes: [{ name: 'v', emptyDir: {} }] });
  assert.deepEqual(r.unknownFields, ['spec.volumes[0].bogus']);
  const cr = schema.typeForKind('apps', 'v1', 'ControllerRevision') as MessageType;
  const data = { spec: { template: { anything: [1, 'x', null] } } };
  assert.deepEqual(decodeObject(cr, { data, revision: 2 }, { group: 'apps', version: 'v1', kind: 'ControllerRevision' }).object, { data, revision: 2 });
});

test('pruneUnknownFields keeps nulls and patch directives', () => {
  const patch = {
    metadata: { labels: { gone: null } },
    spec: {
      bogus: 1,
      template: {
        spec: {
          $setElementOrder: 'not a directive key',
          '$setElementOrder/containers': [{ name: 'web' }],
          containers: [{ name: 'web', image: 'nginx:1.27', imagee: 'typo' }, { name: 'old', $patch: 'delete' }],
        },
      },
    },
  };
  const r = pruneUnknownFields(deployment, patch, { directives: true });
  assert.deepEqual(r.object, {
    metadata: { labels: { gone: null } },
    spec: {
      template: {
        spec: {
          $setElementOrder: 'not a directive key',
          '$setElementOrder/containers': [{ name: 'web' }],
          containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'old', $patch: 'delete' }],
        },
      },
    },
  });
  assert.deepEqual(r.unknownFields, ['spec.bogus', 'spec.template.spec.containers[0].imagee']);
  const plain = pruneUnknownFields(deployment, { spec: { $patch: 'replace' } });
  assert.deepEqual(plain.unknownFields, ['spec.$patch']);
});

test('undefined properties and map values (in-process callers) are absent, not errors', () => {
  const type = schema.typeForKind('', 'v1', 'Event')!;
  const r = decodeObject(
    type,
    { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', labels: { a: undefined, b: 'x' } }, involvedObject: { kind: 'Pod', namespace: undefined, name: 'p' }, reason: 'R' },
    { group: '', version: 'v1', kind: 'Event' },
  );
  assert.deepEqual(r.object['involvedObject'], { kind: 'Pod', name: 'p' });
  assert.deepEqual((r.object['metadata'] as Record<string, unknown>)['labels'], { b: 'x' });
  assert.deepEqual(r.unknownFields, []);
});
