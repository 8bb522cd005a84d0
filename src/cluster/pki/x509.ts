/**
 * Certificate authorities and the certificates they issue: ECDSA P-256 keys,
 * ecdsa-with-SHA256 signatures, X.509 v3 with the extensions Go's
 * crypto/x509 (kubectl, etcd, containerd) and OpenSSL (Node) expect.
 *
 * Callers: ensureServerPKI for the server's own CAs and certificates; later,
 * the join flow to certify a public key an agent sends (`publicKey`).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { inspectCertificate, type CertificateInfo } from './cert-info.ts';
import { bitString, explicit, integer, oid, sequence, set, time, utf8String } from './der.ts';
import { children, decodeBitString, parseDer } from './der-reader.ts';
import { PkiError } from './errors.ts';
import {
  authorityKeyIdentifier,
  basicConstraints,
  extensionsField,
  extKeyUsage,
  keyIdentifier,
  keyUsage,
  subjectAltName,
  subjectKeyIdentifier,
} from './extensions.ts';
import { ipToBytes } from './ip.ts';
import { KeyUsageBit, OID } from './oids.ts';
import { derToPem } from './pem.ts';

/** A PEM certificate and its PEM (PKCS#8) private key. */
export interface CertKeyPair {
  certPem: string;
  keyPem: string;
}

export type CertificateUsage = 'server' | 'client' | 'server+client';

export interface CARequest {
  commonName: string;
  validityDays: number;
}

export interface CertificateRequest {
  commonName: string;
  /** Subject O values; Kubernetes reads these as the user's groups. */
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: CertificateUsage;
  /** Capped at the CA's own expiry: a certificate outliving its issuer fails to verify anyway. */
  validityDays: number;
  /** Certify this key instead of generating one; the result then has no keyPem. */
  publicKey?: KeyObject | string;
}

/** notBefore is set this far in the past so a peer whose clock lags a little still accepts a fresh certificate. */
export const CLOCK_SKEW_MS = 60 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

function invalid(message: string): never {
  throw new PkiError('INVALID_ARGUMENT', message);
}

/** A fresh ECDSA P-256 key pair. */
export function generateKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/** 128 random bits, never zero; der.integer() keeps it positive with a leading 0x00 when needed. */
function randomSerial(): Buffer {
  for (;;) {
    const b = randomBytes(16);
    if (b.some((x) => x !== 0)) return b;
  }
}

/** Subject: one RDN per O, then CN, the order Go and OpenSSL print (`O=system:masters, CN=system:admin`). */
function encodeName(commonName: string, organizations: string[]): Buffer {
  const rdn = (type: string, value: string) => set(sequence(oid(type), utf8String(value)));
  return sequence(...organizations.map((o) => rdn(OID.organization, o)), rdn(OID.commonName, commonName));
}

/** ecdsa-with-SHA256 with parameters absent, as RFC 5758 3.2 requires. */
const signatureAlgorithm = () => sequence(oid(OID.ecdsaWithSHA256));

function spkiOf(publicKey: KeyObject): { spki: Buffer; keyId: Buffer } {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const bits = decodeBitString(children(parseDer(spki))[1]!).bytes;
  return { spki, keyId: keyIdentifier(bits) };
}

interface TbsInput {
  issuer: Buffer;
  subject: Buffer;
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  extensions: Buffer[];
  signingKey: KeyObject;
}

function buildCertificate(t: TbsInput): string {
  const tbs = sequence(
    explicit(0, integer(2)), // v3
    integer(randomSerial()),
    signatureAlgorithm(),
    t.issuer,
    sequence(time(t.notBefore), time(t.notAfter)),
    t.subject,
    t.spki,
    extensionsField(t.extensions),
  );
  const signature = sign('sha256', tbs, t.signingKey); // DER ECDSA-Sig-Value
  return derToPem(sequence(tbs, signatureAlgorithm(), bitString(signature)), 'CERTIFICATE');
}

function checkValidity(days: number): void {
  if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0) invalid(`validityDays must be a positive number, got ${days}`);
}

function checkText(value: string, what: string): void {
  if (typeof value !== 'string' || value.trim() === '' || !value.isWellFormed()) invalid(`${what} must be a non-empty string`);
}

/** Whole seconds: certificate times have no fractions, and comparisons should see what the certificate holds. */
function seconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

