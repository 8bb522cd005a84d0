/**
 * The agent's API server load balancer (src/agent/server-lb) in front of a
 * real `bramble server`: an HttpClient verifies the server's certificate
 * through it (by the 127.0.0.1/localhost names every serving certificate
 * has), and a watch through it ends within the health-check window when
 * the server stops answering without closing anything (SIGSTOP: the kernel
 * keeps the connection up, as for a board that lost power — the case where
 * a watch would otherwise hang for minutes).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { HttpClient } from '../../src/client/http.ts';
import { resources } from '../../src/client/types.ts';
import { ServerLoadBalancer } from '../../src/agent/server-lb/balancer.ts';
import { readyzCheck } from '../../src/agent/server-lb/health.ts';
import { createCA } from '../../src/cluster/pki/x509.ts';
import { yaml } from '../../src/util/yaml.ts';
import { startServer, type TestServer } from '../harness/server.ts';
import { until } from '../harness/wait.ts';

let srv: TestServer;
let lb: ServerLoadBalancer;
let client: HttpClient;
let caPem: string;

before(async () => {
  srv = await startServer();
  const kc = yaml().parse(fs.readFileSync(srv.kubeconfig, 'utf8'));
  const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  caPem = b64(kc.clusters[0].cluster['certificate-authority-data']);
  lb = await ServerLoadBalancer.start({ defaultServer: `127.0.0.1:${srv.port}`, healthCheck: readyzCheck(async () => caPem), checkIntervalMs: 300, failureThreshold: 3 });
  client = new HttpClient({ server: lb.url, caPem, certPem: b64(kc.users[0].user['client-certificate-data']), keyPem: b64(kc.users[0].user['client-key-data']) });
});
after(async () => {
  if (srv?.proc.pid) process.kill(srv.proc.pid, 'SIGCONT');
  client?.close();
  await lb?.close();
  await srv?.stop();
});

describe('agent API server load balancer against a real server', () => {
  it('checks /readyz against the cluster CA (a certificate from another CA fails)', async () => {
    await readyzCheck(async () => caPem)(`127.0.0.1:${srv.port}`, 2000);
    const other = createCA({ commonName: 'someone-else-ca', validityDays: 1 });
    await assert.rejects(readyzCheck(async () => other.certPem)(`127.0.0.1:${srv.port}`, 2000));
  });

  it('serves requests and ends a watch promptly when the server stops answering', async () => {
    const l = await client.list(resources.namespaces, '');
    assert.ok(l.items.some((n) => n['metadata']?.name === 'default'));
    // /readyz answers through the checks: the server is healthy.
    await new Promise((r) => setTimeout(r, 700));
    assert.deepEqual(lb.status().map((s) => s.healthy), [true]);

    const ac = new AbortController();
    const w = await client.watch(resources.namespaces, '', { resourceVersion: l.resourceVersion }, ac.signal);
    let ended = false;
    const pumping = w.pump(() => undefined).then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(ended, false, 'the watch ended on its own');

    const t0 = Date.now();
    process.kill(srv.proc.pid!, 'SIGSTOP');
    try {
      await Promise.race([pumping, new Promise((_, reject) => setTimeout(() => reject(new Error('the watch did not end within 6 s of the server stopping')), 6000).unref())]);
      const took = Date.now() - t0;
      assert.ok(took >= 600, `the watch ended after ${took} ms, before the server could have been marked down`);
      assert.deepEqual(lb.status().map((s) => s.healthy), [false]);
    } finally {
      ac.abort();
      process.kill(srv.proc.pid!, 'SIGCONT');
    }
    // Back: after two good checks, requests go through again.
    await until('requests through the balancer again', 10_000, async () => {
      await client.list(resources.namespaces, '');
      return true;
    }, 200);
  });
});
