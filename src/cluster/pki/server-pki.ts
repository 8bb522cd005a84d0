/**
 * The server's TLS material under `<dataDir>/server/tls/`, laid out like
 * k3s: two CAs (one signs serving certificates, one signs client
 * certificates, so a client certificate can never pass as a server) and the
 * API server's serving and admin client certificates.
 *
 * Called by `bramble server` on every start. The CAs are made once and then
 * only read: regenerating one would break every node and kubeconfig that
 * trusts it. Leaves are re-issued from the same CA when they no longer fit
 * (missing SAN, close to expiry, wrong CA, key mismatch), as k3s does.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { logger } from '../../util/log.ts';
import { writeFileAtomic } from '../atomic-file.ts';
import { inspectCertificate } from './cert-info.ts';
import { PkiError } from './errors.ts';
import { canonicalIp } from './ip.ts';
import { assertUsableCA, createCA, isValidDnsName, issueCertificate, usagePurposes, type CertificateRequest, type CertKeyPair } from './x509.ts';

export { caCertHash } from './ca-hash.ts';

const log = logger('pki');

export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;
/** Leaves are renewed on start when they expire within this window (the k3s rule). */
export const RENEW_BEFORE_DAYS = 90;

/** Names every Kubernetes client may use for the API server, in or out of the cluster. */
export const DEFAULT_SERVING_DNS = [
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];
export const DEFAULT_SERVING_IPS = ['127.0.0.1', '::1'];

export interface ServerPKIOptions {
  /** Extra DNS names for the serving certificate; IP literals given here are treated as IPs (like `--tls-san`). */
  dnsNames: string[];
  ipAddresses: string[];
}

/** File base names (each has `.crt` and `.key`). */
export type PkiFile =
  | 'server-ca'
  | 'client-ca'
  | 'serving-kube-apiserver'
  | 'client-admin'
  | 'client-kube-apiserver'
  // etcd's own CA and leaves (HA servers only): etcd trusts nothing the Kubernetes CAs sign.
  | 'etcd-ca'
  | 'etcd-server'
  | 'etcd-peer'
  | 'etcd-client';

export interface ServerPKI {
  /** `<dataDir>/server/tls` */
  dir: string;
  serverCA: CertKeyPair;
  clientCA: CertKeyPair;
  serving: CertKeyPair;
  admin: CertKeyPair;
  /** The API server's client certificate towards agents (logs, exec, port-forward, stats), as k3s's client-kube-apiserver. */
  apiserverClient: CertKeyPair;
  /** What this call created or re-issued, in order; empty when everything was reused. */
  changed: PkiFile[];
}

