import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestRegistry, systemUser } from '../../test/harness/registry.ts';
import { InProcessClient } from '../client/in-process.ts';
import { resources, type Client, type Obj } from '../client/types.ts';
import { defaultControllerConfig } from '../controllers/manager.ts';
import { isApiError } from '../api/errors.ts';
import { resourceQuotaAdmission } from './resource-quota.ts';
import { serviceIPAdmission } from './service-ip/admission.ts';

let close: () => Promise<void>;
let c: Client;
before(async () => {
  const r = await openTestRegistry();
  r.registry.admission.push(serviceIPAdmission(r.registry, defaultControllerConfig), resourceQuotaAdmission(r.registry, defaultControllerConfig));
  close = r.close;
  c = new InProcessClient(r.registry, systemUser);
  for (const ns of ['q1', 'q2', 'q3', 'q4', 'q5']) await c.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});
after(() => close());

/** A quota with its status filled in, as the quota controller would. */
async function quota(ns: string, name: string, hard: Obj, used: Obj, spec: Obj = {}): Promise<void> {
  const q = await c.create(resources.resourcequotas, ns, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec: { hard, ...spec } });
  await c.update(resources.resourcequotas, ns, { ...q, status: { hard, used } }, { subresource: 'status' });
}
const used = async (ns: string, name: string) => (await c.get(resources.resourcequotas, ns, name)).status.used;

const pod = (name: string, requests?: Obj, limits?: Obj, meta: Obj = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, ...meta },
  spec: { containers: [{ name: 'nginx', image: 'nginx', resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } }] },
});

async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isApiError(e)) return `${e.code} ${e.message}`;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('ResourceQuota admission', () => {
  it('charges admitted pods and refuses the one that would exceed, with upstream\'s message', async () => {
    await quota('q1', 'compute-resources', { 'requests.cpu': '2', 'requests.memory': '1Gi' }, { 'requests.cpu': '0', 'requests.memory': '0' });
    await c.create(resources.pods, 'q1', pod('a', { cpu: '1', memory: '256Mi' }));
    await c.create(resources.pods, 'q1', pod('b', { cpu: '1', memory: '256Mi' }));
    assert.deepEqual(await used('q1', 'compute-resources'), { 'requests.cpu': '2', 'requests.memory': '512Mi' });
    assert.equal(
      await refused(c.create(resources.pods, 'q1', pod('nginx', { cpu: '1', memory: '128Mi' }))),
      '403 pods "nginx" is forbidden: exceeded quota: compute-resources, requested: requests.cpu=1, used: requests.cpu=2, limited: requests.cpu=2',
    );
    assert.deepEqual(await used('q1', 'compute-resources'), { 'requests.cpu': '2', 'requests.memory': '512Mi' }, 'a refusal charges nothing');
  });

  it('refuses pods without the requests or limits a quota tracks', async () => {
    await quota('q2', 'compute-resources', { 'limits.cpu': '4', 'limits.memory': '4Gi', pods: '10' }, { 'limits.cpu': '0', 'limits.memory': '0', pods: '0' });
    assert.equal(
      await refused(c.create(resources.pods, 'q2', pod('nginx'))),
      '403 pods "nginx" is forbidden: failed quota: compute-resources: must specify limits.cpu for: nginx; limits.memory for: nginx',
    );
    // Generated names show the prefix, as upstream (which admits before the name exists).
    assert.match(await refused(c.create(resources.pods, 'q2', pod('', undefined, undefined, { generateName: 'web-7d9f-' }))), /^403 pods "web-7d9f-" is forbidden: failed quota/);
  });

  it('a quota whose usage is not known yet refuses what it tracks', async () => {
    await c.create(resources.resourcequotas, 'q3', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'fresh' }, spec: { hard: { pods: '1' } } });
    // No status at all: the quota does not apply yet (upstream matches on status.hard).
    await c.create(resources.pods, 'q3', pod('early'));
    const q = await c.get(resources.resourcequotas, 'q3', 'fresh');
    await c.update(resources.resourcequotas, 'q3', { ...q, status: { hard: { pods: '1' } } }, { subresource: 'status' });
    assert.equal(await refused(c.create(resources.pods, 'q3', pod('late'))), '403 pods "late" is forbidden: status unknown for quota: fresh, resources: pods');
  });

  it('concurrent creates cannot both take the last unit', async () => {
    await quota('q4', 'pods', { pods: '3', 'count/configmaps': '2' }, { pods: '0', 'count/configmaps': '0' });
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => c.create(resources.pods, 'q4', pod(`p${i}`))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    assert.deepEqual(await used('q4', 'pods'), { 'count/configmaps': '0', pods: '3' });
    const cms = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => c.create(resources.configmaps, 'q4', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm${i}` } })));
    assert.equal(cms.filter((r) => r.status === 'fulfilled').length, 2);
    const rejected = cms.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.match(rejected.reason.message, /^configmaps "cm\d" is forbidden: exceeded quota: pods, requested: count\/configmaps=1, used: count\/configmaps=2, limited: count\/configmaps=2$/);
  });

  it('Services: node ports and load balancers, charged on create and on a type change', async () => {
    await quota('q5', 'svc', { services: '5', 'services.nodeports': '2', 'services.loadbalancers': '0' }, { services: '0', 'services.nodeports': '0', 'services.loadbalancers': '0' });
    await c.create(resources.services, 'q5', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a' }, spec: { ports: [{ port: 80 }] } });
    await c.create(resources.services, 'q5', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'np' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
    assert.deepEqual(await used('q5', 'svc'), { services: '2', 'services.loadbalancers': '0', 'services.nodeports': '1' });
    assert.match(
      await refused(c.patch(resources.services, 'q5', 'a', 'merge', { spec: { type: 'LoadBalancer' } })),
      /^403 services "a" is forbidden: exceeded quota: svc, requested: services.loadbalancers=1, used: services.loadbalancers=0, limited: services.loadbalancers=0$/,
    );
    await c.patch(resources.services, 'q5', 'a', 'merge', { spec: { type: 'NodePort' } });
    assert.equal((await used('q5', 'svc'))['services.nodeports'], '2');
    assert.match(await refused(c.create(resources.services, 'q5', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'np2' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } })), /services.nodeports=1/);
    // Dry runs are checked but not charged.
    await c.create(resources.services, 'q5', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'dry' }, spec: { ports: [{ port: 80 }] } }, { dryRun: true });
    assert.equal((await used('q5', 'svc'))['services'], '2');
  });
});
