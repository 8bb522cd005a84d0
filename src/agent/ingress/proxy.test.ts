/**
 * The ingress proxy against real HTTP servers on 127.0.0.1: routing by Host
 * and path, forwarded headers, round robin, 404/503/502/504, streaming, TLS
 * with SNI (a certificate per host from our own CA, the default certificate
 * otherwise) and a WebSocket handshake + echo through the upgrade tunnel.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { createHash } from 'node:crypto';
import type { Obj } from '../../client/types.ts';
import { createCA, issueCertificate } from '../../cluster/pki/x509.ts';
import { defaultCertificate } from './controller.ts';
import { startIngressProxy, type RunningIngressProxy } from './proxy.ts';
import { EndpointIndex, RoutingTable } from './routes.ts';

const servers: net.Server[] = [];
const upgraded = new Set<import('node:stream').Duplex>();
async function backend(name: string, extra?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean): Promise<number> {
  const srv = http.createServer((req, res) => {
    if (extra?.(req, res)) return;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ name, url: req.url, host: req.headers.host, xff: req.headers['x-forwarded-for'], proto: req.headers['x-forwarded-proto'], xhost: req.headers['x-forwarded-host'] }));
  });
  srv.on('upgrade', (req, socket) => {
    upgraded.add(socket);
    const accept = createHash('sha1')
      .update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
      .digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.on('data', (d) => socket.write(d)); // echo frames as they come
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  servers.push(srv);
  return (srv.address() as net.AddressInfo).port;
}

function closedPort(): Promise<number> {
  const s = net.createServer();
  return new Promise((r) => s.listen(0, '127.0.0.1', () => {
    const p = (s.address() as net.AddressInfo).port;
    s.close(() => r(p));
  }));
}

let proxy: RunningIngressProxy;
let table: RoutingTable;
const ca = createCA({ commonName: 'test ingress CA', validityDays: 1 });
const appCert = issueCertificate(ca, { commonName: 'app.test', dnsNames: ['app.test'], usage: 'server', validityDays: 1 });
const appCtx = tls.createSecureContext({ cert: appCert.certPem, key: appCert.keyPem });

before(async () => {
  const a1 = await backend('a1');
  const a2 = await backend('a2');
  const slow = await backend('slow', (req, res) => {
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first\n');
      setTimeout(() => res.end('second\n'), 300);
      return true;
    }
    if (req.url === '/hang') return true; // never answers
    return false;
  });
  const echo = await backend('echo', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, body, te: req.headers['transfer-encoding'] ?? null, cl: req.headers['content-length'] ?? null, conn: req.socket.remotePort }));
    });
    return true;
  });
  const dead = await closedPort();
  const eps = new EndpointIndex();
  const service = (name: string, ports: number[]) => {
    eps.setService({ metadata: { namespace: 'default', name }, spec: { ports: [{ name: 'http', port: 80 }] } });
    eps.setSlice({
      metadata: { namespace: 'default', name: `${name}-x`, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: ports[0] }],
      endpoints: ports.length ? [{ addresses: ['127.0.0.1'], conditions: { ready: true } }] : [],
    });
  };
  service('a', [a1]);
  // Two endpoints on one IP need two ports: give `rr` two slices.
  eps.setService({ metadata: { namespace: 'default', name: 'rr' }, spec: { ports: [{ name: 'http', port: 80 }] } });
  for (const [i, p] of [a1, a2].entries()) {
    eps.setSlice({ metadata: { namespace: 'default', name: `rr-${i}`, labels: { 'kubernetes.io/service-name': 'rr' } }, addressType: 'IPv4', ports: [{ name: 'http', port: p }], endpoints: [{ addresses: ['127.0.0.1'] }] });
  }
  service('slow', [slow]);
  service('echo', [echo]);
  service('dead', [dead]);
  service('empty', []);
  const be = (name: string) => ({ service: { name, port: { number: 80 } } });
  const ing: Obj = {
    metadata: { namespace: 'default', name: 'test' },
    spec: {
      tls: [{ hosts: ['app.test'], secretName: 'app-tls' }],
      rules: [
        {
          host: 'app.test',
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: be('a') },
              { path: '/rr', pathType: 'Prefix', backend: be('rr') },
              { path: '/stream', pathType: 'Exact', backend: be('slow') },
              { path: '/hang', pathType: 'Exact', backend: be('slow') },
              { path: '/dead', pathType: 'Prefix', backend: be('dead') },
              { path: '/echo', pathType: 'Prefix', backend: be('echo') },
              { path: '/empty', pathType: 'Prefix', backend: be('empty') },
            ],
          },
        },
      ],
    },
  };
  table = RoutingTable.build([ing], eps);
  proxy = await startIngressProxy({
    table: () => table,
    contextFor: (name) => (table.tlsSecretFor(name) === 'default/app-tls' ? appCtx : undefined),
    defaultCert: defaultCertificate(),
    http: [{ host: '127.0.0.1', port: 0 }],
    https: [{ host: '127.0.0.1', port: 0 }],
    readTimeoutMs: 500,
  });
});

after(async () => {
  await proxy?.close();
  for (const s of servers) s.close();
  for (const s of servers) (s as http.Server).closeAllConnections?.();
  for (const s of upgraded) s.destroy();
});

function get(path: string, host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: proxy.httpPorts[0], path, headers: { host, ...headers }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

test('routes by Host and path to the pod, Host kept, X-Forwarded-* set', async () => {
  const r = await get('/hello?x=1', 'app.test', { 'x-forwarded-for': '203.0.113.9' });
  assert.equal(r.status, 200);
  const b = JSON.parse(r.body);
  assert.equal(b.name, 'a1');
  assert.equal(b.url, '/hello?x=1');
  assert.equal(b.host, 'app.test');
  assert.equal(b.xff, '203.0.113.9, 127.0.0.1');
  assert.equal(b.proto, 'http');
  assert.equal(b.xhost, 'app.test');
});

test('unknown host → 404; no ready endpoints → 503; refused → 502; no answer → 504', async () => {
  assert.equal((await get('/', 'nope.test')).status, 404);
  assert.equal((await get('/empty', 'app.test')).status, 503);
  assert.equal((await get('/dead', 'app.test')).status, 502);
  const t0 = Date.now();
  assert.equal((await get('/hang', 'app.test')).status, 504);
  assert.ok(Date.now() - t0 < 3000);
});

test('round robin over endpoints', async () => {
  const names = [];
  for (let i = 0; i < 4; i++) names.push(JSON.parse((await get('/rr', 'app.test')).body).name);
  assert.deepEqual(names.sort(), ['a1', 'a1', 'a2', 'a2']);
});

test('streaming responses arrive as they are written', async () => {
  const chunks: { at: number; d: string }[] = [];
  const t0 = Date.now();
  await new Promise<void>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: proxy.httpPorts[0], path: '/stream', headers: { host: 'app.test' }, agent: false }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => chunks.push({ at: Date.now() - t0, d }));
        res.on('end', resolve);
      })
      .on('error', reject);
  });
  assert.equal(chunks.map((c) => c.d).join(''), 'first\nsecond\n');
  assert.ok(chunks[0]!.at < 250, `first chunk at ${chunks[0]!.at} ms, before the second was written`);
});

test('TLS: SNI picks the Ingress secret; other names get the default certificate', async () => {
  const req = (servername: string, ca?: string) =>
    new Promise<{ status: number; body: string; cert: tls.PeerCertificate }>((resolve, reject) => {
      const r = https.get({ host: '127.0.0.1', port: proxy.httpsPorts[0], path: '/', servername, headers: { host: servername }, ca, rejectUnauthorized: !!ca, agent: false }, (res) => {
        const cert = (res.socket as tls.TLSSocket).getPeerCertificate();
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body, cert }));
      });
      r.on('error', reject);
    });
  const ok = await req('app.test', ca.certPem); // verified against our CA, for app.test
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).proto, 'https');
  assert.equal(ok.cert.subject.CN, 'app.test');
  const other = await req('other.test');
  assert.equal(other.cert.subject.CN, 'Bramble Ingress Default Certificate');
  assert.equal(other.status, 404);
  await assert.rejects(req('other.test', ca.certPem), 'the default certificate is not from the Ingress CA');
});

test('WebSocket upgrade is forwarded and piped both ways', async () => {
  const sock = net.connect(proxy.httpPorts[0]!, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const key = Buffer.from('0123456789abcdef').toString('base64');
  sock.write(`GET /ws HTTP/1.1\r\nHost: app.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  let got = Buffer.alloc(0);
  sock.on('data', (d) => (got = Buffer.concat([got, d])));
  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(pred());
  };
  await until(() => got.includes('\r\n\r\n'));
  const head = got.toString('latin1', 0, got.indexOf('\r\n\r\n'));
  assert.match(head, /^HTTP\/1\.1 101/);
  const expected = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  assert.match(head, new RegExp(`Sec-WebSocket-Accept: ${expected.replace(/[+/]/g, '\\$&')}`, 'i'));
  got = Buffer.alloc(0);
  // A masked text frame "hello" (the echo server returns the bytes as they are).
  const mask = Buffer.from([1, 2, 3, 4]);
  const payload = Buffer.from('hello').map((b, i) => b ^ mask[i % 4]!);
  const frame = Buffer.concat([Buffer.from([0x81, 0x80 | 5]), mask, payload]);
  sock.write(frame);
  await until(() => got.length >= frame.length);
  assert.deepEqual(got, frame);
  sock.destroy();
});

/** Writes raw bytes on one connection and collects what comes back until `done(text)` says enough. */
async function raw(writes: string[], done: (got: string) => boolean): Promise<{ got: string; ended: boolean }> {
  const sock = net.connect(proxy.httpPorts[0]!, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  let got = '';
  let ended = false;
  sock.on('data', (d) => (got += d.toString('latin1')));
  sock.on('end', () => (ended = true));
  for (const w of writes) {
    sock.write(w);
    await new Promise((r) => setTimeout(r, 30));
  }
  for (let i = 0; i < 150 && !done(got); i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 50));
  sock.destroy();
  return { got, ended };
}