/** Paths of one certificate and its key. */
export function pkiFilePaths(dataDir: string, name: PkiFile): { cert: string; key: string } {
  const dir = path.join(dataDir, 'server', 'tls');
  return { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Key first: an interrupted write then leaves a cert/key mismatch that the next start repairs. */
async function writePair(files: { cert: string; key: string }, pair: CertKeyPair): Promise<void> {
  await writeFileAtomic(files.key, pair.keyPem, 0o600);
  await writeFileAtomic(files.cert, pair.certPem, 0o600);
}

async function ensureMode(file: string, mode: number): Promise<void> {
  if (((await stat(file)).mode & 0o7777) !== mode) await chmod(file, mode);
}

async function ensureCA(dataDir: string, name: 'server-ca' | 'client-ca' | 'etcd-ca', changed: PkiFile[]): Promise<CertKeyPair> {
  const files = pkiFilePaths(dataDir, name);
  const [certPem, keyPem] = await Promise.all([readOptional(files.cert), readOptional(files.key)]);
  if (certPem !== undefined && keyPem === undefined) {
    throw new PkiError('CA_KEY_MISSING', `${files.cert} exists but ${files.key} does not; restore the key (or remove both to start a new cluster CA)`);
  }
  if (certPem !== undefined && keyPem !== undefined) {
    const pair = { certPem, keyPem };
    try {
      assertUsableCA(pair);
    } catch (e) {
      throw new PkiError('INVALID_CA', `${files.cert}: ${(e as Error).message}`, { cause: e });
    }
    const left = new X509Certificate(certPem).validToDate.getTime() - Date.now();
    if (left < 365 * 86_400_000) log.warn('CA certificate expires within a year; rotate it', { file: files.cert, days: Math.floor(left / 86_400_000) });
    return pair;
  }
  if (keyPem !== undefined) log.warn('found a CA key without its certificate (interrupted first start?); generating a new CA', { file: files.key });
  const pair = createCA({ commonName: `bramble-${name}@${Math.floor(Date.now() / 1000)}`, validityDays: CA_VALIDITY_DAYS });
  await writePair(files, pair);
  changed.push(name);
  log.info('generated CA', { file: files.cert });
  return pair;
}

type LeafSpec = Omit<CertificateRequest, 'publicKey'>;

/** Why an existing leaf must be re-issued, or undefined when it still fits. */
function reissueReason(pair: CertKeyPair, ca: CertKeyPair, want: LeafSpec): string | undefined {
  let cert: X509Certificate;
  let info: ReturnType<typeof inspectCertificate>;
  try {
    cert = new X509Certificate(pair.certPem);
    info = inspectCertificate(pair.certPem);
    if (!cert.checkPrivateKey(createPrivateKey(pair.keyPem))) return 'key does not match certificate';
  } catch {
    return 'unreadable certificate or key';
  }
  const caCert = new X509Certificate(ca.certPem);
  if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) return 'not signed by the current CA';
  if (info.notAfter.getTime() - Date.now() < RENEW_BEFORE_DAYS * 86_400_000) return `expires within ${RENEW_BEFORE_DAYS} days`;
  const orgs = want.organizations ?? [];
  if (info.subject.commonName !== want.commonName || info.subject.organizations.join('\n') !== orgs.join('\n')) return 'subject differs';
  if (!usagePurposes[want.usage].every((p) => info.extKeyUsage?.includes(p))) return 'extended key usage differs';
  const haveDns = new Set(info.dnsNames.map((d) => d.toLowerCase()));
  const haveIps = new Set(info.ipAddresses);
  const missing = [
    ...(want.dnsNames ?? []).filter((d) => !haveDns.has(d.toLowerCase())),
    ...(want.ipAddresses ?? []).filter((ip) => !haveIps.has(canonicalIp(ip)!)),
  ];
  if (missing.length) return `missing SAN ${missing.join(', ')}`;
  return undefined;
}

async function ensureLeaf(dataDir: string, name: PkiFile, ca: CertKeyPair, want: LeafSpec, changed: PkiFile[]): Promise<CertKeyPair> {
  const files = pkiFilePaths(dataDir, name);
  const [certPem, keyPem] = await Promise.all([readOptional(files.cert), readOptional(files.key)]);
  const why = certPem === undefined || keyPem === undefined ? 'missing' : reissueReason({ certPem, keyPem }, ca, want);
  if (!why) return { certPem: certPem!, keyPem: keyPem! };
  const pair = issueCertificate(ca, want);
  await writePair(files, pair);
  changed.push(name);
  log.info(why === 'missing' ? 'issued certificate' : 're-issued certificate', { file: files.cert, reason: why === 'missing' ? undefined : why });
  return pair;
}

/** Required serving SANs: defaults plus the caller's, IP literals moved to the IP list, canonical and de-duplicated. */
function servingSans(opts: ServerPKIOptions): { dnsNames: string[]; ipAddresses: string[] } {
  const dns = new Map<string, string>();
  const ips = new Set<string>();
  for (const ip of [...DEFAULT_SERVING_IPS, ...opts.ipAddresses]) {
    const c = canonicalIp(ip);
    if (!c) throw new PkiError('INVALID_ARGUMENT', `invalid IP address ${JSON.stringify(ip)}`);
    ips.add(c);
  }
  for (const name of [...DEFAULT_SERVING_DNS, ...opts.dnsNames]) {
    const c = canonicalIp(name);
    if (c) ips.add(c);
    else if (!isValidDnsName(name)) throw new PkiError('INVALID_ARGUMENT', `invalid DNS name ${JSON.stringify(name)}`);
    else if (!dns.has(name.toLowerCase())) dns.set(name.toLowerCase(), name);
  }
  return { dnsNames: [...dns.values()], ipAddresses: [...ips] };
}

/**
 * Creates the server PKI on first start and reuses it afterwards, repairing
 * leaves that no longer fit. Directory mode 0700, files 0600 (fixed if
 * someone loosened them), every write atomic.
 */
export async function ensureServerPKI(dataDir: string, opts: ServerPKIOptions): Promise<ServerPKI> {
  const sans = servingSans(opts); // validate before touching the disk
  const dir = path.join(dataDir, 'server', 'tls');
  await mkdir(path.join(dataDir, 'server'), { recursive: true, mode: 0o700 });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await ensureMode(dir, 0o700);
  const changed: PkiFile[] = [];
  const serverCA = await ensureCA(dataDir, 'server-ca', changed);
  const clientCA = await ensureCA(dataDir, 'client-ca', changed);
  const serving = await ensureLeaf(
    dataDir,
    'serving-kube-apiserver',
    serverCA,
    { commonName: 'kube-apiserver', usage: 'server', validityDays: LEAF_VALIDITY_DAYS, ...sans },
    changed,
  );
  const admin = await ensureLeaf(
    dataDir,
    'client-admin',
    clientCA,
    { commonName: 'system:admin', organizations: ['system:masters'], usage: 'client', validityDays: LEAF_VALIDITY_DAYS },
    changed,
  );
  const apiserverClient = await ensureLeaf(
    dataDir,
    'client-kube-apiserver',
    clientCA,
    { commonName: 'system:apiserver', organizations: ['system:masters'], usage: 'client', validityDays: LEAF_VALIDITY_DAYS },
    changed,
  );
  for (const name of ['server-ca', 'client-ca', 'serving-kube-apiserver', 'client-admin', 'client-kube-apiserver'] as const) {
    const files = pkiFilePaths(dataDir, name);
    await ensureMode(files.cert, 0o600);
    await ensureMode(files.key, 0o600);
  }
  return { dir, serverCA, clientCA, serving, admin, apiserverClient, changed };
}

export interface EtcdPKI {
  ca: CertKeyPair;
  /** etcd's client-facing serving certificate (loopback and the board's addresses). */
  server: CertKeyPair;
  /** Member-to-member: each member is both server and client of its peers. */
  peer: CertKeyPair;
  /** What the API server presents to etcd. */
  client: CertKeyPair;
  files: Record<'ca' | 'server' | 'peer' | 'client', { cert: string; key: string }>;
}

/**
 * The TLS material of a server's etcd member (HA), next to the API
 * server's: one etcd CA shared by every server of the cluster (it comes
 * with the bootstrap data when a server joins), and this member's own
 * leaves, re-issued like the others when they stop fitting.
 */
export async function ensureEtcdPKI(dataDir: string, opts: ServerPKIOptions): Promise<EtcdPKI> {
  const sans = servingSans(opts);
  await mkdir(path.join(dataDir, 'server', 'tls'), { recursive: true, mode: 0o700 });
  const changed: PkiFile[] = [];
  const ca = await ensureCA(dataDir, 'etcd-ca', changed);
  // Also a client certificate (k3s's etcd server-client): the process supervisor's readiness probe presents it.
  const server = await ensureLeaf(dataDir, 'etcd-server', ca, { commonName: 'etcd-server', usage: 'server+client', validityDays: LEAF_VALIDITY_DAYS, ...sans }, changed);
  const peer = await ensureLeaf(dataDir, 'etcd-peer', ca, { commonName: 'etcd-peer', usage: 'server+client', validityDays: LEAF_VALIDITY_DAYS, ...sans }, changed);
  const client = await ensureLeaf(dataDir, 'etcd-client', ca, { commonName: 'etcd-client', usage: 'client', validityDays: LEAF_VALIDITY_DAYS }, changed);
  for (const name of ['etcd-ca', 'etcd-server', 'etcd-peer', 'etcd-client'] as const) {
    const files = pkiFilePaths(dataDir, name);
    await ensureMode(files.cert, 0o600);
    await ensureMode(files.key, 0o600);
  }
  const files = {
    ca: pkiFilePaths(dataDir, 'etcd-ca'),
    server: pkiFilePaths(dataDir, 'etcd-server'),
    peer: pkiFilePaths(dataDir, 'etcd-peer'),
    client: pkiFilePaths(dataDir, 'etcd-client'),
  };
  return { ca, server, peer, client, files };
}

/** The CAs every server of one cluster shares; a joining server receives them (src/cluster/etcd/bootstrap.ts). */
export const SHARED_CAS = ['server-ca', 'client-ca', 'etcd-ca'] as const;
export type SharedCA = (typeof SHARED_CAS)[number];
