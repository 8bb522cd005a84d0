import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, prepareForCreate } from '../defaults/index.ts';
import { cronScheduleError } from './cron.ts';
import { check, lines, type Obj } from './builders.test-util.ts';
import { validate } from './index.ts';

const g = (group: string, kind: string) => ({ group, version: 'v1', kind });
const meta = (name: string) => ({ name, namespace: 'default' });
const podTemplate = (restartPolicy: string) => ({ spec: { restartPolicy, containers: [{ name: 'c', image: 'busybox:1.36' }] } });

test('Job: generated selector validates; bad restartPolicy and negatives do not', () => {
  const job: Obj = { metadata: { ...meta('pi'), uid: 'u-1' }, spec: { template: podTemplate('Never') } };
  applyDefaults(g('batch', 'Job'), job);
  prepareForCreate(g('batch', 'Job'), job);
  assert.deepEqual(lines(validate(g('batch', 'Job'), job)), []);
  const bad = structuredClone(job);
  bad.spec.template.spec.restartPolicy = 'Always';
  bad.spec.backoffLimit = -1;
  assert.deepEqual(lines(validate(g('batch', 'Job'), bad)), [
    'spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0',
    'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
  ]);
});

test('Job update: the pod template is immutable', () => {
  const job: Obj = { metadata: { ...meta('pi'), uid: 'u-1' }, spec: { template: podTemplate('Never') } };
  applyDefaults(g('batch', 'Job'), job);
  prepareForCreate(g('batch', 'Job'), job);
  const next = structuredClone(job);
  next.spec.template.spec.containers[0].image = 'busybox:1.37';
  const errs = validate(g('batch', 'Job'), next, job);
  assert.deepEqual(errs.map((e) => e.field), ['spec.template']);
  assert.match(errs[0]!.message, /: field is immutable$/);
});

test('CronJob schedule syntax, as robfig/cron reports it', () => {
  const cases: Array<[string, string | undefined]> = [
    ['*/5 * * * *', undefined],
    ['0 3 * * MON-FRI', undefined],
    ['@daily', undefined],
    ['@every 1h30m', undefined],
    ['* * * *', 'expected exactly 5 fields, found 4: [* * * *]'],
    ['60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['0 0 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['a * * * *', 'failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax'],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
  ];
  for (const [schedule, want] of cases) assert.equal(cronScheduleError(schedule), want, schedule);
});

test('CronJob: invalid schedule, TZ prefix, concurrency policy and long names', () => {
  const cj: Obj = {
    metadata: meta('x'.repeat(53)),
    spec: { schedule: 'CRON_TZ=UTC 61 * * * *', concurrencyPolicy: 'Sometimes', jobTemplate: { spec: { template: podTemplate('OnFailure') } } },
  };
  assert.deepEqual(lines(check(g('batch', 'CronJob'), cj)), [
    'spec.schedule: Invalid value: "CRON_TZ=UTC 61 * * * *": end of range (61) above maximum (59): 61',
    'spec.schedule: Invalid value: "CRON_TZ=UTC 61 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
    `metadata.name: Invalid value: "${'x'.repeat(53)}": must be no more than 52 characters`,
  ]);
  const ok: Obj = { metadata: meta('backup'), spec: { schedule: '0 2 * * *', timeZone: 'Europe/Berlin', jobTemplate: { spec: { template: podTemplate('OnFailure') } } } };
  assert.deepEqual(lines(check(g('batch', 'CronJob'), ok)), []);
  ok.spec.timeZone = 'Mars/Olympus';
  assert.deepEqual(lines(check(g('batch', 'CronJob'), ok)), ['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus']);
});

const ingress = (paths: Obj[], host = 'pi.example.com'): Obj => ({
  metadata: meta('web'),
  spec: { ingressClassName: 'traefik', rules: [{ host, http: { paths } }] },
});
const backend = { service: { name: 'web', port: { number: 80 } } };

test('Ingress: valid rule; path types, hosts and backends as users get them wrong', () => {
  const ing = g('networking.k8s.io', 'Ingress');
  assert.deepEqual(lines(check(ing, ingress([{ path: '/', pathType: 'Prefix', backend }]))), []);
  assert.deepEqual(
    lines(
      check(
        ing,
        ingress(
          [
            { path: '/', backend },
            { path: 'api', pathType: 'Exact', backend },
            { path: '/x', pathType: 'Regex', backend },
            { path: '/y', pathType: 'Prefix', backend: { service: { name: 'web', port: {} } } },
          ],
          '10.0.0.1',
        ),
      ),
    ),
    [
      'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
      'spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified',
      'spec.rules[0].http.paths[1].path: Invalid value: "api": must be an absolute path',
      'spec.rules[0].http.paths[2].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
      'spec.rules[0].http.paths[3].backend: Required value: port name or number is required',
    ],
  );
  assert.deepEqual(lines(check(ing, { metadata: meta('web'), spec: {} })), [
    'spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified',
  ]);
});

test('IngressClass: controller is a domain-prefixed path and immutable', () => {
  const ic = g('networking.k8s.io', 'IngressClass');
  const old = { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } };
  assert.deepEqual(lines(check(ic, old)), []);
  assert.deepEqual(lines(check(ic, { metadata: { name: 'nginx' }, spec: { controller: 'nginx' } })), [
    'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")',
  ]);
  assert.deepEqual(lines(check(ic, { ...old, spec: { controller: 'traefik.io/ingress-controller' } }, old)), [
    'spec.controller: Invalid value: "traefik.io/ingress-controller": field is immutable',
  ]);
});