const bodies = (got: string) => [...got.matchAll(/\{[^}]*\}/g)].map((m) => JSON.parse(m[0]));

test('request bodies (sized and chunked) on a keep-alive connection after a bodiless request, upstream connections reused', async () => {
  const { got } = await raw(
    [
      'GET /echo HTTP/1.1\r\nHost: app.test\r\n\r\n',
      'POST /echo HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\n\r\nhello',
      'POST /echo HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
      'GET /echo HTTP/1.1\r\nHost: app.test\r\n\r\n',
    ],
    (g) => bodies(g).length === 4,
  );
  const b = bodies(got);
  assert.deepEqual(
    b.map((x) => [x.method, x.body, x.te, x.cl]),
    [
      ['GET', '', null, null],
      ['POST', 'hello', null, '5'],
      ['POST', 'abcde', 'chunked', null],
      ['GET', '', null, null],
    ],
  );
  // Sequential requests share one upstream connection (keep-alive to the pod).
  const more = [];
  for (let i = 0; i < 3; i++) more.push(JSON.parse((await get('/echo', 'app.test')).body).conn);
  assert.equal(new Set(more).size, 1, `upstream connections used: ${more}`);
});

test('pipelined requests are answered in order; HEAD has no body; Connection: close closes', async () => {
  const { got } = await raw(['GET /echo HTTP/1.1\r\nHost: app.test\r\n\r\nHEAD /echo HTTP/1.1\r\nHost: app.test\r\n\r\nGET /nope HTTP/1.1\r\nHost: nope.test\r\n\r\n'], (g) => g.includes('404 Not Found\n'));
  const statuses = [...got.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
  assert.deepEqual(statuses, ['200', '200', '404']);
  assert.equal(bodies(got).length, 1, 'HEAD answered without a body');
  const closing = await raw(['GET /echo HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n'], (g) => g.includes('}'));
  assert.match(closing.got, /connection: close/i);
  assert.ok(closing.ended, 'the proxy closed the connection');
  const old = await raw(['GET /echo HTTP/1.0\r\nHost: app.test\r\n\r\n'], (g) => g.includes('}'));
  assert.match(old.got, /^HTTP\/1\.1 200/);
  assert.equal(bodies(old.got)[0].method, 'GET');
});

test('a client that half-closes after its request still gets the answer', async () => {
  const sock = net.connect(proxy.httpPorts[0]!, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  let got = '';
  sock.on('data', (d) => (got += d.toString('latin1')));
  sock.end('GET /echo HTTP/1.1\r\nHost: app.test\r\n\r\n');
  await new Promise((r) => sock.once('close', r));
  assert.match(got, /^HTTP\/1\.1 200/);
  assert.equal(bodies(got)[0].method, 'GET');
});
