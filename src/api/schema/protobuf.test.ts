import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isApiError } from '../errors.ts';
import { decodeProtobuf, formatDuration, isProtobuf } from './protobuf.ts';
import { startKubectlStub } from './testing/kubectl-stub.ts';

// Fixtures are request bodies stock kubectl v1.32.4 sent to a stub server
// (see testing/kubectl-stub.ts); the command is given with each test.
const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}.pb`, import.meta.url));

test('kubectl create deployment web --image=nginx:1.26 --replicas=3', () => {
  const d = decodeProtobuf(fixture('deployment'));
  assert.equal(d.apiVersion, 'apps/v1');
  assert.equal(d.kind, 'Deployment');
  // Zero values on the wire (namespace "", creationTimestamp, paused false,
  // strategy {type: ""}, a status of zeros) are gone.
  assert.deepEqual(d.object, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.26' }] },
      },
    },
  });
});

test('kubectl create deployment idle --replicas=0 --port=8080 keeps the pointer zero', () => {
  const d = decodeProtobuf(fixture('deployment-zero'));
  const spec = d.object.spec as Record<string, any>;
  assert.equal(spec.replicas, 0);
  assert.deepEqual(spec.template.spec.containers, [{ name: 'nginx', image: 'nginx:1.26', ports: [{ containerPort: 8080 }] }]);
});

test('kubectl create configmap cfg --from-literal=a=1 --from-literal=empty=', () => {
  assert.deepEqual(decodeProtobuf(fixture('configmap')).object, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg' },
    data: { a: '1', empty: '' },
  });
});

test('kubectl create secret generic creds: bytes become base64', () => {
  const o = decodeProtobuf(fixture('secret-generic')).object;
  assert.deepEqual(o.data, { user: Buffer.from('admin').toString('base64'), password: Buffer.from('s3cr=t').toString('base64') });
  assert.equal(o.type, undefined, 'an empty type is unset; defaulting makes it Opaque');
});

test('kubectl create secret docker-registry regcred', () => {
  const o = decodeProtobuf(fixture('secret-docker-registry')).object as { type: string; data: Record<string, string> };
  assert.equal(o.type, 'kubernetes.io/dockerconfigjson');
  assert.equal(
    Buffer.from(o.data['.dockerconfigjson'], 'base64').toString(),
    '{"auths":{"r.io":{"username":"u","password":"p","auth":"dTpw"}}}',
  );
});

test('kubectl create namespace team-a and create serviceaccount robot', () => {
  assert.deepEqual(decodeProtobuf(fixture('namespace')).object, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
  assert.deepEqual(decodeProtobuf(fixture('serviceaccount')).object, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } });
});

test('kubectl create service clusterip web --tcp=80:8080 --tcp=443:8443: IntOrString as a number', () => {
  const o = decodeProtobuf(fixture('service-clusterip')).object;
  assert.deepEqual(o.spec, {
    ports: [
      { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 },
      { name: '443-8443', protocol: 'TCP', port: 443, targetPort: 8443 },
    ],
    selector: { app: 'web' },
    type: 'ClusterIP',
  });
});

test('kubectl create job once --image=busybox -- echo hi', () => {
  assert.deepEqual(decodeProtobuf(fixture('job')).object, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'once' },
    spec: { template: { spec: { containers: [{ name: 'once', image: 'busybox', command: ['echo', 'hi'] }], restartPolicy: 'Never' } } },
  });
});

test('kubectl create cronjob, ingress and poddisruptionbudget', () => {
  const cj = decodeProtobuf(fixture('cronjob')).object as Record<string, any>;
  assert.equal(cj.spec.schedule, '*/5 * * * *');
  assert.equal(cj.spec.jobTemplate.spec.template.spec.restartPolicy, 'OnFailure');
  const ing = decodeProtobuf(fixture('ingress')).object as Record<string, any>;
  assert.deepEqual(ing.spec.rules[0].http.paths[0], { path: '/', backend: { service: { name: 'web', port: { number: 80 } } }, pathType: 'Exact' });
  const pdb = decodeProtobuf(fixture('poddisruptionbudget')).object as Record<string, any>;
  assert.deepEqual(pdb.spec, { minAvailable: 1, selector: { matchLabels: { app: 'web' } } });
});

test('kubectl drain (no eviction support): DeleteOptions in protobuf', () => {
  const d = decodeProtobuf(fixture('delete-options'));
  assert.equal(d.kind, 'DeleteOptions');
  assert.deepEqual(d.object, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 30 });
});

// A small protobuf writer for hand-built edge cases.
function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return out;
}
const key = (tag: number, wt: number) => varint(tag * 8 + wt);
const int = (tag: number, n: number | bigint) => [...key(tag, 0), ...varint(n)];
const bytes = (tag: number, b: number[] | Uint8Array) => [...key(tag, 2), ...varint(b.length), ...b];
const str = (tag: number, s: string) => bytes(tag, [...Buffer.from(s)]);
function envelope(apiVersion: string, kind: string, raw: number[]): Uint8Array {
  return Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...bytes(1, [...str(1, apiVersion), ...str(2, kind)]), ...bytes(2, raw)]);
}

test('Time: an empty message is unset, an explicit epoch is kept; MicroTime keeps microseconds', () => {
  const meta = [...str(1, 'x'), ...bytes(8, [])];
  assert.deepEqual(decodeProtobuf(envelope('v1', 'ConfigMap', bytes(1, meta))).object.metadata, { name: 'x' });
  const epoch = [...str(1, 'x'), ...bytes(8, [...int(1, 0), ...int(2, 0)])];
  assert.deepEqual(decodeProtobuf(envelope('v1', 'ConfigMap', bytes(1, epoch))).object.metadata, {
    name: 'x',
    creationTimestamp: '1970-01-01T00:00:00Z',
  });
  // events.k8s.io Event: eventTime (MicroTime, tag 2); nanos below a microsecond are dropped.
  const ev = decodeProtobuf(envelope('events.k8s.io/v1', 'Event', bytes(2, [...int(1, 1700000000), ...int(2, 123456789)])));
  assert.equal(ev.object.eventTime, '2023-11-14T22:13:20.123456Z');
});

test('pointer zero values survive; IntOrString strings; negative int32', () => {
  // RollingUpdateDeployment{maxUnavailable: "25%", maxSurge: 0} inside DeploymentStrategy inside DeploymentSpec.
  const rolling = [...bytes(1, [...int(1, 1), ...str(3, '25%')]), ...bytes(2, [...int(1, 0), ...int(2, 0)])];
  const spec = [...int(1, 0), ...bytes(4, [...str(1, 'RollingUpdate'), ...bytes(2, rolling)]), ...int(5, -1)];
  const o = decodeProtobuf(envelope('apps/v1', 'Deployment', bytes(2, spec))).object as Record<string, any>;
  assert.deepEqual(o.spec, {
    replicas: 0,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 0 } },
    minReadySeconds: -1,
  });
});

test('inline structs: Volume fields come from the embedded VolumeSource; emptyDir {} is kept', () => {
  // PodSpec.volumes (tag 1): Volume{name: 1, volumeSource: 2{emptyDir: 2{}}}; automountServiceAccountToken (21) false.
  const volume = [...str(1, 'scratch'), ...bytes(2, bytes(2, []))];
  const hostPath = [...str(1, 'logs'), ...bytes(2, bytes(1, str(1, '/var/log')))];
  const podSpec = [...bytes(1, volume), ...bytes(1, hostPath), ...int(21, 0)];
  const o = decodeProtobuf(envelope('v1', 'Pod', bytes(2, podSpec))).object as Record<string, any>;
  assert.deepEqual(o.spec, {
    volumes: [
      { name: 'scratch', emptyDir: {} },
      { name: 'logs', hostPath: { path: '/var/log' } },
    ],
    automountServiceAccountToken: false,
  });
});

test('RawExtension carries embedded JSON; packed repeated numbers; unknown fields are skipped', () => {
  const cr = [...bytes(1, str(1, 'rev')), ...bytes(2, bytes(1, [...Buffer.from('{"spec":{"a":1}}')])), ...int(3, 7), ...int(99, 5)];
  const o = decodeProtobuf(envelope('apps/v1', 'ControllerRevision', cr)).object;
  assert.deepEqual(o, { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'rev' }, data: { spec: { a: 1 } }, revision: 7 });
  // JobSpec.podFailurePolicy (11) → rules (1) → onExitCodes (2) → values (3, []int32), sent packed.
  const exitCodes = [...str(2, 'In'), ...bytes(3, [...varint(1), ...varint(42)])];
  const jobSpec = bytes(11, bytes(1, [...str(1, 'FailJob'), ...bytes(2, exitCodes)]));
  const job = decodeProtobuf(envelope('batch/v1', 'Job', bytes(2, jobSpec))).object as Record<string, any>;
  assert.deepEqual(job.spec.podFailurePolicy.rules[0].onExitCodes, { operator: 'In', values: [1, 42] });
});

test('malformed bodies are 400 BadRequest', () => {
  const bad = (b: Uint8Array, re: RegExp) =>
    assert.throws(
      () => decodeProtobuf(b),
      (e: unknown) => isApiError(e, 'BadRequest') && re.test((e as Error).message),
    );
  bad(Buffer.from('{"kind":"Pod"}'), /does not appear to be a protobuf message/);
  bad(envelope('apps/v1', 'Widget', []), /no kind "Widget" is registered for version "apps\/v1"/);
  bad(Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x50]), /envelope/);
  // spec.replicas sent as a string (wire type 2 where a varint belongs).
  bad(envelope('apps/v1', 'Deployment', bytes(2, str(1, 'three'))), /Deployment in version "v1" cannot be handled as a Deployment: proto: wrong wireType = 2 for field replicas/);
  bad(envelope('apps/v1', 'Deployment', [0x12, 0x05, 0x08]), /unexpected EOF/);
  assert.equal(isProtobuf(fixture('namespace')), true);
  assert.equal(isProtobuf(Buffer.from('{}')), false);
});

test('durations print as Go prints them', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(1500), '1.5µs');
  assert.equal(formatDuration(2_000_000), '2ms');
  assert.equal(formatDuration(90e9), '1m30s');
  assert.equal(formatDuration(3723.5e9), '1h2m3.5s');
  assert.equal(formatDuration(-5e9), '-5s');
});

test('live: what kubectl create deployment sends today decodes like the fixture', async () => {
  const stub = await startKubectlStub();
  try {
    const r = await stub.kubectl(['create', 'deployment', 'web', '--image=nginx:1.26', '--replicas=3']);
    assert.equal(r.code, 0, r.stderr);
    const post = stub.log.find((l) => l.method === 'POST');
    assert.ok(post);
    assert.equal(post.contentType, 'application/vnd.kubernetes.protobuf');
    assert.equal(post.query.get('fieldValidation'), 'Strict');
    assert.deepEqual(decodeProtobuf(post.body).object, decodeProtobuf(fixture('deployment')).object);
  } finally {
    await stub.close();
  }
});
