/**
 * The kubectl workflows of issue 2 with stock /usr/bin/kubectl against a
 * real `bramble server`: create generators (protobuf bodies), get in every
 * output form, describe, label, annotate, scale, all three patch types,
 * edit, delete with cascade variants, get -w, wait --for=delete, explain,
 * api-resources and api-versions.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type TestServer } from '../harness/server.ts';

let srv: TestServer;
before(async () => {
  srv = await startServer();
});
after(async () => srv?.stop());

describe('create generators (protobuf request bodies)', () => {
  it('kubectl create deployment', async () => {
    const out = await srv.k(['create', 'deployment', 'web', '--image=nginx:1.26', '--replicas=3']);
    assert.match(out, /deployment.apps\/web created/);
    const d = JSON.parse(await srv.k(['get', 'deploy', 'web', '-o', 'json']));
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.26');
    assert.deepEqual(d.spec.selector.matchLabels, { app: 'web' });
    assert.equal(d.spec.strategy.type, 'RollingUpdate');
    assert.equal(d.metadata.generation, 1);
  });

  it('kubectl create configmap and secret generic', async () => {
    await srv.k(['create', 'configmap', 'settings', '--from-literal=mode=fast', '--from-literal=level=3']);
    const cm = JSON.parse(await srv.k(['get', 'cm', 'settings', '-o', 'json']));
    assert.deepEqual(cm.data, { mode: 'fast', level: '3' });
    await srv.k(['create', 'secret', 'generic', 'creds', '--from-literal=password=s3cret']);
    const s = JSON.parse(await srv.k(['get', 'secret', 'creds', '-o', 'json']));
    assert.equal(s.type, 'Opaque');
    assert.equal(Buffer.from(s.data.password, 'base64').toString(), 's3cret');
  });

  it('kubectl create secret docker-registry', async () => {
    await srv.k(['create', 'secret', 'docker-registry', 'deploycred', '--docker-server=r.example', '--docker-username=u', '--docker-password=p', '--docker-email=e@x']);
    const s = JSON.parse(await srv.k(['get', 'secret', 'deploycred', '-o', 'json']));
    assert.equal(s.type, 'kubernetes.io/dockerconfigjson');
    const cfg = JSON.parse(Buffer.from(s.data['.dockerconfigjson'], 'base64').toString());
    assert.equal(cfg.auths['r.example'].username, 'u');
    assert.equal(cfg.auths['r.example'].auth, Buffer.from('u:p').toString('base64'));
  });

  it('kubectl create namespace, and an existing name fails clearly', async () => {
    await srv.k(['create', 'namespace', 'team-a']);
    const r = await srv.kubectl(['create', 'namespace', 'team-a']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /namespaces "team-a" already exists/);
  });
});

describe('get', () => {
  it('prints the upstream columns, wide columns only with -o wide', async () => {
    const plain = await srv.k(['get', 'deploy']);
    assert.match(plain.split('\n')[0]!, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
    const wide = await srv.k(['get', 'deploy', '-o', 'wide']);
    assert.match(wide.split('\n')[0]!, /CONTAINERS\s+IMAGES\s+SELECTOR$/);
    // No node runs the pods here: none ready or available; the controller has created them all.
    assert.match(wide, /web\s+0\/3\s+\d\s+0\s+\S+\s+nginx\s+nginx:1\.26\s+app=web/);
  });

  it('-o yaml, -o json, -o name, -l, -A and --field-selector', async () => {
    assert.match(await srv.k(['get', 'cm', 'settings', '-o', 'yaml']), /mode: fast/);
    assert.equal((await srv.k(['get', 'cm', '-o', 'name', '--field-selector', 'metadata.name=settings'])).trim(), 'configmap/settings');
    await srv.k(['label', 'cm', 'settings', 'tier=backend']);
    assert.match(await srv.k(['get', 'cm', '-l', 'tier=backend']), /^settings\s/m);
    assert.doesNotMatch(await srv.k(['get', 'cm', '-l', 'tier=frontend']), /settings/);
    const all = await srv.k(['get', 'ns', '-A']);
    assert.match(all, /kube-system\s+Active/);
    const every = await srv.k(['get', 'cm', '-A']);
    assert.match(every.split('\n')[0]!, /^NAMESPACE\s+NAME\s+DATA\s+AGE/);
  });

  it('gets every served resource type without error', async () => {
    const types = (await srv.k(['api-resources', '-o', 'name', '--verbs=list'])).trim().split('\n');
    // Every served resource but bindings (create-only) lists; events appear once per group;
    // metrics.k8s.io serves nodes and pods (empty here: no agent answers).
    assert.equal(types.length, 29, types.join(' '));
    assert.ok(types.includes('nodes.metrics.k8s.io') && types.includes('pods.metrics.k8s.io'));
    for (const t of types) {
      const r = await srv.kubectl(['get', t, '-A', '-o', 'wide']);
      assert.equal(r.code, 0, `kubectl get ${t}: ${r.stderr}`);
    }
  });
});

describe('changing objects', () => {
  it('annotate, label --overwrite, label removal', async () => {
    await srv.k(['annotate', 'deploy', 'web', 'owner=ops']);
    await srv.k(['label', 'deploy', 'web', 'stage=dev']);
    await srv.k(['label', 'deploy', 'web', 'stage=prod', '--overwrite']);
    const d = JSON.parse(await srv.k(['get', 'deploy', 'web', '-o', 'json']));
    assert.equal(d.metadata.annotations.owner, 'ops');
    assert.equal(d.metadata.labels.stage, 'prod');
    await srv.k(['label', 'deploy', 'web', 'stage-']);
    assert.equal(JSON.parse(await srv.k(['get', 'deploy', 'web', '-o', 'json'])).metadata.labels.stage, undefined);
  });

  it('scale, including --current-replicas', async () => {
    await srv.k(['scale', 'deploy/web', '--replicas=5']);
    assert.equal(JSON.parse(await srv.k(['get', 'deploy', 'web', '-o', 'json'])).spec.replicas, 5);
    const bad = await srv.kubectl(['scale', 'deploy/web', '--current-replicas=2', '--replicas=1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Expected replicas to be 2, was 5/);
    await srv.k(['scale', 'deploy/web', '--current-replicas=5', '--replicas=2']);
    assert.equal(JSON.parse(await srv.k(['get', 'deploy', 'web', '-o', 'json'])).spec.replicas, 2);
  });

  it('patch --type strategic, merge and json', async () => {
    await srv.k(['patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}']);
    let d = JSON.parse(await srv.k(['get', 'deploy', 'web', '-o', 'json']));
    assert.deepEqual(d.spec.template.spec.containers.map((c: { name: string }) => c.name).sort(), ['nginx', 'sidecar']);
    await srv.k(['patch', 'deploy', 'web', '--type', 'merge', '-p', '{"spec":{"revisionHistoryLimit":3}}']);
    // Upstream's strategic merge puts new list items before the server's; remove the sidecar wherever it is.
    const at = d.spec.template.spec.containers.findIndex((c: { name: string }) => c.name === 'sidecar');
    await srv.k(['patch', 'deploy', 'web', '--type', 'json', '-p', `[{"op":"test","path":"/spec/template/spec/containers/${at}/name","value":"sidecar"},{"op":"remove","path":"/spec/template/spec/containers/${at}"}]`]);
    d = JSON.parse(await srv.k(['get', 'deploy', 'web', '-o', 'json']));
    assert.equal(d.spec.revisionHistoryLimit, 3);
    assert.deepEqual(d.spec.template.spec.containers.map((c: { name: string }) => c.name), ['nginx']);
  });

  it('edit through KUBE_EDITOR', async () => {
    const editor = path.join(srv.dir, 'editor.sh');
    await fs.writeFile(editor, '#!/bin/sh\nsed -i "s/mode: fast/mode: slow/" "$1"\n', { mode: 0o755 });
    const r = await srv.kubectl(['edit', 'cm', 'settings'], { env: { KUBE_EDITOR: editor } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configmap\/settings edited/);
    assert.equal(JSON.parse(await srv.k(['get', 'cm', 'settings', '-o', 'json'])).data.mode, 'slow');
  });

  it('describe shows the object', async () => {
    const out = await srv.k(['describe', 'deploy', 'web']);
    assert.match(out, /^Name:\s+web$/m);
    assert.match(out, /^Replicas:\s+2 desired/m);
    assert.match(out, /Image:\s+nginx:1\.26/);
    assert.match(await srv.k(['describe', 'ns', 'team-a']), /Status:\s+Active/);
  });
});

describe('watching and deleting', () => {
  it('get -w sees later changes', async () => {
    const w = srv.kubectl(['get', 'cm', '-w', '--request-timeout=4s'], { timeoutMs: 8000 });
    await sleep(1500);
    await srv.k(['create', 'configmap', 'watched', '--from-literal=a=1']);
    await srv.k(['label', 'cm', 'watched', 'x=y']);
    const r = await w;
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('watched'));
    assert.ok(rows.length >= 2, `expected ADDED and MODIFIED rows for watched, got:\n${r.stdout}\n${r.stderr}`);
  });

  it('wait --for=delete returns once the object is gone', async () => {
    await srv.k(['create', 'configmap', 'doomed']);
    await srv.k(['patch', 'cm', 'doomed', '--type', 'merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}']);
    await srv.k(['delete', 'cm', 'doomed', '--wait=false']);
    const waiting = srv.kubectl(['wait', '--for=delete', 'cm/doomed', '--timeout=20s']);
    await sleep(1000);
    await srv.k(['patch', 'cm', 'doomed', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
    const r = await waiting;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /condition met/);
  });

  it('delete with --cascade=orphan keeps dependents; background removes them', async () => {
    const owner = JSON.parse(await srv.k(['create', 'configmap', 'parent', '-o', 'json']));
    const child = (name: string) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'parent', uid: owner.metadata.uid }] },
      });
    await srv.k(['create', '-f', '-'], { input: child('kid') });
    await srv.k(['delete', 'cm', 'parent', '--cascade=orphan']);
    const kid = JSON.parse(await srv.k(['get', 'cm', 'kid', '-o', 'json']));
    assert.equal(kid.metadata.ownerReferences, undefined);
    const owner2 = JSON.parse(await srv.k(['create', 'configmap', 'parent2', '-o', 'json']));
    await srv.k(['create', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kid2', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'parent2', uid: owner2.metadata.uid }] } }),
    });
    await srv.k(['delete', 'cm', 'parent2', '--cascade=foreground']);
    const r = await srv.kubectl(['get', 'cm', 'kid2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /NotFound/);
  });

  it('delete deployment,configmap by name and by label', async () => {
    // As `kubectl delete deployment,service my-app`: one name, several types.
    await srv.k(['create', 'configmap', 'web']);
    const out = await srv.k(['delete', 'deployment,configmap', 'web']);
    assert.match(out, /deployment.apps "web" deleted/);
    assert.match(out, /configmap "web" deleted/);
    assert.match((await srv.kubectl(['get', 'deploy', 'web'])).stderr, /not found/);
    await srv.k(['create', 'configmap', 'l1']);
    await srv.k(['label', 'cm', 'l1', 'sweep=yes']);
    assert.match(await srv.k(['delete', 'cm', '-l', 'sweep=yes']), /configmap "l1" deleted/);
  });
});

describe('discovery and schema', () => {
  it('api-resources and api-versions', async () => {
    const res = await srv.k(['api-resources']);
    assert.match(res, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    const versions = (await srv.k(['api-versions'])).trim().split('\n');
    for (const v of ['v1', 'apps/v1', 'batch/v1', 'networking.k8s.io/v1', 'policy/v1', 'events.k8s.io/v1']) assert.ok(versions.includes(v), v);
  });

  it('explain deployment.spec.strategy', async () => {
    const out = await srv.k(['explain', 'deployment.spec.strategy']);
    assert.match(out, /KIND:\s+Deployment/);
    assert.match(out, /FIELD:\s+strategy <DeploymentStrategy>/);
    assert.match(out, /rollingUpdate\s+<RollingUpdateDeployment>/);
    assert.match(out, /type\s+<string>/);
  });
});
