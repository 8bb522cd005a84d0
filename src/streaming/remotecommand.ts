/**
 * exec/attach ("remote command") streams, independent of the wire:
 *
 * - the user side, as kubectl speaks to us: WebSocket `v5.channel.k8s.io`
 *   (or v4) with one channel byte per message, or SPDY/3.1 with one stream
 *   per `streamtype` (error, stdin, stdout, stderr, resize);
 * - the runtime side: the CRI streaming server (containerd), dialled over
 *   SPDY so stdin can be half-closed (its WebSocket speaks only v4, which
 *   has no way to say "stdin ended").
 *
 * `bridgeCommand` joins the two: bytes both ways, resize messages, and the
 * runtime's Status JSON (exit code) forwarded on the error channel.
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { StreamError } from './errors.ts';
import { SpdySession, type SpdyStream } from './spdy.ts';
import { dialUpgrade, type DialOptions } from './upgrade.ts';
import type { WebSocket } from './websocket.ts';

export const CH_STDIN = 0;
export const CH_STDOUT = 1;
export const CH_STDERR = 2;
export const CH_ERROR = 3;
export const CH_RESIZE = 4;
export const CH_CLOSE = 255;

/** WebSocket subprotocols we accept for exec/attach, preferred first. */
export const WS_COMMAND_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
/** SPDY X-Stream-Protocol-Version values we accept (v4 carries the Status JSON on the error stream). */
export const SPDY_COMMAND_PROTOCOLS = ['v4.channel.k8s.io'] as const;

export interface CommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Reads the stream flags from an exec/attach query as the kubelet does (`true`/`1`). */
export function commandOptions(q: URLSearchParams): CommandOptions {
  const flag = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  const tty = flag('tty');
  return { stdin: flag('stdin'), stdout: flag('stdout'), stderr: flag('stderr') && !tty, tty };
}

/** The user side of a remote command. */
export interface UserSide {
  stdin: Readable | null;
  stdout: Writable | null;
  stderr: Writable | null;
  /** Raw resize JSON messages (`{"Width":…,"Height":…}`), concatenated. */
  resize: Readable | null;
  /** Writes the final Status JSON (or nothing) and closes the connection. */
  finish(status?: Buffer): void;
  /** Resolves when the user's connection is gone. */
  readonly gone: Promise<void>;
}

/** The runtime side of a remote command. */
export interface RuntimeSide {
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  resize: Writable | null;
  /** Carries the Status JSON when the command ends. */
  error: Readable;
  close(): void;
}

/** Serves a channel.k8s.io WebSocket (v4 or v5) as the user side. */
export function serveWebSocketCommand(ws: WebSocket, opts: CommandOptions): UserSide {
  const v5 = ws.protocol.startsWith('v5.');
  const stdin = opts.stdin ? new PassThrough() : null;
  const resize = opts.tty ? new PassThrough() : null;
  const out = (ch: number) => {
    const w = new PassThrough();
    w.on('data', (b: Buffer) => ws.send(Buffer.concat([Buffer.of(ch), b])));
    return w;
  };
  const stdout = opts.stdout ? out(CH_STDOUT) : null;
  const stderr = opts.stderr ? out(CH_STDERR) : null;
  ws.on('message', (data) => {
    if (data.length === 0) return;
    const ch = data[0]!;
    const payload = data.subarray(1);
    if (ch === CH_STDIN && stdin && !stdin.writableEnded) stdin.write(payload);
    else if (ch === CH_RESIZE && resize && !resize.writableEnded) resize.write(payload);
    else if (ch === CH_CLOSE && v5 && payload[0] === CH_STDIN) stdin?.end();
  });
  const gone = new Promise<void>((resolve) => ws.on('close', () => resolve()));
  void gone.then(() => {
    stdin?.end();
    resize?.end();
  });
  return {
    stdin,
    stdout,
    stderr,
    resize,
    gone,
    finish(status) {
      // Output written before the status must reach the socket first.
      setImmediate(() => {
        if (status && status.length > 0) ws.send(Buffer.concat([Buffer.of(CH_ERROR), status]));
        ws.close(1000);
      });
    },
  };
}

/**
 * Serves a SPDY session as the user side: waits (up to `timeoutMs`) for
 * the streams the options call for, replying to each.
 */
