/**
 * The agent's API server load balancer against plain TCP servers on
 * 127.0.0.1 that greet each connection with their name: where connections
 * go, what happens to held connections when a server stops answering
 * without closing them (a board losing power), failback to the default,
 * the list from an EndpointSlice, and the saved list.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { addressesFromSlice, addressOfURL } from './address.ts';
import { startAgentLoadBalancer } from './agent-lb.ts';
import { ServerLoadBalancer } from './balancer.ts';
import { tcpCheck } from './health.ts';
import { readState, stateFilePath, StateWriter } from './state-file.ts';
import { waitUntil } from '../../../test/harness/wait.ts';

/** A server that writes its name to every connection and keeps it open. */
class Greeter {
  readonly name: string;
  port = 0;
  private server?: net.Server;
  readonly sockets = new Set<net.Socket>();
  constructor(name: string) {
    this.name = name;
  }
  get address() {
    return `127.0.0.1:${this.port}`;
  }
  async listen(): Promise<this> {
    const srv = net.createServer((s) => {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => this.sockets.delete(s));
      s.write(`${this.name}\n`);
    });
    await new Promise<void>((r) => srv.listen(this.port, '127.0.0.1', r));
    this.port = (srv.address() as net.AddressInfo).port;
    this.server = srv;
    return this;
  }
  /** Stops accepting but leaves accepted sockets open and silent: what a peer sees of a board that lost power. */
  hang(): void {
    // close() stops accepting at once; its callback would wait for the held connections, which is the point.
    this.server!.close();
    this.server = undefined;
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = undefined;
  }
}