test('Lease: durations and transitions', () => {
  const lease = { metadata: meta('node-1'), spec: { holderIdentity: 'node-1', leaseDurationSeconds: 0, leaseTransitions: -1 } };
  assert.deepEqual(lines(check(g('coordination.k8s.io', 'Lease'), lease)), [
    'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
  ]);
});

test('EndpointSlice: address type and addresses', () => {
  const es = g('discovery.k8s.io', 'EndpointSlice');
  const slice = (addressType: string, addresses: string[]) => ({ metadata: meta('web-abc'), addressType, endpoints: [{ addresses }], ports: [{ port: 80 }] });
  assert.deepEqual(lines(check(es, slice('IPv4', ['10.42.0.5']))), []);
  assert.deepEqual(lines(check(es, slice('IP', ['10.42.0.5']))), ['addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"']);
  assert.deepEqual(lines(check(es, slice('IPv4', ['fd00::1']))), ['endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address']);
  assert.deepEqual(lines(check(es, slice('IPv6', ['fd00::1']), slice('IPv4', ['10.0.0.1']))), ['addressType: Invalid value: "IPv6": field is immutable']);
});

test('PodDisruptionBudget: minAvailable and maxUnavailable are exclusive', () => {
  const pdb = { metadata: meta('web'), spec: { minAvailable: 1, maxUnavailable: '50%', selector: { matchLabels: { app: 'web' } } } };
  const errs = lines(check(g('policy', 'PodDisruptionBudget'), pdb));
  assert.equal(errs.length, 1);
  assert.match(errs[0]!, /^spec: Invalid value: .*: minAvailable and maxUnavailable cannot be both set$/);
  assert.deepEqual(lines(check(g('policy', 'PodDisruptionBudget'), { metadata: meta('web'), spec: { minAvailable: '120%' } })), [
    'spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%',
  ]);
});

test('StorageClass: provisioner required, parameters immutable', () => {
  const sc = g('storage.k8s.io', 'StorageClass');
  const old = { metadata: { name: 'local-path' }, provisioner: 'rancher.io/local-path', parameters: { a: '1' } };
  assert.deepEqual(lines(check(sc, old)), []);
  assert.deepEqual(lines(check(sc, { metadata: { name: 'x' }, reclaimPolicy: 'Recycle' })), [
    'provisioner: Required value',
    'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
  ]);
  assert.deepEqual(lines(check(sc, { ...old, parameters: { a: '2' } }, old)), ['parameters: Forbidden: updates to parameters are forbidden.']);
});

test('unknown kinds validate cleanly', () => {
  assert.deepEqual(validate(g('example.com', 'Widget'), { metadata: { name: 'BAD' } }), []);
});
