import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Obj } from '../registry/types.ts';
import { podLimits, podRequests, prettyPrint, subtractNonNegative, toJSON, toList } from './resource-quota-resources.ts';
import { countedResource, evaluatorFor } from './resource-quota-usage.ts';
import { isBestEffort, podMatchesScope, quotaScopes } from './resource-quota-scopes.ts';

const c = (name: string, requests?: Obj, limits?: Obj, extra: Obj = {}) => ({ name, image: 'x', resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) }, ...extra });
const pod = (spec: Obj, status: Obj = {}, meta: Obj = {}): Obj => ({ metadata: { name: 'p', namespace: 'ns', ...meta }, spec, status });
const json = (l: Map<string, unknown>) => toJSON(l as never);

test('podRequests/podLimits: containers summed, init containers as a floor, sidecars alongside, overhead', () => {
  const cases: { what: string; spec: Obj; requests: Obj; limits: Obj }[] = [
    { what: 'sum of containers', spec: { containers: [c('a', { cpu: '250m', memory: '64Mi' }, { cpu: '500m' }), c('b', { cpu: '250m', memory: '64Mi' })] }, requests: { cpu: '500m', memory: '128Mi' }, limits: { cpu: '500m' } },
    { what: 'a big init container sets the floor', spec: { containers: [c('a', { cpu: '100m' })], initContainers: [c('i', { cpu: '1' })] }, requests: { cpu: '1' }, limits: {} },
    {
      what: 'a sidecar adds to the app and to later init containers',
      spec: { containers: [c('a', { cpu: '100m' })], initContainers: [c('s', { cpu: '200m' }, undefined, { restartPolicy: 'Always' }), c('i', { cpu: '250m' })] },
      requests: { cpu: '450m' },
      limits: {},
    },
    { what: 'overhead: requests always, limits only where set', spec: { containers: [c('a', { cpu: '100m', memory: '1Gi' }, { memory: '1Gi' })], overhead: { cpu: '50m', memory: '512Mi' } }, requests: { cpu: '150m', memory: '1536Mi' }, limits: { memory: '1536Mi' } },
  ];
  for (const t of cases) {
    assert.deepEqual(json(podRequests(pod(t.spec))), t.requests, t.what);
    assert.deepEqual(json(podLimits(pod(t.spec))), t.limits, t.what);
  }
});

test('resource lists: pretty print, non-negative subtraction', () => {
  assert.equal(prettyPrint(toList({ 'requests.memory': '1Gi', 'requests.cpu': '1' })), 'requests.cpu=1,requests.memory=1Gi');
  assert.deepEqual(json(subtractNonNegative(toList({ a: '2', b: '1' }), toList({ b: '3', c: '1' }))), { a: '2', b: '0', c: '0' });
});

