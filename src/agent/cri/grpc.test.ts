/**
 * The gRPC client against a real HTTP/2 server on a unix socket, one
 * handler per wire behaviour a gRPC server can show (status trailers,
 * trailers-only, plain HTTP errors, resets, silence, oversize replies).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as os from 'node:os';
import * as path from 'node:path';
import { GrpcClient, grpcTimeout } from './grpc.ts';
import { FrameReader, frameMessage } from './grpc-frames.ts';
import { isGrpcError, type GrpcCode } from './grpc-status.ts';

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer) => void;

function reply(stream: http2.ServerHttp2Stream, messages: Buffer[], trailers: Record<string, string> = { 'grpc-status': '0' }): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers(trailers));
  stream.end(Buffer.concat(messages.map((m) => frameMessage(m))));
}

const seenHeaders: http2.IncomingHttpHeaders[] = [];
const handlers: Record<string, Handler> = {
  '/t.S/Echo': (s, _h, body) => reply(s, [body.subarray(5)]),
  '/t.S/NotFound': (s) => reply(s, [], { 'grpc-status': '5', 'grpc-message': 'container %22abc%22 not found' }),
  '/t.S/TrailersOnly': (s) => s.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown method' }, { endStream: true }),
  '/t.S/Http503': (s) => s.respond({ ':status': 503 }, { endStream: true }),
  '/t.S/Html': (s) => {
    s.respond({ ':status': 200, 'content-type': 'text/html' });
    s.end('<html>');
  },
  '/t.S/Reset': (s) => s.close(http2.constants.NGHTTP2_REFUSED_STREAM),
  '/t.S/Silent': () => {},
  '/t.S/Two': (s) => reply(s, [Buffer.from('a'), Buffer.from('b')]),
  '/t.S/None': (s) => reply(s, []),
  '/t.S/Big': (s) => reply(s, [Buffer.alloc(2048)]),
  '/t.S/Compressed': (s) => {
    s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
    s.end(Buffer.from([1, 0, 0, 0, 1, 0x41]));
  },
  '/t.S/Split': (s) => {
    // One message delivered in three DATA frames.
    s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
    const f = frameMessage(Buffer.from('hello world'));
    s.write(f.subarray(0, 3));
    setTimeout(() => s.write(f.subarray(3, 9)), 5);
    setTimeout(() => s.end(f.subarray(9)), 10);
  },
  '/t.S/Stream': (s) => {
    s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
    let i = 0;
    const t = setInterval(() => {
      if (s.closed) return clearInterval(t);
      s.write(frameMessage(Buffer.from(`m${i++}`)));
      if (i === 3) {
        clearInterval(t);
        s.end();
      }
    }, 5);
  },
  '/t.S/Forever': (s) => {
    s.respond({ ':status': 200, 'content-type': 'application/grpc' });
    const t = setInterval(() => (s.closed ? clearInterval(t) : s.write(frameMessage(Buffer.from('tick')))), 5);
  },
};

let dir: string;
let socketPath: string;
let server: http2.Http2Server;

function listen(): Promise<void> {
  server = http2.createServer();
  server.on('stream', (stream, headers) => {
    seenHeaders.push(headers);
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', () => {});
    stream.on('end', () => handlers[String(headers[':path'])](stream, headers, Buffer.concat(chunks)));
  });
  return new Promise((resolve) => server.listen(socketPath, resolve));
}

function stop(): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Close idle client sessions so close() returns.
    for (const s of sessions) s.destroy();
  });
}
const sessions = new Set<http2.ServerHttp2Session>();

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-grpc-'));
  socketPath = path.join(dir, 'grpc.sock');
  await listen();
  server.on('session', (s) => sessions.add(s));
});
after(async () => {
  await stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function rejectsWith(p: Promise<unknown>, code: GrpcCode, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isGrpcError(e), `not a GrpcError: ${e}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('gRPC client', () => {
  it('makes a unary call with gRPC request headers and a deadline', async () => {
    const c = new GrpcClient({ socketPath });
    const res = await c.unary('/t.S/Echo', Buffer.from('ping'), { timeoutMs: 1500 });
    assert.equal(Buffer.from(res).toString(), 'ping');
    const h = seenHeaders.at(-1)!;
    assert.equal(h['content-type'], 'application/grpc');
    assert.equal(h.te, 'trailers');
    assert.equal(h[':method'], 'POST');
    assert.equal(h['grpc-timeout'], '1500m');
    await c.close();
  });

  it('multiplexes concurrent calls on one connection', async () => {
    const c = new GrpcClient({ socketPath });
    const before = sessions.size;
    const out = await Promise.all(Array.from({ length: 20 }, (_, i) => c.unary('/t.S/Echo', Buffer.from(`m${i}`))));
    assert.deepEqual(out.map((b) => Buffer.from(b).toString()), Array.from({ length: 20 }, (_, i) => `m${i}`));
    assert.equal(sessions.size, before + 1);
    await c.close();
  });

  it('turns status trailers, trailers-only responses and HTTP errors into coded errors', async () => {
    const c = new GrpcClient({ socketPath });
    await rejectsWith(c.unary('/t.S/NotFound', Buffer.alloc(0)), 'NOT_FOUND', /container "abc" not found/);
    await rejectsWith(c.unary('/t.S/TrailersOnly', Buffer.alloc(0)), 'UNIMPLEMENTED', /unknown method/);
    await rejectsWith(c.unary('/t.S/Http503', Buffer.alloc(0)), 'UNAVAILABLE');
    await rejectsWith(c.unary('/t.S/Html', Buffer.alloc(0)), 'UNKNOWN', /content-type/);
    await rejectsWith(c.unary('/t.S/Reset', Buffer.alloc(0)), 'UNAVAILABLE');
    await rejectsWith(c.unary('/t.S/Two', Buffer.alloc(0)), 'INTERNAL', /one response message/);
    await rejectsWith(c.unary('/t.S/None', Buffer.alloc(0)), 'INTERNAL');
    await rejectsWith(c.unary('/t.S/Compressed', Buffer.alloc(0)), 'INTERNAL', /compressed/);
    const small = new GrpcClient({ socketPath, maxMessageBytes: 1024 });
    await rejectsWith(small.unary('/t.S/Big', Buffer.alloc(0)), 'RESOURCE_EXHAUSTED');
    // The connection survives failed calls.
    assert.equal(Buffer.from(await c.unary('/t.S/Echo', Buffer.from('ok'))).toString(), 'ok');
    await Promise.all([c.close(), small.close()]);
  });

  it('reassembles a message split across DATA frames', async () => {
    const c = new GrpcClient({ socketPath });
    assert.equal(Buffer.from(await c.unary('/t.S/Split', Buffer.alloc(0))).toString(), 'hello world');
    await c.close();
  });

  it('fails a call at its deadline and on abort, and resets the stream', async () => {
    const c = new GrpcClient({ socketPath });
    const t0 = Date.now();
    await rejectsWith(c.unary('/t.S/Silent', Buffer.alloc(0), { timeoutMs: 100 }), 'DEADLINE_EXCEEDED');
    assert.ok(Date.now() - t0 < 1000);
    const ac = new AbortController();
    const p = c.unary('/t.S/Silent', Buffer.alloc(0), { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await rejectsWith(p, 'CANCELLED');
    await rejectsWith(c.unary('/t.S/Echo', Buffer.alloc(0), { signal: AbortSignal.abort() }), 'CANCELLED');
    await c.close();
  });

  it('streams messages from a server-streaming call and cancels one', async () => {
    const c = new GrpcClient({ socketPath });
    const got: string[] = [];
    for await (const m of c.serverStream('/t.S/Stream', Buffer.alloc(0))) got.push(Buffer.from(m).toString());
    assert.deepEqual(got, ['m0', 'm1', 'm2']);
    const s = c.serverStream('/t.S/Forever', Buffer.alloc(0));
    let n = 0;
    for await (const m of s) {
      assert.equal(Buffer.from(m).toString(), 'tick');
      if (++n === 3) s.cancel();
    }
    assert.ok(n >= 3);
    await c.close();
  });

  it('reports UNAVAILABLE with no server, and reconnects once it is back', async () => {
    const c = new GrpcClient({ socketPath });
    assert.equal(Buffer.from(await c.unary('/t.S/Echo', Buffer.from('1'))).toString(), '1');
    await stop();
    await rejectsWith(c.unary('/t.S/Echo', Buffer.from('2')), 'UNAVAILABLE');
    const missing = new GrpcClient({ socketPath: path.join(dir, 'nope.sock') });
    await rejectsWith(missing.unary('/t.S/Echo', Buffer.alloc(0)), 'UNAVAILABLE', /nope\.sock/);
    await listen();
    server.on('session', (s) => sessions.add(s));
    assert.equal(Buffer.from(await c.unary('/t.S/Echo', Buffer.from('3'))).toString(), '3');
    await c.close();
    await rejectsWith(c.unary('/t.S/Echo', Buffer.alloc(0)), 'UNAVAILABLE', /closed/);
  });

  it('writes grpc-timeout within eight digits', () => {
    assert.equal(grpcTimeout(250), '250m');
    assert.equal(grpcTimeout(99_999_999), '99999999m');
    assert.equal(grpcTimeout(100_000_000), '100000S');
    assert.equal(grpcTimeout(1e12), '277778H');
    assert.equal(grpcTimeout(1e20), '99999999H');
  });

  it('frame reader splits and joins messages', () => {
    const r = new FrameReader(100);
    const two = Buffer.concat([frameMessage(Buffer.from('ab')), frameMessage(Buffer.from(''))]);
    assert.deepEqual(r.push(two.subarray(0, 4)), []);
    assert.deepEqual(r.push(two.subarray(4)).map((m) => Buffer.from(m).toString()), ['ab', '']);
    assert.equal(r.pending, 0);
  });
});

describe('GrpcClient over TCP (h2c) with a bidirectional call', () => {
  it('sends while reading, and finishes when both sides end', async () => {
    const tcp = http2.createServer();
    tcp.on('stream', (s) => {
      // Answers each message as it arrives (uppercased), so the client must read while the request is open.
      s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
      const reader = new FrameReader(1024);
      s.on('data', (c: Buffer) => {
        for (const m of reader.push(c)) s.write(frameMessage(Buffer.from(Buffer.from(m).toString().toUpperCase())));
      });
      s.on('end', () => s.end());
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const port = (tcp.address() as import('node:net').AddressInfo).port;
    const c = new GrpcClient({ url: `http://127.0.0.1:${port}` });
    try {
      assert.throws(() => new GrpcClient({}), /exactly one/);
      const call = c.bidiStream('/t.B/Chat');
      const it = call[Symbol.asyncIterator]();
      call.send(Buffer.from('a'));
      assert.equal(Buffer.from((await it.next()).value!).toString(), 'A');
      call.send(Buffer.from('bc'));
      assert.equal(Buffer.from((await it.next()).value!).toString(), 'BC');
      call.end();
      assert.equal((await it.next()).done, true);
      // A cancelled call ends its iterator without an error.
      const cancelled = c.bidiStream('/t.B/Chat');
      cancelled.cancel();
      for await (const _ of cancelled) assert.fail('no messages after cancel');
    } finally {
      await c.close();
      await new Promise<void>((r) => tcp.close(() => r()));
    }
  });
});
