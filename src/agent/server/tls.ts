/**
 * The agent's serving certificate for its streaming port, self-signed as
 * the kubelet's own fallback is: a CA made on the board
 * (`<dataDir>/agent/serving-ca.crt`) issues `serving-kubelet.crt/.key` for
 * the node's names and addresses. The API server does not verify it (as
 * kube-apiserver without --kubelet-certificate-authority); what protects the
 * port is the other direction: only the cluster's client CA, and only the
 * API server's identity, gets in.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../cluster/atomic-file.ts';
import { createCA, issueCertificate, type CertKeyPair } from '../../cluster/pki/x509.ts';

export function agentServingFiles(dataDir: string) {
  const dir = path.join(dataDir, 'agent');
  return {
    dir,
    caCert: path.join(dir, 'serving-ca.crt'),
    caKey: path.join(dir, 'serving-ca.key'),
    cert: path.join(dir, 'serving-kubelet.crt'),
    key: path.join(dir, 'serving-kubelet.key'),
  };
}

async function read(f: string): Promise<string | undefined> {
  return fs.readFile(f, 'utf8').catch(() => undefined);
}

/** Reuses the stored certificate while it covers `names`/`ips` and has 30+ days left; otherwise issues a new one. */
export async function ensureAgentServingCert(dataDir: string, names: { dnsNames: string[]; ipAddresses: string[] }): Promise<CertKeyPair> {
  const f = agentServingFiles(dataDir);
  await fs.mkdir(f.dir, { recursive: true, mode: 0o700 });
  const [cert, key] = await Promise.all([read(f.cert), read(f.key)]);
  if (cert && key) {
    const x = new X509Certificate(cert);
    const san = x.subjectAltName ?? '';
    const covers = names.dnsNames.every((d) => san.includes(`DNS:${d}`)) && names.ipAddresses.every((i) => san.includes(`IP Address:${i}`));
    if (covers && Date.parse(x.validTo) - Date.now() > 30 * 86_400_000) return { certPem: cert, keyPem: key };
  }
  let ca: CertKeyPair;
  const [caCert, caKey] = await Promise.all([read(f.caCert), read(f.caKey)]);
  if (caCert && caKey) ca = { certPem: caCert, keyPem: caKey };
  else {
    ca = createCA({ commonName: `${names.dnsNames[0] ?? 'bramble-agent'}-ca`, validityDays: 3650 });
    await writeFileAtomic(f.caKey, ca.keyPem, 0o600);
    await writeFileAtomic(f.caCert, ca.certPem, 0o644);
  }
  const leaf = issueCertificate(ca, { commonName: names.dnsNames[0] ?? 'bramble-agent', dnsNames: names.dnsNames, ipAddresses: names.ipAddresses, usage: 'server', validityDays: 365 });
  await writeFileAtomic(f.key, leaf.keyPem, 0o600);
  await writeFileAtomic(f.cert, leaf.certPem, 0o644);
  return leaf;
}
