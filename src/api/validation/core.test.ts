import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, gvk, lines, pod, type Obj } from './builders.test-util.ts';

const core = (kind: string) => ({ group: '', version: 'v1', kind });
const meta = (name: string) => ({ name, namespace: 'default' });

const lbService = (): Obj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: meta('web'),
  spec: {
    type: 'LoadBalancer',
    loadBalancerIP: '10.10.10.51',
    selector: { app: 'web' },
    ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 31080 }],
  },
});

test('seed: LoadBalancer Service with loadBalancerIP validates cleanly', () => {
  assert.deepEqual(lines(check(gvk.service, lbService())), []);
});

test('seed: pod spec with imagePullSecrets validates cleanly', () => {
  const p = pod({ imagePullSecrets: [{ name: 'deploycred' }], containers: [{ name: 'app', image: 'registry.local/app:1' }] });
  assert.deepEqual(lines(check(gvk.pod, p)), []);
});

test('Service: port and name rules', () => {
  const svc = lbService();
  svc.metadata.name = '1web';
  svc.spec.ports = [{ port: 70000 }, { name: 'http', port: 80, nodePort: 80 }];
  assert.deepEqual(lines(check(gvk.service, svc)), [
    `metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name' or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    'spec.ports[0].name: Required value',
    'spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.ports[1].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
  ]);
});

test('Service: nodePort is forbidden for ClusterIP and clusterIP is immutable', () => {
  const svc: Obj = { metadata: meta('db'), spec: { clusterIP: '10.43.0.10', ports: [{ port: 5432, nodePort: 30432 }] } };
  assert.deepEqual(lines(check(gvk.service, svc)), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
  const old: Obj = { metadata: meta('db'), spec: { clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'], ports: [{ port: 5432 }] } };
  const moved: Obj = { metadata: meta('db'), spec: { clusterIP: '10.43.0.11', clusterIPs: ['10.43.0.11'], ports: [{ port: 5432 }] } };
  assert.deepEqual(lines(check(gvk.service, moved, old)), ['spec.clusterIPs[0]: Invalid value: []string{"10.43.0.11"}: may not change once set']);
  assert.deepEqual(lines(check(gvk.service, { ...old, spec: { ...old.spec, clusterIPs: undefined } }, old)), []);
});

test('Service: headless needs no ports; ExternalName needs a name', () => {
  assert.deepEqual(lines(check(gvk.service, { metadata: meta('h'), spec: { clusterIP: 'None', selector: { app: 'db' } } })), []);
  assert.deepEqual(lines(check(gvk.service, { metadata: meta('x'), spec: { type: 'ExternalName' } })), ['spec.externalName: Required value']);
});

test('Pod: invalid containers as users write them', () => {
  const p = pod({
    restartPolicy: 'Sometimes',
    containers: [
      { name: 'Web', image: '', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 81, name: 'http' }] },
      { name: 'side', image: 'busybox', env: [{ name: 'A=B', value: 'x' }], livenessProbe: { exec: { command: ['true'] }, successThreshold: 2 } },
    ],
  });
  assert.deepEqual(lines(check(gvk.pod, p)), [
    `spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name' or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    'spec.containers[0].image: Required value',
    'spec.containers[0].ports[1].name: Duplicate value: "http"',
    "spec.containers[1].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
    'spec.containers[1].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  ]);
});

test('Pod: volumes must be unique DNS labels and mounts must reference them', () => {
  const p = pod({
    volumes: [{ name: 'data', emptyDir: {} }, { name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c', defaultMode: 1000 } }],
    containers: [{ name: 'c', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/d' }, { name: 'logs', mountPath: '/d' }] }],
  });
  assert.deepEqual(lines(check(gvk.pod, p)), [
    'spec.volumes[1].name: Duplicate value: "data"',
    'spec.volumes[2].configMap.defaultMode: Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive',
    'spec.containers[0].volumeMounts[1].name: Not found: "logs"',
    'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique',
  ]);
});

test('Pod update: only images, activeDeadlineSeconds and added tolerations may change', () => {
  const old = pod({ containers: [{ name: 'c', image: 'x:1' }] });
  assert.deepEqual(lines(check(gvk.pod, pod({ containers: [{ name: 'c', image: 'x:2' }] }), old)), []);
  const grown = pod({ containers: [{ name: 'c', image: 'x:1' }, { name: 'd', image: 'y' }] });
  assert.deepEqual(lines(check(gvk.pod, grown, old)), ['spec.containers: Forbidden: pod updates may not add or remove containers']);
  const changed = check(gvk.pod, pod({ containers: [{ name: 'c', image: 'x:1' }], restartPolicy: 'Never' }), old);
  assert.equal(changed.length, 1);
  assert.equal(changed[0]!.field, 'spec');
  assert.match(
    changed[0]!.message,
    /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,`spec.initContainers\[\*\].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` \(only additions to existing tolerations\),`spec.terminationGracePeriodSeconds` \(allow it to be set to 1 if it was previously negative\)\n/,
  );
});

test('Secret: type-specific keys', () => {
  const secret = (type: string, data: Obj = {}) => ({ metadata: meta('s'), type, data });
  assert.deepEqual(lines(check(core('Secret'), secret('kubernetes.io/dockerconfigjson'))), ['data[.dockerconfigjson]: Required value']);
  assert.deepEqual(lines(check(core('Secret'), secret('kubernetes.io/tls', { 'tls.crt': 'eA==' }))), ['data[tls.key]: Required value']);
  assert.deepEqual(
    lines(check(core('Secret'), secret('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': Buffer.from('oops').toString('base64') }))),
    ["data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": invalid character 'o' looking for beginning of value"],
  );
  assert.deepEqual(lines(check(core('Secret'), { metadata: meta('s'), data: { 'bad key': 'eA==' } })), [
    "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name' or 'KEY_NAME' or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
  ]);
  const old = { metadata: meta('s'), type: 'Opaque', data: { a: 'eA==' } };
  assert.deepEqual(lines(check(core('Secret'), { ...old, type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==', 'tls.key': 'eA==' } }, old)), [
    'type: Invalid value: "kubernetes.io/tls": field is immutable',
  ]);
});

test('ConfigMap: immutable data stays immutable', () => {
  const old = { metadata: meta('c'), immutable: true, data: { a: '1' } };
  assert.deepEqual(lines(check(core('ConfigMap'), { ...old, data: { a: '2' } }, old)), ['data: Forbidden: field is immutable when `immutable` is set']);
  assert.deepEqual(lines(check(core('ConfigMap'), { metadata: meta('c'), data: { x: '1' }, binaryData: { x: 'eA==' } })), [
    'data[x]: Invalid value: "x": duplicate of key present in binaryData',
  ]);
});

test('Namespace names are DNS labels; metadata annotations and finalizers', () => {
  assert.deepEqual(lines(check(core('Namespace'), { metadata: { name: 'my.ns' } })), [
    'metadata.name: Invalid value: "my.ns": must not contain dots',
  ]);
  assert.deepEqual(lines(check(core('ConfigMap'), { metadata: { ...meta('c'), finalizers: ['custom'], annotations: { 'a/b/c': 'x' } } })), [
    "metadata.annotations: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName' or 'my.name' or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    'metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
  ]);
  assert.deepEqual(lines(check(core('ConfigMap'), { metadata: { namespace: 'default' } })), ['metadata.name: Required value: name or generateName is required']);
});

test('PersistentVolumeClaim: spec immutable except storage growth when bound', () => {
  const claim = (storage: string, phase?: string): Obj => ({
    metadata: meta('data'),
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } },
    ...(phase ? { status: { phase } } : {}),
  });
  assert.deepEqual(lines(check(core('PersistentVolumeClaim'), claim('1Gi'))), []);
  assert.deepEqual(lines(check(core('PersistentVolumeClaim'), claim('0'))), ['spec.resources[storage]: Invalid value: "0": must be greater than zero']);
  assert.deepEqual(lines(check(core('PersistentVolumeClaim'), claim('2Gi', 'Bound'), claim('1Gi', 'Bound'))), []);
  const errs = check(core('PersistentVolumeClaim'), claim('2Gi'), claim('1Gi'));
  assert.equal(errs[0]!.field, 'spec');
  assert.match(errs[0]!.message, /^Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n/);
});

test('ResourceQuota and LimitRange quantities', () => {
  assert.deepEqual(lines(check(core('ResourceQuota'), { metadata: meta('q'), spec: { hard: { pods: '1.5', cpu: '-1', widgets: '3' } } })), [
    'spec.hard[pods]: Invalid value: "1500m": must be an integer',
    'spec.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0',
    'spec.hard[widgets]: Invalid value: "widgets": must be a standard resource type or fully qualified',
    'spec.hard[widgets]: Invalid value: "widgets": must be a standard resource for quota',
  ]);
  assert.deepEqual(lines(check(core('LimitRange'), { metadata: meta('l'), spec: { limits: [{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }] } })), [
    'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
    'spec.limits[0].defaultRequest[cpu]: Invalid value: "1": min value 2 is greater than default request value 1',
    'spec.limits[0].default[cpu]: Invalid value: "2": min value 2 is greater than default value 1',
  ]);
});

test('Node and Binding basics', () => {
  assert.deepEqual(lines(check(core('Node'), { metadata: { name: 'pi-1' }, spec: { taints: [{ key: 'k', effect: 'Sometimes' }] } })), [
    'metadata.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
  ]);
  assert.deepEqual(lines(check(core('Binding'), { metadata: meta('web'), target: { kind: 'Pod' } })), [
    'target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"',
    'target.name: Required value',
  ]);
});

test('core Event: legacy rules only; events.k8s.io Event: strict rules', () => {
  const legacy = { metadata: meta('x.1'), involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' }, reason: 'Started' };
  assert.deepEqual(lines(check(core('Event'), legacy)), []);
  const strict = { metadata: meta('x.2'), regarding: { kind: 'Pod', name: 'web', namespace: 'default' }, type: 'Odd' };
  assert.deepEqual(lines(check({ group: 'events.k8s.io', version: 'v1', kind: 'Event' }, strict)), [
    'eventTime: Required value',
    'type: Invalid value: "": has invalid value: Odd',
  ]);
});
