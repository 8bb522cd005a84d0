/**
 * kubectl logs / exec / attach / port-forward end to end: stock kubectl →
 * a real `bramble server` (pod-streams) → this process's agent streaming
 * server (src/agent/server, mutual TLS with the API server's client
 * certificate) → containerd's CRI streaming server → runc containers.
 * Pods are run by an AgentHost on the containerd runtime.
 *
 * containerd, its bridge and the pods live in a network namespace this test
 * creates; containerd's streaming server listens on that namespace's
 * loopback, so the agent server reaches it through `ip netns exec … nc`
 * (the `runtimeDial.connect` seam). kubectl port-forward listens on this
 * machine's loopback only.
 *
 * Needs root. Everything is removed in `after`, even on failure.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { HttpClient } from '../../src/client/http.ts';
import { resources, type Obj } from '../../src/client/types.ts';
import { killShims, removeCgroupTree, unmountUnder } from '../../src/agent/containerd/cleanup.ts';
import { clientLookup } from '../../src/agent/env/index.ts';
import { AgentHost } from '../../src/agent/host.ts';
import { hostNodeConfig } from '../../src/agent/node/host-config.ts';
import { openContainerdRuntime, type ContainerdNodeRuntime } from '../../src/agent/runtime/cri/containerd-runtime.ts';
import { startAgentServer, type RunningAgentServer } from '../../src/agent/server/server.ts';
import { criStreamingRuntime } from '../../src/agent/server/runtime.ts';
import { ensureAgentServingCert } from '../../src/agent/server/tls.ts';
import { setLogLevel } from '../../src/util/log.ts';
import { netnsConnector } from '../harness/netns.ts';
import { kubectlBin, startServer, type TestServer } from '../harness/server.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const BUSYBOX = 'bramble.local/busybox:latest';
const netns = `bramble-st-${process.pid}`;
const cgroupRoot = `bramble-st-${process.pid}`;
const nodeName = `st-${process.pid}`;
let dir = '';
let server: TestServer | undefined;
let client: HttpClient | undefined;
let ctd: ContainerdNodeRuntime | undefined;
let host: AgentHost | undefined;
let agentServer: RunningAgentServer | undefined;
const helpers = new Set<ChildProcess>();
const figures: Record<string, string> = {};

/** TCP connections made inside the test's network namespace. */
const netnsConnect = netnsConnector(netns, helpers);

async function teardown(): Promise<void> {
  await agentServer?.close();
  agentServer = undefined;
  await host?.stop().catch(() => {});
  host = undefined;
  if (ctd) {
    try {
      for (const sb of await ctd.cri.runtime.listPodSandbox(undefined, { timeoutMs: 10_000 })) {
        await ctd.cri.runtime.stopPodSandbox(sb.id, { timeoutMs: 30_000 });
        await ctd.cri.runtime.removePodSandbox(sb.id, { timeoutMs: 30_000 });
      }
    } catch (e) {
      console.error('sandbox cleanup failed', e);
    }
    const socket = ctd.socketPath;
    await ctd.close();
    await killShims(socket);
    ctd = undefined;
  }
  for (const c of helpers) c.kill('SIGKILL');
  client?.close();
  await server?.stop();
  if (dir) unmountUnder(dir);
  removeCgroupTree(cgroupRoot);
  if (fs.existsSync(`/var/run/netns/${netns}`)) spawnSync('ip', ['netns', 'del', netns]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

async function waitPod(name: string, ok: (p: Obj) => boolean, timeoutMs = 60_000): Promise<Obj> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await client!.get(resources.pods, 'default', name).catch(() => undefined);
    if (p && ok(p)) return p;
    if (Date.now() > deadline) throw new Error(`pod ${name}: timed out; status ${JSON.stringify(p?.['status'])}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  if (!process.env.BRAMBLE_TEST_DEBUG) setLogLevel('warn');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bst-'));
  try {
    execFileSync(path.join(repo, 'node_modules/.bin/node'), [path.join(repo, 'scripts/build-test-images.ts'), '--out', path.join(dir, 'built')], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.mkdirSync(path.join(dir, 'node', 'agent', 'images'), { recursive: true });
    fs.copyFileSync(path.join(dir, 'built', 'busybox.tar'), path.join(dir, 'node', 'agent', 'images', 'busybox.tar'));
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    server = await startServer();
    client = HttpClient.fromKubeconfig(server.kubeconfig);

    // The agent's streaming server: trusts the cluster client CA, presents a self-signed serving cert.
    const serving = await ensureAgentServingCert(path.join(dir, 'node'), { dnsNames: [nodeName], ipAddresses: ['127.0.0.1'] });
    const clientCA = fs.readFileSync(path.join(server.dataDir, 'server', 'tls', 'client-ca.crt'), 'utf8');
    ctd = await openContainerdRuntime({ dataDir: path.join(dir, 'node'), netnsPath: `/var/run/netns/${netns}`, cgroupRoot, imageScanMs: 0, relistMs: 500 });
    agentServer = await startAgentServer({
      host: '127.0.0.1',
      port: 0,
      cert: serving.certPem,
      key: serving.keyPem,
      clientCA,
      runtime: criStreamingRuntime(ctd.cri.runtime),
      runtimeDial: { connect: netnsConnect },
    });
    const v = await ctd.runtime.version();
    const config = hostNodeConfig({ name: nodeName, internalIP: '127.0.0.1', labels: {}, taints: [], dataDir: dir, containerRuntimeVersion: `${v.runtimeName}://${v.runtimeVersion}`, daemonPort: agentServer.port });
    const rt = ctd;
    host = new AgentHost({
      client: client,
      nodes: [{ config, fallbackPodCIDR: '10.216.0.0/24' }],
      runtimeFor: () => rt,
      podFieldSelector: `spec.nodeName=${nodeName}`,
      nodeSelector: { fieldSelector: `metadata.name=${nodeName}` },
      podSync: { lookup: clientLookup(client) },
    });
    await host.start();
  } catch (e) {
    await teardown();
    throw e;
  }
});

