import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestRegistry, systemUser } from '../../test/harness/registry.ts';
import { InProcessClient } from '../client/in-process.ts';
import { resources, type Client, type Obj } from '../client/types.ts';
import { defaultControllerConfig } from '../controllers/manager.ts';
import { isApiError } from '../api/errors.ts';
import { mustParseQuantity } from '../api/quantity.ts';
import { limitRangerAdmission } from './limit-ranger.ts';
import { limitRequestRatioConstraint, maxConstraint, minConstraint } from './limit-ranger-constraints.ts';
import { resourceQuotaAdmission } from './resource-quota.ts';
import { toList } from './resource-quota-resources.ts';

test('constraint messages, as upstream words them', () => {
  const q = mustParseQuantity;
  const cases: [string | undefined, string | undefined][] = [
    [minConstraint('Container', 'cpu', q('100m'), toList({}), toList({})), 'minimum cpu usage per Container is 100m.  No request is specified'],
    [minConstraint('Container', 'cpu', q('100m'), toList({ cpu: '50m' }), toList({})), 'minimum cpu usage per Container is 100m, but request is 50m'],
    [minConstraint('Container', 'cpu', q('100m'), toList({ cpu: '0.1' }), toList({})), undefined],
    [maxConstraint('Container', 'memory', q('1Gi'), toList({}), toList({})), 'maximum memory usage per Container is 1Gi.  No limit is specified'],
    [maxConstraint('Container', 'memory', q('1Gi'), toList({}), toList({ memory: '2Gi' })), 'maximum memory usage per Container is 1Gi, but limit is 2Gi'],
    [maxConstraint('Pod', 'memory', q('1Gi'), toList({}), toList({ memory: '1024Mi' })), undefined],
    [limitRequestRatioConstraint('Container', 'cpu', q('2'), toList({ cpu: '100m' }), toList({ cpu: '300m' })), 'cpu max limit to request ratio per Container is 2, but provided ratio is 3.000000'],
    [limitRequestRatioConstraint('Container', 'cpu', q('2'), toList({ cpu: '100m' }), toList({ cpu: '200m' })), undefined],
    [limitRequestRatioConstraint('Container', 'cpu', q('2'), toList({}), toList({ cpu: '200m' })), 'cpu max limit to request ratio per Container is 2, but no request is specified or request is 0'],
  ];
  for (const [got, want] of cases) assert.equal(got, want);
});

let close: () => Promise<void>;
let c: Client;
before(async () => {
  const r = await openTestRegistry();
  r.registry.admission.push(limitRangerAdmission(r.registry, defaultControllerConfig), resourceQuotaAdmission(r.registry, defaultControllerConfig));
  close = r.close;
  c = new InProcessClient(r.registry, systemUser);
  for (const ns of ['lr1', 'lr2', 'lr3']) await c.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});
after(() => close());

const limitRange = (ns: string, limits: Obj[]) => c.create(resources.limitranges, ns, { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'limits' }, spec: { limits } });
const pod = (name: string, containers: Obj[]): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers } });

async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isApiError(e)) return `${e.code} ${e.message}`;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('LimitRanger admission', () => {
  it('fills default requests and limits, and says so in an annotation', async () => {
    await limitRange('lr1', [{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' } }]);
    const p = await c.create(resources.pods, 'lr1', pod('nginx', [{ name: 'nginx', image: 'nginx' }, { name: 'side', image: 'x', resources: { requests: { cpu: '50m' }, limits: { cpu: '50m' } } }]));
    assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '256Mi' } });
    assert.deepEqual(p.spec.containers[1].resources, { limits: { cpu: '50m', memory: '256Mi' }, requests: { cpu: '50m', memory: '256Mi' } });
    assert.equal(
      p.metadata.annotations['kubernetes.io/limit-ranger'],
      'LimitRanger plugin set: cpu, memory request for container nginx; cpu, memory limit for container nginx; memory request for container side; memory limit for container side',
    );
  });

  it('defaults come before quota: a quota on requests.cpu sees the defaulted request', async () => {
    const q = await c.create(resources.resourcequotas, 'lr1', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'rq' }, spec: { hard: { 'requests.cpu': '250m' } } });
    await c.update(resources.resourcequotas, 'lr1', { ...q, status: { hard: { 'requests.cpu': '250m' }, used: { 'requests.cpu': '0' } } }, { subresource: 'status' });
    await c.create(resources.pods, 'lr1', pod('one', [{ name: 'c', image: 'x' }]));
    await c.create(resources.pods, 'lr1', pod('two', [{ name: 'c', image: 'x' }]));
    assert.equal((await c.get(resources.resourcequotas, 'lr1', 'rq')).status.used['requests.cpu'], '200m');
    assert.match(await refused(c.create(resources.pods, 'lr1', pod('three', [{ name: 'c', image: 'x' }]))), /exceeded quota: rq, requested: requests.cpu=100m, used: requests.cpu=200m, limited: requests.cpu=250m/);
  });

  it('refuses pods outside min/max/ratio, listing every broken rule', async () => {
    await limitRange('lr2', [
      { type: 'Container', min: { cpu: '100m' }, max: { cpu: '1', memory: '1Gi' }, maxLimitRequestRatio: { cpu: '4' } },
      { type: 'Pod', max: { memory: '1536Mi' } },
    ]);
    const big = pod('big', [{ name: 'a', image: 'x', resources: { requests: { cpu: '200m', memory: '1Gi' }, limits: { cpu: '2', memory: '1Gi' } } }]);
    assert.equal(
      await refused(c.create(resources.pods, 'lr2', big)),
      '403 pods "big" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, cpu max limit to request ratio per Container is 4, but provided ratio is 10.000000]',
    );
    const two = pod('two', [1, 2].map((i) => ({ name: `c${i}`, image: 'x', resources: { requests: { cpu: '200m', memory: '1Gi' }, limits: { cpu: '400m', memory: '1Gi' } } })));
    assert.equal(await refused(c.create(resources.pods, 'lr2', two)), '403 pods "two" is forbidden: maximum memory usage per Pod is 1536Mi, but limit is 2Gi');
    await c.create(resources.pods, 'lr2', pod('fits', [{ name: 'a', image: 'x', resources: { requests: { cpu: '200m', memory: '512Mi' }, limits: { cpu: '400m', memory: '512Mi' } } }]));
  });

  it('PersistentVolumeClaims: storage min and max on the request', async () => {
    await limitRange('lr3', [{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } }]);
    const pvc = (name: string, storage: string): Obj => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } });
    assert.equal(await refused(c.create(resources.persistentvolumeclaims, 'lr3', pvc('small', '500Mi'))), '403 persistentvolumeclaims "small" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi');
    assert.equal(await refused(c.create(resources.persistentvolumeclaims, 'lr3', pvc('huge', '20Gi'))), '403 persistentvolumeclaims "huge" is forbidden: maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi');
    await c.create(resources.persistentvolumeclaims, 'lr3', pvc('ok', '5Gi'));
  });
});