export function serveSpdyCommand(session: SpdySession, opts: CommandOptions, timeoutMs = 30_000): Promise<UserSide> {
  const want = new Set(['error', ...(opts.stdin ? ['stdin'] : []), ...(opts.stdout ? ['stdout'] : []), ...(opts.stderr ? ['stderr'] : []), ...(opts.tty ? ['resize'] : [])]);
  const got = new Map<string, SpdyStream>();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      session.destroy();
      reject(new StreamError('SpdyHandshake', `timed out waiting for streams ${[...want].filter((w) => !got.has(w)).join(', ')}`));
    }, timeoutMs);
    session.on('stream', (s) => {
      const type = s.headers['streamtype'] ?? '';
      s.on('error', () => {});
      if (!want.has(type) || got.has(type)) {
        s.destroy();
        return;
      }
      s.reply({});
      got.set(type, s);
      if (got.size < want.size) return;
      clearTimeout(timer);
      const error = got.get('error')!;
      const gone = new Promise<void>((r) => session.on('close', () => r()));
      resolve({
        stdin: got.get('stdin') ?? null,
        stdout: got.get('stdout') ?? null,
        stderr: got.get('stderr') ?? null,
        resize: got.get('resize') ?? null,
        gone,
        finish(status) {
          for (const k of ['stdout', 'stderr'] as const) got.get(k)?.end();
          if (status && status.length > 0) error.write(status);
          error.end(() => setTimeout(() => session.close(), 10));
        },
      });
    });
  });
}

/** Dials the runtime's streaming URL for an exec/attach over SPDY and opens the streams. */
export async function dialRuntimeCommand(url: string, opts: CommandOptions, extra: Partial<DialOptions> = {}): Promise<RuntimeSide> {
  const up = await dialUpgrade({
    ...extra,
    url: new URL(url),
    method: 'POST',
    headers: { Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': SPDY_COMMAND_PROTOCOLS.join(', ') },
  });
  const chosen = String(up.headers['x-stream-protocol-version'] ?? '');
  if (!SPDY_COMMAND_PROTOCOLS.includes(chosen as (typeof SPDY_COMMAND_PROTOCOLS)[number])) {
    up.socket.destroy();
    throw new StreamError('SpdyHandshake', `runtime chose stream protocol "${chosen}"`);
  }
  const session = new SpdySession(up.socket, 'client', up.head);
  session.on('error', () => {});
  const open = (type: string) => {
    const s = session.openStream({ streamtype: type });
    s.on('error', () => {});
    return s;
  };
  // The runtime expects the error stream first, as client-go opens it.
  const error = open('error');
  error.end();
  const stdin = opts.stdin ? open('stdin') : null;
  const stdout = opts.stdout ? open('stdout') : null;
  const stderr = opts.stderr ? open('stderr') : null;
  const resize = opts.tty ? open('resize') : null;
  await Promise.all([error, stdin, stdout, stderr, resize].filter((s) => s !== null).map((s) => s.replied));
  return { stdin, stdout, stderr, resize, error, close: () => session.close() };
}

/** Everything the stream carries until it ends or is torn down (runtimes may drop the connection right after the status). */
function collect(r: Readable): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = () => resolve(Buffer.concat(chunks));
    r.on('data', (c: Buffer) => chunks.push(c));
    r.once('end', done);
    r.once('close', done);
    r.on('error', () => {});
  });
}

function ended(r: Readable | null): Promise<void> {
  if (!r) return Promise.resolve();
  return new Promise((resolve) => {
    if (r.readableEnded || r.destroyed) return resolve();
    r.once('end', () => resolve());
    r.once('close', () => resolve());
  });
}

/** Joins the user and runtime sides until the command ends or the user leaves. */
export async function bridgeCommand(user: UserSide, rt: RuntimeSide): Promise<void> {
  if (user.stdin && rt.stdin) user.stdin.pipe(rt.stdin);
  if (user.resize && rt.resize) user.resize.pipe(rt.resize);
  if (rt.stdout && user.stdout) rt.stdout.pipe(user.stdout, { end: false });
  if (rt.stderr && user.stderr) rt.stderr.pipe(user.stderr, { end: false });
  // The user hanging up ends the command's streams (the runtime then stops the exec session).
  void user.gone.then(() => rt.close());
  const status = await collect(rt.error);
  await Promise.race([Promise.all([ended(rt.stdout), ended(rt.stderr)]), new Promise((r) => setTimeout(r, 2000))]);
  user.finish(status);
  rt.close();
}
