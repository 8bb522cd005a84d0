/**
 * Node credentials: a joining agent presents the join secret, its node name,
 * its own public key and a node password; it gets back a client certificate
 * for `system:node:<name>` in group `system:nodes`, signed by the client CA.
 * Its private key never leaves the board.
 *
 * The node password (as k3s's) stops another holder of the join token from
 * taking over an existing node's name: the first registration records a
 * hash of it in a Secret, later ones must present the same password.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { errors, isApiError } from '../../api/errors.ts';
import { resources, type Client } from '../../client/types.ts';
import { issueCertificate, type CertKeyPair } from '../pki/x509.ts';
import { secretsEqual } from './token.ts';

export interface CredentialRequest {
  nodeName: string;
  publicKeyPem: string;
  nodePassword: string;
}

export interface NodeCredential {
  certPem: string;
  /** The CA that signed the API server's certificate (to verify the server). */
  serverCaPem: string;
  /** The CA of client certificates (agents accept the API server's client certificate by it). */
  clientCaPem: string;
}

export interface CredentialIssuerDeps {
  clientCA: CertKeyPair;
  serverCaPem: string;
  /** A client allowed to read and write Secrets in kube-system. */
  client: Client;
  validityDays?: number;
}

const nameRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const hashOf = (password: string) => createHash('sha256').update(password).digest('hex');

export function passwordSecretName(nodeName: string): string {
  return `${nodeName}.node-password.bramble`;
}

export function checkCredentialRequest(body: unknown): CredentialRequest {
  const b = (body ?? {}) as Partial<CredentialRequest>;
  if (typeof b.nodeName !== 'string' || b.nodeName.length > 253 || !nameRe.test(b.nodeName)) {
    throw errors.badRequest('nodeName must be a lowercase RFC 1123 subdomain');
  }
  if (typeof b.nodePassword !== 'string' || b.nodePassword.length < 16) throw errors.badRequest('nodePassword must be at least 16 characters');
  if (typeof b.publicKeyPem !== 'string') throw errors.badRequest('publicKeyPem is required');
  try {
    createPublicKey(b.publicKeyPem);
  } catch {
    throw errors.badRequest('publicKeyPem is not a valid public key');
  }
  return { nodeName: b.nodeName, publicKeyPem: b.publicKeyPem, nodePassword: b.nodePassword };
}

/** Records or checks the node's password, then certifies its key. */
export async function issueNodeCredential(deps: CredentialIssuerDeps, req: CredentialRequest): Promise<NodeCredential> {
  const name = passwordSecretName(req.nodeName);
  const hash = hashOf(req.nodePassword);
  try {
    const secret = await deps.client.get(resources.secrets, 'kube-system', name);
    const stored = Buffer.from(secret['data']?.hash ?? '', 'base64').toString('utf8');
    if (!secretsEqual(stored, hash)) {
      throw errors.forbidden({ group: '', resource: 'nodes' }, req.nodeName, 'node password does not match: another board already registered this node name');
    }
  } catch (e) {
    if (!isApiError(e, 'NotFound')) throw e;
    await deps.client.create(resources.secrets, 'kube-system', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, labels: { 'bramble.io/node-password': 'true' } },
      type: 'bramble.io/node-password',
      data: { hash: Buffer.from(hash).toString('base64') },
    });
  }
  const { certPem } = issueCertificate(deps.clientCA, {
    commonName: `system:node:${req.nodeName}`,
    organizations: ['system:nodes'],
    usage: 'client',
    validityDays: deps.validityDays ?? 365,
    publicKey: req.publicKeyPem,
  });
  return { certPem, serverCaPem: deps.serverCaPem, clientCaPem: deps.clientCA.certPem };
}