/** A self-signed CA certificate with a new P-256 key. */
export function createCA(req: CARequest): CertKeyPair {
  checkText(req.commonName, 'commonName');
  checkValidity(req.validityDays);
  const { privateKey, publicKey } = generateKeyPair();
  const { spki, keyId } = spkiOf(publicKey);
  const subject = encodeName(req.commonName, []);
  const now = Date.now();
  const certPem = buildCertificate({
    issuer: subject,
    subject,
    notBefore: seconds(now - CLOCK_SKEW_MS),
    notAfter: seconds(now + req.validityDays * DAY_MS),
    spki,
    // No authorityKeyIdentifier: RFC 5280 lets a self-signed root omit it, and Go's own CreateCertificate does.
    extensions: [keyUsage(true), basicConstraints(true), subjectKeyIdentifier(keyId)],
    signingKey: privateKey,
  });
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

const HOSTNAME = /^(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*$/;

/** Whether `name` may go in a dNSName SAN: ASCII labels, an optional leading `*.`, no trailing dot. */
export function isValidDnsName(name: string): boolean {
  return typeof name === 'string' && name.length <= 253 && HOSTNAME.test(name);
}

/** Validated, de-duplicated SANs: DNS names compare case-insensitively, IPs by value. */
function sanLists(dnsNames: string[], ipAddresses: string[]): { dns: string[]; ips: Buffer[] } {
  const dns = new Map<string, string>();
  for (const d of dnsNames) {
    if (!isValidDnsName(d)) invalid(`invalid DNS name ${JSON.stringify(d)}`);
    if (!dns.has(d.toLowerCase())) dns.set(d.toLowerCase(), d);
  }
  const ips = new Map<string, Buffer>();
  for (const ip of ipAddresses) {
    const b = typeof ip === 'string' ? ipToBytes(ip) : undefined;
    if (!b) invalid(`invalid IP address ${JSON.stringify(ip)}`);
    ips.set(b.toString('hex'), b);
  }
  return { dns: [...dns.values()], ips: [...ips.values()] };
}

interface LoadedCA {
  info: CertificateInfo;
  key: KeyObject;
}

function loadCA(ca: CertKeyPair): LoadedCA {
  let x509: X509Certificate;
  let info: CertificateInfo;
  let key: KeyObject;
  try {
    x509 = new X509Certificate(ca.certPem);
    info = inspectCertificate(ca.certPem);
    key = createPrivateKey(ca.keyPem);
  } catch (e) {
    throw new PkiError('INVALID_CA', `CA certificate or key does not parse: ${(e as Error).message}`, { cause: e });
  }
  if (!info.basicConstraints?.ca) throw new PkiError('INVALID_CA', 'certificate is not a CA (basicConstraints cA is not set)');
  if (info.keyUsage && !info.keyUsage.includes(KeyUsageBit.keyCertSign)) throw new PkiError('INVALID_CA', 'CA keyUsage lacks keyCertSign');
  if (!isP256(key)) throw new PkiError('INVALID_CA', 'CA key is not ECDSA P-256');
  if (!x509.checkPrivateKey(key)) throw new PkiError('INVALID_CA', 'CA key does not match the CA certificate');
  if (info.notAfter.getTime() <= Date.now()) throw new PkiError('INVALID_CA', `CA certificate expired at ${info.notAfter.toISOString()}`);
  return { info, key };
}

/** Throws `PkiError('INVALID_CA')` unless `ca` can sign now: a CA certificate, unexpired, with its matching P-256 key. */
export function assertUsableCA(ca: CertKeyPair): void {
  loadCA(ca);
}

function subjectKey(req: CertificateRequest): { publicKey: KeyObject; privateKey?: KeyObject } {
  if (req.publicKey === undefined) return generateKeyPair();
  let publicKey: KeyObject;
  try {
    const k = req.publicKey;
    publicKey = typeof k !== 'string' && k.type === 'public' ? k : createPublicKey(k);
  } catch (e) {
    throw new PkiError('INVALID_ARGUMENT', `publicKey does not parse: ${(e as Error).message}`, { cause: e });
  }
  if (!isP256(publicKey)) invalid('publicKey must be an ECDSA P-256 key');
  return { publicKey };
}

/** extKeyUsage OIDs for each usage. */
export const usagePurposes: Record<CertificateUsage, readonly string[]> = {
  server: [OID.serverAuth],
  client: [OID.clientAuth],
  'server+client': [OID.serverAuth, OID.clientAuth],
};

/** Issues a leaf certificate signed by `ca`, certifying `req.publicKey` when given (no keyPem is returned then). */
export function issueCertificate(ca: CertKeyPair, req: CertificateRequest & { publicKey: KeyObject | string }): { certPem: string };
export function issueCertificate(ca: CertKeyPair, req: CertificateRequest): CertKeyPair;
export function issueCertificate(ca: CertKeyPair, req: CertificateRequest): { certPem: string; keyPem?: string } {
  checkText(req.commonName, 'commonName');
  for (const o of req.organizations ?? []) checkText(o, 'organization');
  checkValidity(req.validityDays);
  const purposes = usagePurposes[req.usage];
  if (!purposes) invalid(`usage must be server, client or server+client, got ${JSON.stringify(req.usage)}`);
  const { dns, ips } = sanLists(req.dnsNames ?? [], req.ipAddresses ?? []);
  const issuer = loadCA(ca);
  const { publicKey, privateKey } = subjectKey(req);
  const { spki, keyId } = spkiOf(publicKey);

  const now = Date.now();
  const notBefore = Math.max(now - CLOCK_SKEW_MS, issuer.info.notBefore.getTime());
  const notAfter = Math.min(now + req.validityDays * DAY_MS, issuer.info.notAfter.getTime());
  const extensions = [
    keyUsage(false),
    extKeyUsage([...purposes]),
    basicConstraints(false),
    subjectKeyIdentifier(keyId),
    authorityKeyIdentifier(issuer.info.subjectKeyId ?? keyIdentifier(issuer.info.publicKeyBits)),
  ];
  if (dns.length || ips.length) extensions.push(subjectAltName(dns, ips));
  const certPem = buildCertificate({
    // Byte-for-byte copy: Go and OpenSSL match issuer to subject by raw bytes when building chains.
    issuer: issuer.info.subjectRaw,
    subject: encodeName(req.commonName, req.organizations ?? []),
    notBefore: seconds(notBefore),
    notAfter: seconds(notAfter),
    spki,
    extensions,
    signingKey: issuer.key,
  });
  if (!privateKey) return { certPem };
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}
