import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Obj } from '../../client/types.ts';
import { expand, mappingFor } from './expand.ts';
import { formatMap } from './fields.ts';
import { mapLookup } from './lookup.ts';
import { EnvError, resolveEnv } from './resolve.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function pod(container: Obj, extra: Obj = {}): Obj {
  return {
    metadata: { name: 'web-1', namespace: 'app', uid: 'u-123', labels: { app: 'web', tier: 'fe' }, annotations: { note: 'say "hi"\n' } },
    spec: { nodeName: 'pi-1', serviceAccountName: 'default', containers: [container], ...extra },
    status: { podIP: '10.42.0.7', podIPs: [{ ip: '10.42.0.7' }], hostIP: '192.168.1.5', hostIPs: [{ ip: '192.168.1.5' }] },
  };
}

const lookup = mapLookup({
  configMaps: [
    { metadata: { namespace: 'app', name: 'cfg' }, data: { MODE: 'prod', 'bad key': 'x', '1num': 'y', LEVEL: 'info' } },
  ],
  secrets: [{ metadata: { namespace: 'app', name: 'creds' }, data: { PASSWORD: b64('s3cret'), user: b64('bob') } }],
  services: [
    { metadata: { namespace: 'default', name: 'kubernetes' }, spec: { clusterIP: '10.43.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } },
    { metadata: { namespace: 'app', name: 'redis-main' }, spec: { clusterIP: '10.43.0.9', ports: [{ port: 6379 }] } },
    { metadata: { namespace: 'app', name: 'headless' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } },
    { metadata: { namespace: 'other', name: 'elsewhere' }, spec: { clusterIP: '10.43.0.10', ports: [{ port: 80 }] } },
  ],
  nodes: [{ metadata: { name: 'pi-1' }, status: { allocatable: { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' } } }],
});

const asMap = (env: { name: string; value: string }[]) => new Map(env.map((e) => [e.name, e.value]));

describe('expand', () => {
  const m = mappingFor(new Map([['A', 'x'], ['B', 'y']]));
  it('follows upstream rules for references, escapes and malformed input', () => {
    assert.equal(expand('$(A)-$(B)', m), 'x-y');
    assert.equal(expand('$(MISSING)', m), '$(MISSING)');
    assert.equal(expand('$$(A)', m), '$(A)');
    assert.equal(expand('$$$(A)', m), '$x');
    assert.equal(expand('cost $5', m), 'cost $5');
    assert.equal(expand('$(A', m), '$(A');
    assert.equal(expand('end$', m), 'end$');
    assert.equal(expand('$()', m), '$()');
  });
});

describe('resolveEnv', () => {
  it('envFrom with prefix, env overriding, expansion, key refs and service links', async () => {
    const c = {
      name: 'app',
      envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'creds' }, prefix: 'DB_' }],
      env: [
        { name: 'MODE', value: 'dev' },
        { name: 'URL', value: 'redis://$(REDIS_MAIN_SERVICE_HOST):$(REDIS_MAIN_SERVICE_PORT)/$(MODE)' },
        { name: 'LIT', value: '$$(MODE)' },
        { name: 'LOG', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LEVEL' } } },
        { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
      ],
    };
    const { env, warnings } = await resolveEnv(pod(c), c, lookup);
    const m = asMap(env);
    assert.equal(m.get('MODE'), 'dev');
    assert.equal(m.get('DB_PASSWORD'), 's3cret');
    assert.equal(m.get('DB_user'), 'bob');
    assert.equal(m.get('URL'), 'redis://10.43.0.9:6379/dev');
    assert.equal(m.get('LIT'), '$(MODE)');
    assert.equal(m.get('LOG'), 'info');
    assert.equal(m.get('PW'), 's3cret');
    assert.equal(m.get('REDIS_MAIN_PORT'), 'tcp://10.43.0.9:6379');
    assert.equal(m.get('REDIS_MAIN_PORT_6379_TCP_ADDR'), '10.43.0.9');
    assert.equal(m.get('KUBERNETES_SERVICE_HOST'), '10.43.0.1');
    assert.equal(m.get('KUBERNETES_SERVICE_PORT_HTTPS'), '443');
    assert.equal(m.get('KUBERNETES_PORT_443_TCP'), 'tcp://10.43.0.1:443');
    assert.ok(!m.has('HEADLESS_SERVICE_HOST'));
    assert.ok(!m.has('ELSEWHERE_SERVICE_HOST'));
    assert.ok(!m.has('bad key') && !m.has('1num'));
    assert.equal(env.length, m.size, 'no duplicates');
    assert.deepEqual(warnings, [
      {
        reason: 'InvalidEnvironmentVariableNames',
        message: 'Keys [1num, bad key] from the EnvFrom configMap app/cfg were skipped since they are considered invalid environment variable names.',
      },
    ]);
    // The envFrom position is kept for a variable env overrides.
    assert.ok(env.findIndex((e) => e.name === 'MODE') < env.findIndex((e) => e.name === 'DB_PASSWORD'));
  });

  it('enableServiceLinks: false keeps only the master service', async () => {
    const c = { name: 'app' };
    const { env } = await resolveEnv(pod(c, { enableServiceLinks: false }), c, lookup);
    const m = asMap(env);
    assert.equal(m.get('KUBERNETES_SERVICE_HOST'), '10.43.0.1');
    assert.ok(!m.has('REDIS_MAIN_SERVICE_HOST'));
  });

  it('fieldRef and resourceFieldRef (divisor, node allocatable default)', async () => {
    const c = {
      name: 'app',
      resources: { limits: { memory: '256Mi' }, requests: { cpu: '250m', memory: '100M' } },
      env: [
        { name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'LABELS', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } },
        { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
        { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'REQ_CPU_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'REQ_CPU', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
        { name: 'LIM_CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'REQ_MEM_MI', valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '1Mi' } } },
      ],
    };
    const { env } = await resolveEnv(pod(c), c, lookup, { podIPs: ['10.42.0.8', 'fd00::8'] });
    const m = asMap(env);
    assert.equal(m.get('N'), 'web-1');
    assert.equal(m.get('NS'), 'app');
    assert.equal(m.get('UID'), 'u-123');
    assert.equal(m.get('APP'), 'web');
    assert.equal(m.get('LABELS'), 'app="web"\ntier="fe"');
    assert.equal(m.get('NOTE'), 'say "hi"\n');
    assert.equal(m.get('NODE'), 'pi-1');
    assert.equal(m.get('SA'), 'default');
    assert.equal(m.get('HOST'), '192.168.1.5');
    assert.equal(m.get('IPS'), '10.42.0.8,fd00::8');
    assert.equal(m.get('MEM_MI'), '256');
    assert.equal(m.get('REQ_CPU_M'), '250');
    assert.equal(m.get('REQ_CPU'), '1', '250m rounds up to 1');
    assert.equal(m.get('LIM_CPU'), '4', 'unset limit defaults to node allocatable');
    assert.equal(m.get('REQ_MEM_MI'), '96', '100M / 1Mi rounded up');
  });

  it('fails with upstream messages; optional refs are skipped', async () => {
    const cases: [Obj, string, string][] = [
      [{ envFrom: [{ configMapRef: { name: 'nope' } }] }, 'ConfigMapNotFound', 'configmap "nope" not found'],
      [{ envFrom: [{ secretRef: { name: 'nope' } }] }, 'SecretNotFound', 'secret "nope" not found'],
      [{ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] }, 'KeyNotFound', "couldn't find key k in ConfigMap app/cfg"],
      [{ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }] }, 'KeyNotFound', "couldn't find key k in Secret app/creds"],
      [{ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'gone', key: 'k' } } }] }, 'SecretNotFound', 'secret "gone" not found'],
      [{ env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.restartPolicy' } } }] }, 'FieldRef', 'unsupported fieldPath: spec.restartPolicy'],
    ];
    for (const [spec, code, message] of cases) {
      const c = { name: 'app', ...spec };
      await assert.rejects(resolveEnv(pod(c), c, lookup), (e: unknown) => {
        assert.ok(e instanceof EnvError);
        assert.equal(e.code, code);
        assert.equal(e.message, message);
        return true;
      });
    }
    const c = {
      name: 'app',
      envFrom: [{ configMapRef: { name: 'nope', optional: true } }],
      env: [
        { name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k', optional: true } } },
        { name: 'B', valueFrom: { secretKeyRef: { name: 'gone', key: 'k', optional: true } } },
        { name: 'C', value: 'ok' },
      ],
    };
    const m = asMap((await resolveEnv(pod(c), c, lookup)).env);
    assert.ok(!m.has('A') && !m.has('B'));
    assert.equal(m.get('C'), 'ok');
  });

  it('formatMap quotes like Go', () => {
    assert.equal(formatMap({ b: 'tab\there', a: 'bell\u0007', c: 'ünï' }), 'a="bell\\a"\nb="tab\\there"\nc="ünï"');
  });
});
