/**
 * Join tokens in the k3s format: `K10<sha256 hex of the server CA>::server:<secret>`.
 * The CA hash lets a joining node pin the server's CA before it sends the
 * secret anywhere; the secret proves the node may join. A bare secret is
 * accepted too (as k3s does), at the cost of trusting the first CA seen.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';

export interface JoinToken {
  /** Lower-case hex sha256 of the server CA certificate file, when the token pins one. */
  caHash?: string;
  /** The shared secret. */
  secret: string;
}

export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

export function formatToken(t: JoinToken): string {
  return t.caHash ? `K10${t.caHash}::server:${t.secret}` : t.secret;
}

export function parseToken(text: string): JoinToken {
  const s = text.trim();
  if (s === '') throw new TokenError('the token is empty');
  const m = /^K10([0-9a-f]{64})::([^:]+):(.+)$/.exec(s);
  if (m) return { caHash: m[1]!, secret: m[3]! };
  if (s.startsWith('K10')) throw new TokenError('malformed token: expected K10<64 hex characters>::<user>:<secret>');
  return { secret: s };
}

/** Constant-time comparison of two secrets. */
export function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface ServerToken {
  token: JoinToken;
  /** Where `node-token` was written. */
  file: string;
}

/**
 * The server's token: created on first start (or taken from `--token`),
 * kept in `<data-dir>/server/token` and `node-token` (mode 0600, as k3s).
 */
export async function ensureServerToken(dataDir: string, caHash: string, given?: string): Promise<ServerToken> {
  const dir = path.join(dataDir, 'server');
  const tokenFile = path.join(dir, 'token');
  const nodeTokenFile = path.join(dir, 'node-token');
  let secret: string;
  if (given) {
    const t = parseToken(given);
    if (t.caHash && t.caHash !== caHash) throw new TokenError('the --token names a different cluster CA than this server has');
    secret = t.secret;
  } else {
    try {
      secret = parseToken(await fs.readFile(tokenFile, 'utf8')).secret;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      secret = randomBytes(16).toString('hex');
    }
  }
  const text = formatToken({ caHash, secret }) + '\n';
  for (const file of [tokenFile, nodeTokenFile]) {
    const cur = await fs.readFile(file, 'utf8').catch(() => '');
    if (cur !== text) await writeFileAtomic(file, text, 0o600);
  }
  return { token: { caHash, secret }, file: nodeTokenFile };
}
