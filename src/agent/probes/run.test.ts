// Real servers on 127.0.0.1 only.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runProbe } from './run.ts';
import type { ExecResult } from './types.ts';

let server: http.Server;
let port: number;
let closedPort: number;
let lastHeaders: http.IncomingHttpHeaders = {};
const sockets = new Set<net.Socket>();

before(async () => {
  server = http.createServer((req, res) => {
    lastHeaders = req.headers;
    const url = req.url ?? '/';
    if (url === '/ok') return res.end('all good');
    if (url === '/fail') return res.writeHead(500).end('broken inside');
    if (url === '/hop') return res.writeHead(302, { location: '/ok' }).end();
    if (url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
    if (url === '/away') return res.writeHead(301, { location: `http://localhost:${port}/ok` }).end('moved');
    if (url === '/big') return res.end('x'.repeat(50_000));
    if (url === '/slow') return; // never answers
    res.writeHead(404).end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  const tmp = net.createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  closedPort = (tmp.address() as AddressInfo).port;
  await new Promise<void>((r) => tmp.close(() => r()));
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

const target = () => ({ podIP: '127.0.0.1', ports: [{ name: 'web', containerPort: port }] });

describe('httpGet', () => {
  it('success with body, default headers, named port', async () => {
    const r = await runProbe({ httpGet: { path: '/ok', port: 'web' } }, target());
    assert.deepEqual(r, { result: 'success', output: 'all good' });
    assert.equal(lastHeaders['user-agent'], 'kube-probe/1.32');
    assert.equal(lastHeaders['accept'], '*/*');
  });

  it('custom headers, Host, and an empty Accept removed', async () => {
    await runProbe({ httpGet: { path: '/ok', port, httpHeaders: [{ name: 'X-Probe', value: 'yes' }, { name: 'Host', value: 'example.test' }, { name: 'Accept', value: '' }] } }, target());
    assert.equal(lastHeaders['x-probe'], 'yes');
    assert.equal(lastHeaders['host'], 'example.test');
    assert.equal(lastHeaders['accept'], undefined);
  });

  it('status 500 fails without the body in the message', async () => {
    assert.deepEqual(await runProbe({ httpGet: { path: '/fail', port } }, target()), { result: 'failure', output: 'HTTP probe failed with statuscode: 500' });
  });

  it('redirects: followed on the same host, a warning to another host, stopped after 10', async () => {
    assert.deepEqual(await runProbe({ httpGet: { path: '/hop', port } }, target()), { result: 'success', output: 'all good' });
    assert.deepEqual(await runProbe({ httpGet: { path: '/away', port } }, target()), { result: 'success', warning: true, output: 'Probe terminated redirects, Response body: moved' });
    assert.deepEqual(await runProbe({ httpGet: { path: '/loop', port } }, target()), { result: 'failure', output: `Get "http://127.0.0.1:${port}/loop": stopped after 10 redirects` });
  });

  it('bodies are cut at 10 KiB', async () => {
    const r = await runProbe({ httpGet: { path: '/big', port } }, target());
    assert.equal(r.result, 'success');
    assert.equal(r.output.length, 10 * 1024);
  });

  it('timeout and connection refused read like Go', async () => {
    const t0 = Date.now();
    const slow = await runProbe({ httpGet: { path: '/slow', port }, timeoutSeconds: 1 }, target());
    assert.deepEqual(slow, { result: 'failure', output: `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    assert.ok(Date.now() - t0 >= 950 && Date.now() - t0 < 3000);
    assert.deepEqual(await runProbe({ httpGet: { path: '/ok', port: closedPort } }, target()), {
      result: 'failure',
      output: `Get "http://127.0.0.1:${closedPort}/ok": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
    });
  });

  it('goes through the connect seam when given, and only through it', async () => {
    const dialed: string[] = [];
    // The pod "address" is unroutable (TEST-NET-3): the probe can only succeed through the dialer, which connects to our server.
    const connect = (h: string, p: number) => {
      dialed.push(`${h}:${p}`);
      return net.connect({ host: '127.0.0.1', port });
    };
    const r = await runProbe({ httpGet: { path: '/ok', port: 8080 }, timeoutSeconds: 2 }, { podIP: '203.0.113.9', connect });
    assert.deepEqual(r, { result: 'success', output: 'all good' });
    assert.deepEqual(dialed, ['203.0.113.9:8080']);
    assert.equal(lastHeaders['host'], '203.0.113.9:8080');
  });

  it('an unknown named port is unknown (probe errored), not a failure', async () => {
    const r = await runProbe({ httpGet: { path: '/ok', port: 'nope' } }, target());
    assert.equal(r.result, 'unknown');
    assert.match(r.output, /^couldn't find port: nope in /);
  });
});

describe('tcpSocket', () => {
  it('connects or fails with the dial error', async () => {
    assert.deepEqual(await runProbe({ tcpSocket: { port } }, target()), { result: 'success', output: '' });
    assert.deepEqual(await runProbe({ tcpSocket: { port: closedPort, host: '127.0.0.1' } }, target()), { result: 'failure', output: `dial tcp 127.0.0.1:${closedPort}: connect: connection refused` });
  });
});

describe('exec', () => {
  const exec = (r: ExecResult | Error) => async () => {
    if (r instanceof Error) throw r;
    return r;
  };
  it('exit code decides; timeouts fail; runtime errors are unknown', async () => {
    const probe = { exec: { command: ['sh', '-c', 'cat /tmp/healthy'] } };
    assert.deepEqual(await runProbe(probe, { podIP: '', exec: exec({ exitCode: 0, stdout: 'ok\n', stderr: '' }) }), { result: 'success', output: 'ok\n' });
    assert.deepEqual(await runProbe(probe, { podIP: '', exec: exec({ exitCode: 1, stdout: '', stderr: 'cat: /tmp/healthy: No such file or directory\n' }) }), {
      result: 'failure',
      output: 'cat: /tmp/healthy: No such file or directory\n',
    });
    assert.deepEqual(await runProbe(probe, { podIP: '', exec: exec({ exitCode: -1, stdout: '', stderr: '', timedOut: true }) }), { result: 'failure', output: 'command ["sh" "-c" "cat /tmp/healthy"] timed out' });
    assert.deepEqual(await runProbe(probe, { podIP: '', exec: exec(new Error('container not found')) }), { result: 'unknown', output: 'container not found' });
  });
});

describe('grpc', () => {
  it('health Check: SERVING succeeds, NOT_SERVING fails', async () => {
    let status = 1;
    let askedService = '';
    const g = http2.createServer();
    g.on('stream', (stream, headers) => {
      assert.equal(headers[':path'], '/grpc.health.v1.Health/Check');
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const body = Buffer.concat(chunks);
        askedService = body.length > 7 ? body.subarray(7).toString() : '';
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, status]));
      });
    });
    await new Promise<void>((r) => g.listen(0, '127.0.0.1', r));
    const gport = (g.address() as AddressInfo).port;
    try {
      assert.deepEqual(await runProbe({ grpc: { port: gport, service: 'db' } }, { podIP: '127.0.0.1' }), { result: 'success', output: '' });
      assert.equal(askedService, 'db');
      status = 2;
      assert.deepEqual(await runProbe({ grpc: { port: gport } }, { podIP: '127.0.0.1' }), { result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' });
    } finally {
      await new Promise<void>((r) => g.close(() => r()));
    }
  });
});