after(async () => {
  await teardown();
  for (const [k, v] of Object.entries(figures)) console.log(`# ${k}: ${v}`);
});

describe('kubectl streaming through bramble server and the agent to containerd', () => {
  it('runs a pod that logs and serves HTTP', async () => {
    await client!.create(resources.pods, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        nodeName,
        terminationGracePeriodSeconds: 1,
        containers: [
          { name: 'httpd', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'mkdir -p /www && echo hello-through-port-forward > /www/index.html && echo line-1 && echo line-2 >&2 && echo line-3 && exec httpd -f -p 8080 -h /www'] },
          { name: 'ticker', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.3; done'] },
        ],
      },
    });
    await waitPod('web', (p) => p['status']?.phase === 'Running' && (p['status'].containerStatuses ?? []).every((c: Obj) => c['state']?.running));
  });

  it('kubectl logs, --tail, --timestamps, -c', async () => {
    // stdout and stderr reach the log through separate pipes: their relative order is not fixed.
    const out = await server!.k(['logs', 'web', '-c', 'httpd']);
    assert.deepEqual(out.split('\n').sort(), ['', 'line-1', 'line-2', 'line-3']);
    assert.ok(out.indexOf('line-1') < out.indexOf('line-3'), out);
    const lastLine = out.trim().split('\n').at(-1);
    assert.equal(await server!.k(['logs', 'web', '-c', 'httpd', '--tail', '1']), `${lastLine}\n`);
    const ts = await server!.k(['logs', 'web', '-c', 'httpd', '--timestamps']);
    const lines = ts.trim().split('\n');
    assert.equal(lines.length, 3);
    for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) line-\d$/);
    const bad = await server!.kubectl(['logs', 'web', '-c', 'nope']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /container nope is not valid for pod web/);
    const prev = await server!.kubectl(['logs', 'web', '-c', 'httpd', '--previous']);
    assert.notEqual(prev.code, 0);
    assert.match(prev.stderr, /previous terminated container "httpd" in pod "web" not found/);
  });

  it('kubectl logs -f streams new lines as they are written', async () => {
    const p = spawn(kubectlBin, ['--kubeconfig', server!.kubeconfig, 'logs', '-f', 'web', '-c', 'ticker', '--tail', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    helpers.add(p);
    try {
      let out = '';
      const t0 = Date.now();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`logs -f gave only ${JSON.stringify(out)}`)), 15_000);
        p.stdout.on('data', (d) => {
          out += d;
          if (out.split('\n').filter(Boolean).length >= 4) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const ticks = out.split('\n').filter(Boolean).map((l) => Number(l.replace('tick-', '')));
      // Consecutive ticks: the first from the tail, the rest arriving live.
      for (let i = 1; i < ticks.length; i++) assert.equal(ticks[i], ticks[0]! + i, out);
      figures['logs -f: 4 lines'] = `${Date.now() - t0} ms`;
    } finally {
      p.kill('SIGKILL');
    }
  });

  it('kubectl exec over WebSocket v5: output, stderr and the exit code', async () => {
    const t0 = performance.now();
    const r = await server!.kubectl(['exec', 'web', '-c', 'httpd', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    figures['kubectl exec (process start to exit)'] = `${Math.round(performance.now() - t0)} ms`;
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /err\n/);
    assert.match(r.stderr, /command terminated with exit code 3/);
    const ok = await server!.kubectl(['exec', 'web', '-c', 'httpd', '--', 'cat', '/www/index.html']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'hello-through-port-forward\n');
  });

  it('kubectl exec -i: stdin reaches the command and its end closes it', async () => {
    const input = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const r = await server!.kubectl(['exec', '-i', 'web', '-c', 'httpd', '--', 'sh', '-c', 'wc -l; exit 0'], { input, timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '2000');
    const cat = await server!.kubectl(['exec', '-i', 'web', '-c', 'httpd', '--', 'cat'], { input: 'echoed back\n', timeoutMs: 30_000 });
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout, 'echoed back\n');
  });

  it('kubectl exec over SPDY (WebSockets turned off): exit code and stdin', async () => {
    const env = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
    const r = await server!.kubectl(['exec', 'web', '-c', 'httpd', '--', 'sh', '-c', 'echo via-spdy; exit 7'], { env });
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stdout, 'via-spdy\n');
    const cat = await server!.kubectl(['exec', '-i', 'web', '-c', 'httpd', '--', 'cat'], { input: 'spdy stdin\n', env, timeoutMs: 30_000 });
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout, 'spdy stdin\n');
  });

  it('kubectl exec -it: an interactive shell on a terminal', async () => {
    // `script` gives kubectl a real pty; the shell's prompt and our command's output come back through it.
    const cmd = `${kubectlBin} --kubeconfig ${server!.kubeconfig} exec -it web -c httpd -- sh`;
    const p = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm' } });
    helpers.add(p);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    try {
      const waitFor = async (re: RegExp, ms = 15_000) => {
        const deadline = Date.now() + ms;
        while (!re.test(out)) {
          if (Date.now() > deadline) throw new Error(`waiting for ${re}: got ${JSON.stringify(out)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      await new Promise((r) => setTimeout(r, 1500));
      p.stdin.write('echo tty=$(tty) term=$TERM\r');
      await waitFor(/tty=\/dev\/pts\/\d+ term=xterm/);
      p.stdin.write('exit 5\r');
      const code = await new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
      assert.equal(code, 5, out);
    } finally {
      p.kill('SIGKILL');
    }
  });

  it('kubectl attach streams a running container\'s output', async () => {
    const p = spawn(kubectlBin, ['--kubeconfig', server!.kubeconfig, 'attach', 'web', '-c', 'ticker'], { stdio: ['ignore', 'pipe', 'pipe'] });
    helpers.add(p);
    try {
      let out = '';
      let err = '';
      p.stderr.on('data', (d) => (err += d));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`attach gave ${JSON.stringify(out)} ${err}`)), 15_000);
        p.stdout.on('data', (d) => {
          out += d;
          if ((out.match(/tick-\d+\n/g) ?? []).length >= 3) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const ticks = (out.match(/tick-(\d+)/g) ?? []).map((t) => Number(t.slice(5)));
      for (let i = 1; i < ticks.length; i++) assert.equal(ticks[i], ticks[i - 1]! + 1, out);
    } finally {
      p.kill('SIGKILL');
    }
  });

  async function portForwardCheck(env: Record<string, string>, label: string): Promise<void> {
    const p = spawn(kubectlBin, ['--kubeconfig', server!.kubeconfig, 'port-forward', 'pod/web', ':8080', '--address', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    helpers.add(p);
    try {
      let out = '';
      let err = '';
      p.stderr.on('data', (d) => (err += d));
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no port: ${out} ${err}`)), 15_000);
        p.stdout.on('data', (d) => {
          out += d;
          const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
      });
      // Two connections one after another, then two at once (requestid pairs).
      const t0 = performance.now();
      for (let i = 0; i < 2; i++) assert.match(await httpGet(port), /200 OK[\s\S]*hello-through-port-forward/);
      figures[`port-forward (${label}): 2 sequential HTTP GETs`] = `${Math.round(performance.now() - t0)} ms`;
      const both = await Promise.all([httpGet(port), httpGet(port)]);
      for (const b of both) assert.match(b, /hello-through-port-forward/);
    } finally {
      p.kill('SIGKILL');
    }
  }

  it('kubectl port-forward (SPDY inside WebSocket) serves HTTP from the pod', async () => {
    await portForwardCheck({}, 'WebSocket');
  });

  it('kubectl port-forward over plain SPDY', async () => {
    await portForwardCheck({ KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }, 'SPDY');
  });

  it('refuses clients other than the API server', async () => {
    // The admin certificate is signed by the same client CA but is not system:apiserver.
    const kc = fs.readFileSync(server!.kubeconfig, 'utf8');
    const cert = Buffer.from(/client-certificate-data: (\S+)/.exec(kc)![1]!, 'base64').toString();
    const key = Buffer.from(/client-key-data: (\S+)/.exec(kc)![1]!, 'base64').toString();
    const https = await import('node:https');
    const status = await new Promise<number>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: agentServer!.port, path: '/containerLogs/default/web/httpd', cert, key, rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(status, 403);
    // No client certificate at all: the TLS handshake fails.
    await assert.rejects(
      new Promise((resolve, reject) => https.get({ host: '127.0.0.1', port: agentServer!.port, path: '/healthz', rejectUnauthorized: false }, resolve).on('error', reject)),
    );
  });

  it('reports a container that is not running as an error, and exec into a missing container', async () => {
    const r = await server!.kubectl(['exec', 'web', '-c', 'nope', '--', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /container nope is not valid for pod web/);
  });
});

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.setTimeout(10_000, () => s.destroy(new Error('timeout')));
    s.on('connect', () => s.write('GET / HTTP/1.0\r\n\r\n'));
    s.on('data', (d) => (data += d));
    s.on('end', () => resolve(data));
    s.on('error', reject);
  });
}