/** A connection through the balancer: who answered, and a promise of its close. */
async function connect(port: number): Promise<{ who: string; socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  const who = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) {
        socket.off('data', onData);
        resolve(buf.trim());
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed before a greeting (got ${JSON.stringify(buf)})`)));
  });
  return { who, socket, closed };
}

const eventually = (what: string, check: () => boolean | Promise<boolean>, ms = 5000) => waitUntil(what, check, ms);

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function greeters(...names: string[]): Promise<Greeter[]> {
  const gs = await Promise.all(names.map((n) => new Greeter(n).listen()));
  cleanups.push(() => Promise.all(gs.map((g) => g.stop())).then(() => undefined));
  return gs;
}

async function balancer(defaultServer: string, servers: string[], extra: Partial<Parameters<typeof ServerLoadBalancer.start>[0]> = {}): Promise<ServerLoadBalancer> {
  const lb = await ServerLoadBalancer.start({ defaultServer, servers, checkIntervalMs: 100, failureThreshold: 3, recoverThreshold: 2, connectTimeoutMs: 500, healthCheck: tcpCheck, ...extra });
  cleanups.push(() => lb.close());
  return lb;
}

describe('server load balancer', () => {
  it('sends connections to the default server while it is healthy', async () => {
    const [a, b] = await greeters('a', 'b');
    const lb = await balancer(a.address, [b.address]);
    assert.match(lb.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    for (let i = 0; i < 5; i++) {
      const c = await connect(lb.port);
      assert.equal(c.who, 'a');
      c.socket.destroy();
    }
    assert.equal(lb.preferred(), a.address);
  });

  it('closes connections held to a server that stops answering, sends new ones elsewhere, and fails back to the default', async () => {
    const [a, b] = await greeters('a', 'b');
    const lb = await balancer(a.address, [b.address]);
    const held = await connect(lb.port);
    assert.equal(held.who, 'a');
    // Bytes still flow both ways through the proxy.
    const echoed = new Promise<string>((r) => [...a.sockets][0]!.once('data', (d) => r(d.toString())));
    held.socket.write('ping');
    assert.equal(await echoed, 'ping');

    const t0 = Date.now();
    a.hang(); // a's end of the held connection stays open: only the balancer can end it
    await within(held.closed, 2000, 'the held connection to the dead server closed');
    const took = Date.now() - t0;
    assert.ok(took >= 150, `closed after ${took} ms: before 3 failed checks?`);
    assert.equal(lb.preferred(), b.address);
    assert.equal(lb.status().find((s) => s.address === a.address)?.healthy, false);
    const onB = await connect(lb.port);
    assert.equal(onB.who, 'b');

    await a.listen(); // same port
    await eventually('the default server preferred again', () => lb.preferred() === a.address);
    assert.equal((await connect(lb.port)).who, 'a');
    // Failing back does not disturb connections to the other server.
    assert.equal(onB.socket.destroyed, false);
    assert.equal(lb.status().find((s) => s.address === b.address)?.connections, 1);
  });

  it('closes connections when the server closes them and its listener (a stopped process)', async () => {
    const [a, b] = await greeters('a', 'b');
    const lb = await balancer(a.address, [b.address]);
    const held = await connect(lb.port);
    await a.stop();
    await within(held.closed, 1000, 'the held connection closed');
    await eventually('b preferred', () => lb.preferred() === b.address, 2000);
    assert.equal((await connect(lb.port)).who, 'b');
  });

  it('tries the next server at once when the preferred one refuses, before any check marks it down', async () => {
    const [a, b] = await greeters('a', 'b');
    await a.stop();
    const lb = await balancer(a.address, [b.address], { checkIntervalMs: 60_000 });
    assert.equal((await connect(lb.port)).who, 'b');
  });

  it('does not move the preference between healthy servers (no flapping)', async () => {
    const [a, b, c] = await greeters('a', 'b', 'c');
    const lb = await balancer(a.address, [b.address, c.address]);
    a.hang();
    await eventually('a marked down', () => lb.preferred() !== a.address, 2000);
    const second = lb.preferred();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(lb.preferred(), second);
    const who = (await connect(lb.port)).who;
    assert.equal(who, second === b.address ? 'b' : 'c');
  });

  it('updates the server list from the kubernetes EndpointSlice, keeping the default and closing connections to removed servers', async () => {
    const [a, b, c] = await greeters('a', 'b', 'c');
    const changes: string[][] = [];
    const lb = await balancer(a.address, [b.address], { onServersChanged: (s) => changes.push(s) });
    a.hang();
    await eventually('b preferred', () => lb.preferred() === b.address, 2000);
    const held = await connect(lb.port);
    assert.equal(held.who, 'b');
    const slice = {
      metadata: { name: 'kubernetes', namespace: 'default' },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
      ports: [{ name: 'https', port: c.port, protocol: 'TCP' }],
    };
    const learned = addressesFromSlice(slice);
    assert.deepEqual(learned, [c.address]);
    assert.equal(lb.setServers(learned), true);
    assert.deepEqual(lb.list(), [a.address, c.address].sort());
    await within(held.closed, 1000, 'the connection to the removed server closed');
    assert.equal((await connect(lb.port)).who, 'c');
    // The same list again, or an empty one, changes nothing.
    assert.equal(lb.setServers([c.address]), false);
    assert.equal(lb.setServers([]), false);
    assert.deepEqual(changes, [[a.address, c.address].sort()]);
  });

  it('reads addresses from EndpointSlices and Endpoints', () => {
    assert.deepEqual(
      addressesFromSlice({
        endpoints: [{ addresses: ['10.0.0.2'] }, { addresses: ['10.0.0.1'], conditions: { ready: true } }, { addresses: ['10.0.0.3'], conditions: { ready: false } }],
        ports: [{ name: 'https', port: 6443 }],
      }),
      ['10.0.0.1:6443', '10.0.0.2:6443'],
    );
    assert.deepEqual(addressesFromSlice({ endpoints: [{ addresses: ['10.0.0.1'] }], ports: [] }), []);
    assert.equal(addressOfURL('https://board1:6443/'), 'board1:6443');
    assert.equal(addressOfURL('https://[::1]:6443'), '[::1]:6443');
    assert.equal(addressOfURL('https://board1'), 'board1:443');
  });
});

describe('saved server list', () => {
  async function tmpDir(): Promise<string> {
    const d = await fs.mkdtemp(path.join(os.tmpdir(), 'bramble-lb-'));
    cleanups.push(() => fs.rm(d, { recursive: true, force: true }));
    return d;
  }

  it('is written once per change and only for its --server', async () => {
    const file = stateFilePath(await tmpDir());
    const w = new StateWriter(file, 'https://a:6443');
    await w.save(['b:6443', 'a:6443']);
    await w.save(['a:6443', 'b:6443']);
    assert.equal(w.writes, 1);
    assert.deepEqual(await readState(file, 'https://a:6443'), { serverURL: 'https://a:6443', serverAddresses: ['a:6443', 'b:6443'] });
    assert.equal(await readState(file, 'https://other:6443'), undefined);
    // A writer started from what is on disk does not write it again.
    const again = new StateWriter(file, 'https://a:6443', await readState(file, 'https://a:6443'));
    await again.save(['a:6443', 'b:6443']);
    assert.equal(again.writes, 0);
    await again.save(['a:6443', 'c:6443']);
    assert.equal(again.writes, 1);
    await fs.writeFile(file, '{not json');
    assert.equal(await readState(file, 'https://a:6443'), undefined);
  });

  it('lets an agent restarting while its --server is dead reach a server it learned before', async () => {
    const dataDir = await tmpDir();
    const [a, b] = await greeters('a', 'b');
    const server = `https://${a.address}`;
    const first = await startAgentLoadBalancer({ server, dataDir, healthCheck: tcpCheck, checkIntervalMs: 100 });
    first.balancer.setServers([b.address]);
    await first.close();
    const saved = JSON.parse(await fs.readFile(stateFilePath(dataDir), 'utf8'));
    assert.deepEqual(saved, { serverURL: server, serverAddresses: [a.address, b.address].sort() });
    const mtime = (await fs.stat(stateFilePath(dataDir))).mtimeMs;

    await a.stop();
    const second = await startAgentLoadBalancer({ server, dataDir, healthCheck: tcpCheck, checkIntervalMs: 100 });
    cleanups.push(() => second.close());
    assert.equal((await connect(second.balancer.port)).who, 'b');
    // Learning the same list again does not rewrite the file.
    second.balancer.setServers([a.address, b.address]);
    await second.close();
    assert.equal((await fs.stat(stateFilePath(dataDir))).mtimeMs, mtime);
  });
});
