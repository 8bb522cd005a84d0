/** PEM armour (RFC 7468) for certificates and keys. */
import { PkiError } from './errors.ts';

/** Wraps DER in `-----BEGIN <label>-----` lines of 64 base64 characters, ending in a newline. */
export function derToPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Every `label` block in `text`, decoded, in order; other blocks are ignored. */
export function pemBlocks(text: string, label: string): Buffer[] {
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
  const out: Buffer[] = [];
  for (const m of text.matchAll(re)) {
    if (m[1] !== m[3]) throw new PkiError('MALFORMED', `PEM block BEGIN ${m[1]} ends with END ${m[3]}`);
    if (m[1] !== label) continue;
    const body = m[2]!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) throw new PkiError('MALFORMED', `PEM ${label} block is not base64`);
    out.push(Buffer.from(body, 'base64'));
  }
  return out;
}

/** The first `label` block in `text` (a chain file starts with its leaf); a fault if there is none. */
export function firstPemBlock(text: string, label: string): Buffer {
  const blocks = pemBlocks(text, label);
  if (blocks.length === 0) throw new PkiError('MALFORMED', `no PEM ${label} block found`);
  return blocks[0]!;
}
