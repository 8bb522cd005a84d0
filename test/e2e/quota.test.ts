/**
 * ResourceQuota and LimitRange with stock kubectl against a real
 * `bramble server`: the pod that would exceed a quota is refused with
 * upstream's message, `kubectl describe quota` shows usage computed by the
 * quota controller, and LimitRange defaults fill pods' requests.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type TestServer } from '../harness/server.ts';

let srv: TestServer;
before(async () => {
  srv = await startServer();
});
after(async () => srv?.stop());

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const pod = (name: string, cpu: string, memory: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: nginx
    image: nginx:1.26
    resources:
      requests: {cpu: "${cpu}", memory: ${memory}}
      limits: {cpu: "${cpu}", memory: ${memory}}
`;

describe('ResourceQuota', () => {
  it('kubectl describe quota shows the usage the controller computed', async () => {
    await srv.k(['create', 'namespace', 'team']);
    await srv.k(['create', 'quota', 'compute-resources', '-n', 'team', '--hard=requests.cpu=2,requests.memory=1Gi,limits.cpu=4,limits.memory=2Gi,pods=4']);
    const out = await until('usage computed', async () => {
      const d = await srv.k(['describe', 'quota', 'compute-resources', '-n', 'team']);
      return /requests\.cpu\s+0\s+2/.test(d) ? d : undefined;
    });
    assert.match(out, /^Name:\s+compute-resources$/m);
    assert.match(out, /^Namespace:\s+team$/m);
    assert.match(out, /^Resource\s+Used\s+Hard$/m);
    assert.match(out, /^pods\s+0\s+4$/m);
  });

  it('charges pods and refuses the one that would exceed, with upstream\'s message', async () => {
    await srv.k(['apply', '-n', 'team', '-f', '-'], { input: pod('web-1', '1', '256Mi') });
    await srv.k(['apply', '-n', 'team', '-f', '-'], { input: pod('web-2', '1', '256Mi') });
    const r = await srv.kubectl(['apply', '-n', 'team', '-f', '-'], { input: pod('nginx', '1', '256Mi') });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /Error from server \(Forbidden\): error when creating "STDIN": pods "nginx" is forbidden: exceeded quota: compute-resources, requested: requests\.cpu=1, used: requests\.cpu=2, limited: requests\.cpu=2/,
    );
    const d = await srv.k(['describe', 'quota', 'compute-resources', '-n', 'team']);
    assert.match(d, /^limits\.memory\s+512Mi\s+2Gi$/m);
    assert.match(d, /^pods\s+2\s+4$/m);
    assert.match(d, /^requests\.cpu\s+2\s+2$/m);
    assert.match(d, /^requests\.memory\s+512Mi\s+1Gi$/m);
  });

  it('a pod without the limits a quota tracks is refused', async () => {
    const r = await srv.kubectl(['run', 'bare', '-n', 'team', '--image=nginx']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pods "bare" is forbidden: failed quota: compute-resources: must specify limits\.cpu for: bare; limits\.memory for: bare; requests\.cpu for: bare; requests\.memory for: bare/);
  });

  it('deleting a pod gives its usage back', async () => {
    await srv.k(['delete', 'pod', 'web-2', '-n', 'team']);
    await until('usage released', async () => /^requests\.cpu\s+1\s+2$/m.test(await srv.k(['describe', 'quota', 'compute-resources', '-n', 'team'])));
    await srv.k(['apply', '-n', 'team', '-f', '-'], { input: pod('nginx', '1', '256Mi') });
  });

  it('object counts: services and node ports', async () => {
    await srv.k(['create', 'namespace', 'svc-team']);
    await srv.k(['create', 'quota', 'objects', '-n', 'svc-team', '--hard=services=2,services.nodeports=1,configmaps=5']);
    await until('objects quota ready', async () => /services\.nodeports\s+0\s+1/.test(await srv.k(['describe', 'quota', 'objects', '-n', 'svc-team'])));
    await srv.k(['create', 'service', 'nodeport', 'a', '-n', 'svc-team', '--tcp=80']);
    const r = await srv.kubectl(['create', 'service', 'nodeport', 'b', '-n', 'svc-team', '--tcp=80']);
    assert.match(r.stderr, /services "b" is forbidden: exceeded quota: objects, requested: services\.nodeports=1, used: services\.nodeports=1, limited: services\.nodeports=1/);
  });
});

describe('LimitRange', () => {
  it('fills default requests and limits of containers that set none', async () => {
    await srv.k(['create', 'namespace', 'limited']);
    await srv.k(['apply', '-n', 'limited', '-f', '-'], {
      input: `apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 250m, memory: 128Mi}
    max: {cpu: "1"}
`,
    });
    await srv.k(['run', 'plain', '-n', 'limited', '--image=nginx']);
    const p = JSON.parse(await srv.k(['get', 'pod', 'plain', '-n', 'limited', '-o', 'json']));
    assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '250m', memory: '128Mi' } });
    assert.equal(p.metadata.annotations['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container plain; cpu, memory limit for container plain');
    assert.equal(p.spec.serviceAccountName, 'default');
    const r = await srv.kubectl(['apply', '-n', 'limited', '-f', '-'], { input: pod('greedy', '2', '128Mi') });
    assert.match(r.stderr, /pods "greedy" is forbidden: maximum cpu usage per Container is 1, but limit is 2/);
    assert.match(await srv.k(['describe', 'limitrange', 'defaults', '-n', 'limited']), /Container\s+cpu\s+-\s+1\s+250m\s+500m\s+-/);
  });
});
