/**
 * kubectl top end to end: a real `bramble server`, stock kubectl, and a real
 * agent stats endpoint (HTTPS, accepting only the API server's client
 * certificate, serving the agent's stats provider: the host's real node
 * figures and fake-runtime containers with fixed annotated usage). Until
 * the agent's own HTTPS server lands, the test runs that endpoint itself.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { stringify } from 'yaml';
import { FakeRuntime } from '../../src/agent/runtime/fake/fake-runtime.ts';
import { fakeCpuAnnotation, fakeMemoryAnnotation } from '../../src/agent/stats/fake-pods.ts';
import { serveStatsSummary, statsSummaryPath } from '../../src/agent/stats/http.ts';
import { createStatsProvider } from '../../src/agent/stats/provider.ts';
import { pkiFilePaths } from '../../src/cluster/pki/server-pki.ts';
import { createCA, issueCertificate } from '../../src/cluster/pki/x509.ts';
import { apiClient } from '../harness/api.ts';
import { startServer, type TestServer } from '../harness/server.ts';

const NODE = 'metrics-e2e';
const GHOST = 'metrics-ghost';

describe('kubectl top against bramble server', { timeout: 120_000 }, () => {
  let srv: TestServer;
  let agent: https.Server | undefined;
  const clientNames: string[] = [];
  const runtime = new FakeRuntime();

  before(async () => {
    srv = await startServer(['--log-level', 'debug']);
  });
  after(async () => {
    if (agent) await new Promise((r) => agent!.close(r));
    agent?.closeAllConnections();
    if (process.env['METRICS_E2E_LOG']) console.log((await srv.log()).split('\n').filter((l) => /metrics|stats/.test(l)).join('\n'));
    await srv?.stop();
  });

  /** The stand-in agent endpoint: the agent's serving certificate is self-signed, as the kubelet's is by default. */
  async function startAgentEndpoint(): Promise<number> {
    const ca = createCA({ commonName: 'metrics-e2e-agent-ca', validityDays: 1 });
    const serving = issueCertificate(ca, { commonName: NODE, ipAddresses: ['127.0.0.1'], usage: 'server', validityDays: 1 });
    const clientCA = await fs.readFile(pkiFilePaths(srv.dataDir, 'client-ca').cert, 'utf8');
    const provider = createStatsProvider({ nodeName: NODE, dataDir: srv.dataDir, runtime, simulatedNode: false });
    agent = https.createServer({ cert: serving.certPem, key: serving.keyPem, ca: clientCA, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const cn = (req.socket as TLSSocket).getPeerCertificate()?.subject?.CN;
      clientNames.push(String(cn));
      if (cn !== 'system:apiserver') {
        res.writeHead(403).end('Forbidden\n');
        return;
      }
      if (new URL(req.url ?? '/', 'https://x').pathname !== statsSummaryPath) {
        res.writeHead(404).end();
        return;
      }
      void serveStatsSummary(provider, req, res);
    });
    await new Promise<void>((r) => agent!.listen(0, '127.0.0.1', r));
    return (agent.address() as AddressInfo).port;
  }

  it('kubectl top with no agent answering: clean errors, the server keeps serving', async () => {
    const none = await srv.kubectl(['top', 'nodes']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /metrics not available yet/);
    assert.doesNotMatch(none.stderr, /Metrics API not available/, 'the group is discovered');

    // A Ready node whose agent does not answer (nothing listens on port 1).
    await createNode(GHOST, 1);
    const named = await srv.kubectl(['top', 'node', GHOST]);
    assert.notEqual(named.code, 0);
    assert.match(named.stderr, new RegExp(`nodemetrics.metrics.k8s.io "${GHOST}" not found`));
    // An empty PodMetricsList: kubectl's own wording, as with metrics-server.
    const pods = await srv.kubectl(['top', 'pods', '-A']);
    assert.equal(pods.code, 0);
    assert.match(pods.stderr, /No resources found/);
    assert.match(await srv.k(['get', '--raw', '/readyz']), /ok/);
  });

  async function createNode(name: string, port: number): Promise<void> {
    const api = apiClient(srv.kubeconfig);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const created = await api.request('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, tier: name === NODE ? 'e2e' : 'ghost' } },
      status: {
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'stand-in', lastHeartbeatTime: now, lastTransitionTime: now }],
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: name }],
        daemonEndpoints: { kubeletEndpoint: { Port: port } },
      },
    });
    assert.equal(created.status, 201, created.text);
  }

  it('kubectl top nodes and pods print figures scraped from the agent', async () => {
    // Two pods bound to the node, and their containers running in the fake runtime.
    const manifest = (name: string, ns: string, app: string, containers: string[], cpu: string, mem: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels: { app }, annotations: { [fakeCpuAnnotation]: cpu, [fakeMemoryAnnotation]: mem } },
      spec: { nodeName: NODE, containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
    });
    await srv.k(['create', 'namespace', 'metrics-b']);
    const objs = [manifest('web', 'default', 'web', ['app', 'sidecar'], '250m', '64Mi'), manifest('db', 'metrics-b', 'db', ['pg'], '30m', '200Mi')];
    await srv.k(['apply', '-f', '-'], { input: objs.map((o) => stringify(o)).join('---\n') });
    await runtime.updateRuntimeConfig({ podCIDR: '10.42.0.0/24' });
    for (const o of objs) {
      const uid = await srv.k(['get', 'pod', o.metadata.name, '-n', o.metadata.namespace, '-o', 'jsonpath={.metadata.uid}']);
      const sb = await runtime.runPodSandbox({ metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid, attempt: 0 }, hostname: o.metadata.name, labels: o.metadata.labels, annotations: o.metadata.annotations, hostNetwork: false });
      for (const c of o.spec.containers) await runtime.startContainer(await runtime.createContainer(sb, { metadata: { name: c.name, attempt: 0 }, image: c.image }));
    }

    // The node joins with its agent answering: the next request scrapes it (twice, for rates).
    await createNode(NODE, await startAgentEndpoint());

    const nodes = await srv.k(['top', 'nodes']);
    const lines = nodes.trim().split('\n').map((l) => l.trimEnd());
    assert.match(lines[0]!, /^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)$/);
    const row = lines.find((l) => l.startsWith(NODE));
    assert.ok(row, nodes);
    // The host's real figures: any CPU rate, a working set of at least some MiB.
    const m = new RegExp(`^${NODE}\\s+(\\d+)m\\s+(\\d+)%\\s+(\\d+)Mi\\s+(\\d+)%$`).exec(row!);
    assert.ok(m, `unexpected row: ${row}`);
    assert.ok(Number(m[3]) > 10, 'working set in MiB');
    assert.ok(clientNames.length > 0 && clientNames.every((n) => n === 'system:apiserver'), `clients seen: ${clientNames}`);

    const one = await srv.k(['top', 'node', NODE, '--no-headers']);
    assert.match(one, new RegExp(`^${NODE}\\s+\\d+m\\s+\\d+%`));
    const byLabel = await srv.k(['top', 'nodes', '-l', 'tier=e2e', '--no-headers']);
    assert.match(byLabel, new RegExp(`^${NODE}\\s`));

    const pods = await srv.k(['top', 'pods']);
    assert.match(pods, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*\nweb\s+500m\s+128Mi\s*$/);
    const all = await srv.k(['top', 'pods', '-A', '--no-headers']);
    const rows = all.trim().split('\n').map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows.sort(), [['default', 'web', '500m', '128Mi'], ['metrics-b', 'db', '30m', '200Mi']]);
    const containers = await srv.k(['top', 'pods', '--containers', '--no-headers']);
    assert.deepEqual(containers.trim().split('\n').map((l) => l.trim().split(/\s+/)), [['web', 'app', '250m', '64Mi'], ['web', 'sidecar', '250m', '64Mi']]);
    const sel = await srv.k(['top', 'pods', '-A', '-l', 'app=db', '--no-headers']);
    assert.match(sel.trim(), /^metrics-b\s+db\s+30m\s+200Mi$/);
    const named = await srv.k(['top', 'pod', 'db', '-n', 'metrics-b', '--no-headers']);
    assert.match(named.trim(), /^db\s+30m\s+200Mi$/);
  });
});
