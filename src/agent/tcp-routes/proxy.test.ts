/**
 * The TCP route proxy with real sockets on loopback: backends are small
 * servers on 127.0.0.1 that greet with their name and echo; clients come from
 * different 127.0.0.x addresses (one "device" each).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { TcpRouteProxy } from './proxy.ts';
import { endpointKey, pick, type Endpoint, type TcpRoute } from './routes.ts';
import { freePort } from '../../../test/harness/etcd.ts';

interface Backend {
  name: string;
  ep: Endpoint;
  server: net.Server;
  sockets: Set<net.Socket>;
}

/** Greets with `name\n`, echoes every byte; on the client's FIN answers `bye\n` and closes. */
async function backend(name: string): Promise<Backend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.write(`${name}\n`);
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end('bye\n'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { name, ep: { ip: '127.0.0.1', port: (server.address() as net.AddressInfo).port }, server, sockets };
}


const route = (port: number, endpoints: Endpoint[], service = 'gw'): TcpRoute => ({ port, namespace: 'iot', service, servicePort: 9000, source: { kind: 'ConfigMap', namespace: 'kube-system', name: 'bramble-tcp-services' }, endpoints });

/** A client connection from `from` that collects what it receives. */
interface Client {
  sock: net.Socket;
  got: () => string;
  ended: Promise<void>;
  closed: Promise<void>;
}
async function connect(port: number, from: string): Promise<Client> {
  const sock = net.connect({ host: '127.0.0.1', port, localAddress: from, allowHalfOpen: true });
  let buf = '';
  sock.on('data', (d) => (buf += d.toString()));
  sock.on('error', () => undefined);
  const ended = once(sock, 'end').then(() => undefined);
  const closed = once(sock, 'close').then(() => undefined);
  ended.catch(() => undefined);
  closed.catch(() => undefined);
  await once(sock, 'connect');
  return { sock, got: () => buf, ended, closed };
}
async function waitFor(f: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
/** The backend name a fresh connection greets with. */
async function greeting(c: Client): Promise<string> {
  await waitFor(() => c.got().includes('\n'), 'greeting');
  return c.got().split('\n')[0]!;
}

describe('TCP route proxy (loopback)', () => {
  const backends: Backend[] = [];
  const byKey = new Map<string, string>();
  let proxy: TcpRouteProxy;
  let port = 0;
  const clients: Client[] = [];
  const open = async (from: string, p = port) => {
    const c = await connect(p, from);
    clients.push(c);
    return c;
  };

  before(async () => {
    for (const n of ['a', 'b', 'c']) backends.push(await backend(n));
    for (const b of backends) byKey.set(endpointKey(b.ep), b.name);
    proxy = new TcpRouteProxy({ host: '127.0.0.1', connectTimeoutMs: 1000 });
    port = await freePort();
    await proxy.update(new Map([[port, route(port, backends.map((b) => b.ep))]]));
    assert.deepEqual(proxy.listening(), [port]);
  });

  after(async () => {
    for (const c of clients) c.sock.destroy();
    await proxy.close();
    for (const b of backends) {
      for (const s of b.sockets) s.destroy();
      b.server.close();
    }
  });

  it('the same client IP always reaches the same backend (the rendezvous pick), and clients spread', async () => {
    const seen = new Set<string>();
    for (let i = 2; i < 14; i++) {
      const from = `127.0.0.${i}`;
      const want = byKey.get(endpointKey(pick(from, backends.map((b) => b.ep))!));
      for (let k = 0; k < 3; k++) {
        const c = await open(from);
        assert.equal(await greeting(c), want, `client ${from}, connection ${k}`);
        c.sock.destroy();
      }
      seen.add(want!);
    }
    assert.ok(seen.size >= 2, `12 clients over 3 backends reached ${[...seen]}`);
  });

  it('carries data both ways and passes a half-close through (the answer after the FIN arrives)', async () => {
    const c = await open('127.0.0.20');
    const name = await greeting(c);
    c.sock.write('ping\n');
    await waitFor(() => c.got().includes('ping\n'), 'echo');
    c.sock.end('last\n');
    await c.ended;
    assert.equal(c.got(), `${name}\nping\nlast\nbye\n`);
    await c.closed;
  });

  it('moves a large stream intact (backpressure through pipe)', async () => {
    const c = await open('127.0.0.21');
    await greeting(c);
    const chunks: Buffer[] = [];
    c.sock.removeAllListeners('data');
    c.sock.on('data', (d: Buffer) => chunks.push(d));
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 255;
    c.sock.end(big);
    await c.ended;
    const all = Buffer.concat(chunks);
    assert.equal(all.length, big.length + 4);
    assert.ok(all.subarray(0, big.length).equals(big));
  });

  it('stays open while idle (no idle timeout) with keep-alive on', async () => {
    const c = await open('127.0.0.22');
    await greeting(c);
    await new Promise((r) => setTimeout(r, 1500));
    c.sock.write('still here\n');
    await waitFor(() => c.got().includes('still here\n'), 'echo after idling');
    assert.equal(proxy.connections(port) >= 1, true);
    c.sock.destroy();
  });

  it('an endpoint leaving the ready set closes its connections only; reconnecting reaches a live one', async () => {
    // One client per backend, found by trying addresses.
    const per = new Map<string, Client>();
    for (let i = 30; i < 80 && per.size < 3; i++) {
      const from = `127.0.0.${i}`;
      const name = byKey.get(endpointKey(pick(from, backends.map((b) => b.ep))!))!;
      if (per.has(name)) continue;
      const c = await open(from);
      assert.equal(await greeting(c), name);
      per.set(name, c);
    }
    assert.equal(per.size, 3);
    const victim = per.get('b')!;
    const victimFrom = victim.sock.localAddress!;
    await proxy.update(new Map([[port, route(port, backends.filter((b) => b.name !== 'b').map((b) => b.ep))]]));
    await victim.ended; // the proxy closed it (our test client is half-open, so it waits for our own end)
    for (const n of ['a', 'c']) {
      const c = per.get(n)!;
      assert.equal(c.sock.destroyed, false, `${n}'s connection stays`);
      c.sock.write(`hi ${n}\n`);
      await waitFor(() => c.got().includes(`hi ${n}\n`), `echo on ${n}`);
    }
    const again = await open(victimFrom);
    assert.notEqual(await greeting(again), 'b');
    // Back in the set: the same client gets b again (affinity is a function of the set).
    await proxy.update(new Map([[port, route(port, backends.map((b) => b.ep))]]));
    const back = await open(victimFrom);
    assert.equal(await greeting(back), 'b');
    for (const c of [...per.values(), again, back]) c.sock.destroy();
  });

  it('an endpoint that refuses is skipped for the next in rank; no endpoints = connection closed', async () => {
    const dead: Endpoint = { ip: '127.0.0.1', port: await freePort() };
    // A client whose first choice is the dead endpoint.
    let from = '';
    for (let i = 100; i < 250 && !from; i++) if (endpointKey(pick(`127.0.0.${i}`, [dead, backends[0]!.ep])!) === endpointKey(dead)) from = `127.0.0.${i}`;
    assert.ok(from);
    const p2 = await freePort();
    await proxy.update(new Map([
      [port, route(port, backends.map((b) => b.ep))],
      [p2, route(p2, [dead, backends[0]!.ep], 'other')],
    ]));
    const c = await open(from, p2);
    assert.equal(await greeting(c), 'a');
    c.sock.destroy();
    await proxy.update(new Map([
      [port, route(port, backends.map((b) => b.ep))],
      [p2, route(p2, [], 'other')],
    ]));
    const none = await open('127.0.0.5', p2);
    await none.ended;
    assert.equal(none.got(), '');
  });

  it('routes come and go without disturbing the others', async () => {
    const keep = await open('127.0.0.40');
    const keepName = await greeting(keep);
    const p3 = await freePort();
    await proxy.update(new Map([
      [port, route(port, backends.map((b) => b.ep))],
      [p3, route(p3, [backends[2]!.ep], 'third')],
    ]));
    assert.deepEqual(proxy.listening().sort(), [port, p3].sort());
    const onThird = await open('127.0.0.41', p3);
    assert.equal(await greeting(onThird), 'c');
    // p3 goes away: its connection is closed, its port refuses; port's connection lives on.
    await proxy.update(new Map([[port, route(port, backends.map((b) => b.ep))]]));
    await onThird.ended;
    assert.deepEqual(proxy.listening(), [port]);
    await assert.rejects(connect(p3, '127.0.0.41'));
    keep.sock.write('ok\n');
    await waitFor(() => keep.got().includes('ok\n'), 'the other route still carries data');
    assert.equal(keep.got().split('\n')[0], keepName);
    keep.sock.destroy();
  });
});
