import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { SpdySession } from './spdy.ts';
import { SPDY3_DICTIONARY } from './spdy-dictionary.ts';
import { acceptWebSocket, dialWebSocket, UpgradeRefused } from './upgrade.ts';
import { newClientKey, WebSocket } from './websocket.ts';
import { webSocketDuplex } from './ws-duplex.ts';

const servers: (http.Server | net.Server)[] = [];
after(() => {
  for (const s of servers) s.close();
});

async function wsServer(onWs: (ws: WebSocket) => void): Promise<number> {
  const srv = http.createServer((_req, res) => res.writeHead(404).end('no'));
  srv.on('upgrade', (req, socket, head) => {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    if (!offered.includes('echo')) {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\nno');
      return;
    }
    onWs(acceptWebSocket(req, socket, head, 'echo'));
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  servers.push(srv);
  return (srv.address() as AddressInfo).port;
}

describe('WebSocket', () => {
  it('echoes text and binary messages, answers pings, closes with a handshake', async () => {
    const port = await wsServer((ws) => ws.on('message', (d, bin) => ws.send(bin ? d : d.toString(), bin)));
    const ws = await dialWebSocket({ url: new URL(`http://127.0.0.1:${port}/x`), protocols: ['echo'] });
    assert.equal(ws.protocol, 'echo');
    const big = Buffer.alloc(70_000, 7);
    const got: [Buffer, boolean][] = [];
    ws.on('message', (d, bin) => got.push([d, bin]));
    ws.send(big);
    ws.send('hello');
    while (got.length < 2) await once(ws, 'message');
    assert.deepEqual(got[0]![0], big);
    assert.equal(got[0]![1], true);
    assert.equal(got[1]![0].toString(), 'hello');
    assert.equal(got[1]![1], false);
    ws.ping(Buffer.from('p1'));
    const [pong] = await once(ws, 'pong');
    assert.equal(pong.toString(), 'p1');
    ws.close(1000, 'bye');
    const [code] = await once(ws, 'close');
    assert.equal(code, 1000);
  });

  it('assembles fragmented messages split across TCP writes', async () => {
    const got: Buffer[] = [];
    const port = await wsServer((ws) => ws.on('message', (d) => got.push(d)));
    const sock = net.connect(port, '127.0.0.1');
    await once(sock, 'connect');
    sock.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${newClientKey()}\r\nSec-WebSocket-Protocol: echo\r\n\r\n`);
    await once(sock, 'data');
    const frame = (fin: boolean, op: number, text: string) => {
      const p = Buffer.from(text);
      const key = Buffer.from([1, 2, 3, 4]);
      const masked = Buffer.from(p.map((b, i) => b ^ key[i & 3]!));
      return Buffer.concat([Buffer.of((fin ? 0x80 : 0) | op, 0x80 | p.length), key, masked]);
    };
    const all = Buffer.concat([frame(false, 2, 'ab'), frame(false, 0, 'cd'), frame(true, 0, 'ef')]);
    for (let i = 0; i < all.length; i += 3) {
      sock.write(all.subarray(i, i + 3));
      await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(got.map((b) => b.toString()), ['abcdef']);
    sock.destroy();
  });

  it('reports a refused upgrade with its status and body', async () => {
    const port = await wsServer(() => {});
    await assert.rejects(dialWebSocket({ url: new URL(`http://127.0.0.1:${port}/`), protocols: ['other'] }), (e) => e instanceof UpgradeRefused && e.status === 400 && e.body === 'no');
  });
});

describe('SPDY/3.1', () => {
  it('has the 1423-byte SPDY/3 dictionary', () => {
    assert.equal(SPDY3_DICTIONARY.length, 1423);
    assert.equal(SPDY3_DICTIONARY.subarray(0, 11).toString('latin1'), '\0\0\0\x07options');
  });

  async function pair(): Promise<{ client: SpdySession; server: SpdySession }> {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    servers.push(srv);
    const accepted = once(srv, 'connection');
    const c = net.connect((srv.address() as AddressInfo).port, '127.0.0.1');
    const [s] = await accepted;
    return { client: new SpdySession(c, 'client'), server: new SpdySession(s as net.Socket, 'server') };
  }

  it('opens streams with compressed headers, replies, carries data both ways and half-closes', async () => {
    const { client, server } = await pair();
    server.on('stream', (s) => {
      s.reply({ ok: s.headers['streamtype']! });
      s.on('data', (d: Buffer) => s.write(Buffer.from(d.toString().toUpperCase())));
      s.on('end', () => s.end());
    });
    for (const name of ['stdin', 'stdout', 'error']) {
      const st = client.openStream({ streamtype: name, port: '80' });
      assert.deepEqual(await st.replied, { ok: name });
      const chunks: Buffer[] = [];
      st.on('data', (d: Buffer) => chunks.push(d));
      st.write('hello ');
      st.end(Buffer.alloc(100_000, 'x'));
      await once(st, 'end');
      const text = Buffer.concat(chunks).toString();
      assert.equal(text.length, 100_006);
      assert.ok(text.startsWith('HELLO XX'));
    }
    client.close();
    await once(server, 'close');
  });

  it('keeps data that arrived before a reset readable until it is read (an exec status followed by RST)', async () => {
    const { client, server } = await pair();
    server.on('stream', (s) => {
      s.reply({});
      // The last data, then a reset, as a runtime tearing down its session may do.
      s.write('exit status 7', () => s.destroy());
    });
    const st = client.openStream({ streamtype: 'error' });
    await st.replied;
    // The reader attaches only after the reset has arrived.
    await new Promise((r) => setTimeout(r, 200));
    const got = await new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      st.on('data', (d: Buffer) => chunks.push(d));
      st.once('end', () => resolve(Buffer.concat(chunks).toString()));
      setTimeout(() => resolve(`(no end: ${st.destroyed ? 'destroyed' : 'open'})`), 1000);
    });
    assert.equal(got, 'exit status 7');
    client.close();
  });

  it('runs inside a WebSocket as one byte stream', async () => {
    let serverSession: SpdySession | undefined;
    const port = await wsServer((ws) => {
      serverSession = new SpdySession(webSocketDuplex(ws), 'server');
      serverSession.on('stream', (s) => {
        s.reply();
        s.end(`port ${s.headers['port']}`);
      });
    });
    const ws = await dialWebSocket({ url: new URL(`http://127.0.0.1:${port}/`), protocols: ['echo'] });
    const client = new SpdySession(webSocketDuplex(ws), 'client');
    const st = client.openStream({ streamtype: 'data', port: '8080', requestid: '0' });
    await st.replied;
    const chunks: Buffer[] = [];
    for await (const c of st) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'port 8080');
    client.close();
    serverSession?.destroy();
  });
});
