/**
 * Seed 001's Deployment manifests, unchanged, with stock kubectl:
 * client-side apply, re-apply with changes (kubectl computes a strategic
 * merge patch), server-side apply, and invalid manifests rejected with the
 * field and reason kubectl shows.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot, startServer, type TestServer } from '../harness/server.ts';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'seed-001');
const f = (name: string) => path.join(fixtures, name);

let srv: TestServer;
before(async () => {
  srv = await startServer();
});
after(async () => srv?.stop());

const deployment = async () => JSON.parse(await srv.k(['get', 'deployment', 'nginx-deployment', '-o', 'json']));

describe('seed 001 manifests', () => {
  it('kubectl apply -f deployment.yaml creates it, as written', async () => {
    assert.match(await srv.k(['apply', '-f', f('deployment.yaml')]), /deployment.apps\/nginx-deployment created/);
    const d = await deployment();
    assert.equal(d.spec.replicas, 2);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.14.2');
    const term = d.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
    assert.equal(term.topologyKey, 'kubernetes.io/hostname');
    assert.deepEqual(term.labelSelector.matchExpressions[0], { key: 'app', operator: 'In', values: ['nginx'] });
    assert.ok(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
  });

  it('re-applying the same file changes nothing', async () => {
    const before = (await deployment()).metadata.resourceVersion;
    assert.match(await srv.k(['apply', '-f', f('deployment.yaml')]), /unchanged/);
    assert.equal((await deployment()).metadata.resourceVersion, before);
  });

  it('deployment-update.yaml rolls the image and sets the strategy', async () => {
    assert.match(await srv.k(['apply', '-f', f('deployment-update.yaml')]), /configured/);
    const d = await deployment();
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.16.1');
    assert.equal(d.spec.strategy.type, 'RollingUpdate');
    assert.equal(d.spec.strategy.rollingUpdate.maxSurge, 0);
    assert.equal(d.spec.strategy.rollingUpdate.maxUnavailable, 1);
    assert.equal(d.metadata.generation, 2);
  });

  it('deployment-scale.yaml scales to 4 and drops the affinity', async () => {
    assert.match(await srv.k(['apply', '-f', f('deployment-scale.yaml')]), /configured/);
    const d = await deployment();
    assert.equal(d.spec.replicas, 4);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.14.2');
    assert.equal(d.spec.template.spec.affinity, undefined);
    assert.equal(d.spec.template.spec.containers.length, 1);
  });

  it('kubectl scale deployments/nginx-deployment --replicas=5', async () => {
    assert.match(await srv.k(['scale', 'deployments/nginx-deployment', '--replicas=5']), /scaled/);
    assert.equal((await deployment()).spec.replicas, 5);
  });

  it('describe deployment nginx-deployment', async () => {
    const out = await srv.k(['describe', 'deployment', 'nginx-deployment']);
    assert.match(out, /^Name:\s+nginx-deployment$/m);
    assert.match(out, /Selector:\s+app=nginx/);
    assert.match(out, /StrategyType:\s+RollingUpdate/);
  });

  it('kubectl apply --server-side takes over the same manifest', async () => {
    const conflict = await srv.kubectl(['apply', '--server-side', '-f', f('deployment.yaml')]);
    assert.equal(conflict.code, 1, 'replicas changed by kubectl scale and the client-side applier: a conflict');
    assert.match(conflict.stderr, /Apply failed with \d+ conflicts?: conflict with "kubectl/);
    assert.match(conflict.stderr, /\.spec\.replicas/);
    assert.match(await srv.k(['apply', '--server-side', '--force-conflicts', '-f', f('deployment.yaml')]), /serverside-applied/);
    const d = JSON.parse(await srv.k(['get', 'deployment', 'nginx-deployment', '-o', 'json', '--show-managed-fields']));
    assert.equal(d.spec.replicas, 2);
    assert.ok(d.metadata.managedFields.some((m: { manager: string; operation: string }) => m.manager === 'kubectl' && m.operation === 'Apply'));
  });

  it('server-side apply creates a missing object', async () => {
    await srv.k(['delete', 'deployment', 'nginx-deployment']);
    assert.match(await srv.k(['apply', '--server-side', '-f', f('deployment-update.yaml')]), /serverside-applied/);
    assert.equal((await deployment()).spec.strategy.rollingUpdate.maxSurge, 0);
  });
});

describe('invalid manifests', () => {
  const manifest = (mutate: (d: any) => void) => {
    const d: any = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'good' },
      spec: {
        selector: { matchLabels: { app: 'x' } },
        template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      },
    };
    mutate(d);
    return JSON.stringify(d);
  };

  const cases: [string, (d: any) => void, RegExp][] = [
    ['a bad name', (d) => (d.metadata.name = 'Bad_Name'), /metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/],
    ['a missing image', (d) => delete d.spec.template.spec.containers[0].image, /spec\.template\.spec\.containers\[0\]\.image: Required value/],
    ['a selector that does not match the labels', (d) => (d.spec.selector.matchLabels.app = 'y'), /spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/],
  ];
  for (const [what, mutate, message] of cases) {
    it(`rejects ${what} with the field and reason, storing nothing`, async () => {
      const r = await srv.kubectl(['apply', '-f', '-'], { input: manifest(mutate) });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /is invalid/);
      assert.match(r.stderr, message);
      const names = await srv.k(['get', 'deploy', '-o', 'name']);
      assert.doesNotMatch(names, /good|Bad_Name/);
    });
  }

  it('rejects an unknown field under fieldValidation=Strict', async () => {
    const r = await srv.kubectl(['apply', '-f', '-'], { input: manifest((d) => (d.spec.replicass = 3)) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown field "spec\.replicass"/);
  });
});
