/**
 * The CA hash in a k3s-style join token, `K10<hash>::<credentials>`: a
 * joining node downloads the CA bundle without verification, hashes it and
 * compares before it sends any secret.
 *
 * Matches k3s (pkg/clientaccess/token.go, hashCA): a bundle holding one
 * certificate is hashed as the literal file bytes (so `sha256sum
 * server-ca.crt` gives the same answer); a bundle of several is hashed as the
 * DER of the root that the first certificate chains to, so a renewed
 * intermediate keeps the token valid. If no chain can be built, k3s falls
 * back to the literal bytes, and so do we.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { PkiError } from './errors.ts';
import { inspectCertificate } from './cert-info.ts';
import { pemBlocks } from './pem.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function isRoot(der: Buffer): boolean {
  const info = inspectCertificate(der);
  return !info.authorityKeyId || (info.subjectKeyId !== undefined && info.authorityKeyId.equals(info.subjectKeyId));
}

function validNow(c: X509Certificate, now: number): boolean {
  return c.validFromDate.getTime() <= now && now <= c.validToDate.getTime();
}

/** The root DER the first certificate chains to within the bundle, or undefined. */
function chainRoot(ders: Buffer[]): Buffer | undefined {
  const now = Date.now();
  const certs = ders.map((d) => new X509Certificate(d));
  let current = certs[0]!;
  if (!validNow(current, now)) return undefined;
  // Each step must move to a different certificate; a bundle of n certs allows at most n-1 steps.
  for (let step = 0; step < certs.length - 1; step++) {
    const i = certs.findIndex((c, j) => j > 0 && c !== current && validNow(c, now) && current.checkIssued(c) && current.verify(c.publicKey));
    if (i < 0) return undefined;
    if (isRoot(ders[i]!)) return ders[i];
    current = certs[i]!;
  }
  return undefined;
}

/** Lower-case hex SHA-256 of a CA bundle, as k3s puts in `K10…` tokens. */
export function caCertHash(caPem: string | Uint8Array): string {
  const bytes = typeof caPem === 'string' ? Buffer.from(caPem, 'utf8') : Buffer.from(caPem);
  const ders = pemBlocks(bytes.toString('latin1'), 'CERTIFICATE');
  if (ders.length === 0) throw new PkiError('MALFORMED', 'CA bundle holds no certificate');
  if (ders.length > 1) {
    const root = chainRoot(ders);
    if (root) return sha256(root);
  }
  return sha256(bytes);
}