test('usage per kind', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  const p = pod({ containers: [c('a', { cpu: '500m', memory: '128Mi' }, { cpu: '1', memory: '256Mi' })] });
  const cases: { what: string; gr: [string, string]; obj: Obj; want: Obj }[] = [
    {
      what: 'running pod',
      gr: ['', 'pods'],
      obj: p,
      want: { 'count/pods': '1', pods: '1', cpu: '500m', 'requests.cpu': '500m', 'limits.cpu': '1', memory: '128Mi', 'requests.memory': '128Mi', 'limits.memory': '256Mi' },
    },
    { what: 'finished pod: object count only', gr: ['', 'pods'], obj: { ...p, status: { phase: 'Succeeded' } }, want: { 'count/pods': '1' } },
    {
      what: 'pod past its deletion grace',
      gr: ['', 'pods'],
      obj: { ...p, metadata: { ...p['metadata'], deletionTimestamp: '2024-12-31T23:59:00Z', deletionGracePeriodSeconds: 30 } },
      want: { 'count/pods': '1' },
    },
    { what: 'ClusterIP Service', gr: ['', 'services'], obj: { spec: { type: 'ClusterIP', ports: [{}, {}] } }, want: { 'count/services': '1', services: '1', 'services.loadbalancers': '0', 'services.nodeports': '0' } },
    { what: 'NodePort Service: a node port per port', gr: ['', 'services'], obj: { spec: { type: 'NodePort', ports: [{}, {}] } }, want: { 'count/services': '1', services: '1', 'services.loadbalancers': '0', 'services.nodeports': '2' } },
    { what: 'LoadBalancer', gr: ['', 'services'], obj: { spec: { type: 'LoadBalancer', ports: [{}] } }, want: { 'count/services': '1', services: '1', 'services.loadbalancers': '1', 'services.nodeports': '1' } },
    {
      what: 'PVC with a storage class',
      gr: ['', 'persistentvolumeclaims'],
      obj: { spec: { storageClassName: 'fast', resources: { requests: { storage: '5Gi' } } } },
      want: {
        'count/persistentvolumeclaims': '1',
        persistentvolumeclaims: '1',
        'requests.storage': '5Gi',
        'fast.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
        'fast.storageclass.storage.k8s.io/requests.storage': '5Gi',
      },
    },
    { what: 'configmaps: legacy name and count/', gr: ['', 'configmaps'], obj: {}, want: { configmaps: '1', 'count/configmaps': '1' } },
    { what: 'any other kind: count/<resource>.<group>', gr: ['apps', 'deployments'], obj: {}, want: { 'count/deployments.apps': '1' } },
  ];
  for (const t of cases) assert.deepEqual(json(evaluatorFor({ group: t.gr[0], resource: t.gr[1] }).usage(t.obj, now)), t.want, t.what);
  assert.deepEqual(countedResource('count/jobs.batch'), { group: 'batch', resource: 'jobs' });
  assert.deepEqual(countedResource('secrets'), { group: '', resource: 'secrets' });
  assert.equal(countedResource('requests.cpu'), undefined);
});

test('pod constraints: a quota on cpu/memory needs every container to say so', () => {
  const ev = evaluatorFor({ group: '', resource: 'pods' });
  const p = pod({ containers: [c('nginx', { cpu: '100m' }), c('sidecar', { cpu: '100m' }, { cpu: '100m' })] });
  assert.equal(ev.constraints!(['limits.cpu', 'limits.memory', 'pods'], p), 'must specify limits.cpu for: nginx; limits.memory for: nginx,sidecar');
  assert.equal(ev.constraints!(['requests.cpu', 'count/pods'], p), undefined);
  assert.equal(ev.constraints!(['requests.storage'], p), undefined, 'only cpu and memory are enforced');
});

test('scopes', () => {
  const best = pod({ containers: [c('a')] });
  const burst = pod({ containers: [c('a', { cpu: '100m' })], activeDeadlineSeconds: 30, priorityClassName: 'high' });
  assert.ok(isBestEffort(best));
  assert.ok(!isBestEffort(burst));
  const cases: { scope: Obj; best: boolean; burst: boolean }[] = [
    { scope: { scopeName: 'BestEffort', operator: 'Exists' }, best: true, burst: false },
    { scope: { scopeName: 'NotBestEffort', operator: 'Exists' }, best: false, burst: true },
    { scope: { scopeName: 'Terminating', operator: 'Exists' }, best: false, burst: true },
    { scope: { scopeName: 'NotTerminating', operator: 'Exists' }, best: true, burst: false },
    { scope: { scopeName: 'PriorityClass', operator: 'In', values: ['high'] }, best: false, burst: true },
    { scope: { scopeName: 'PriorityClass', operator: 'NotIn', values: ['high'] }, best: true, burst: false },
    { scope: { scopeName: 'PriorityClass', operator: 'Exists' }, best: false, burst: true },
  ];
  for (const t of cases) {
    assert.equal(podMatchesScope(t.scope as never, best), t.best, `${JSON.stringify(t.scope)} best-effort pod`);
    assert.equal(podMatchesScope(t.scope as never, burst), t.burst, `${JSON.stringify(t.scope)} burstable pod`);
  }
  assert.deepEqual(quotaScopes({ spec: { scopes: ['BestEffort'], scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['x'] }] } } }), [
    { scopeName: 'BestEffort', operator: 'Exists' },
    { scopeName: 'PriorityClass', operator: 'In', values: ['x'] },
  ]);
  const svcEv = evaluatorFor({ group: '', resource: 'services' });
  assert.equal(svcEv.matchesScopes([{ scopeName: 'BestEffort', operator: 'Exists' }], {}), false, 'scoped quotas never cover Services');
});
