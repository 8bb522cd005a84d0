/**
 * Reads the facts we need out of an X.509 certificate: raw subject (to copy
 * as a child's issuer), key identifiers, SANs, usages and validity.
 * Node's X509Certificate covers signatures and chains; this covers the
 * fields it only offers as display strings.
 */
import { Tag } from './der.ts';
import {
  children,
  decodeBitString,
  decodeBoolean,
  decodeInteger,
  decodeOid,
  decodeTime,
  expectTag,
  parseDer,
  type DerNode,
} from './der-reader.ts';
import { PkiError } from './errors.ts';
import { bytesToIp } from './ip.ts';
import { OID } from './oids.ts';
import { firstPemBlock } from './pem.ts';

export interface Extension {
  oid: string;
  critical: boolean;
  /** The extnValue OCTET STRING contents: the extension's own DER. */
  value: Buffer;
}

export interface CertificateInfo {
  der: Buffer;
  /** 1, 2 or 3. */
  version: number;
  serial: bigint;
  /** Signature algorithm OID inside tbsCertificate. */
  tbsSignatureAlgorithm: string;
  /** Signature algorithm OID outside tbsCertificate; Go requires the two to match. */
  signatureAlgorithm: string;
  issuerRaw: Buffer;
  subjectRaw: Buffer;
  subject: { commonName?: string; organizations: string[] };
  notBefore: Date;
  notAfter: Date;
  /** SubjectPublicKeyInfo DER. */
  spki: Buffer;
  /** The subjectPublicKey BIT STRING contents (an EC point), which key identifiers hash. */
  publicKeyBits: Buffer;
  extensions: Extension[];
  basicConstraints?: { ca: boolean; pathLen?: number };
  /** keyUsage bit numbers that are set (see KeyUsageBit). */
  keyUsage?: number[];
  extKeyUsage?: string[];
  subjectKeyId?: Buffer;
  authorityKeyId?: Buffer;
  dnsNames: string[];
  /** Canonical text form (see ip.ts). */
  ipAddresses: string[];
}

function malformed(message: string): never {
  throw new PkiError('MALFORMED', `certificate: ${message}`);
}

function decodeString(node: DerNode): string {
  return node.tag === Tag.UTF8_STRING ? node.content.toString('utf8') : node.content.toString('latin1');
}

function readName(name: DerNode): CertificateInfo['subject'] {
  const out: CertificateInfo['subject'] = { organizations: [] };
  for (const rdn of children(expectTag(name, Tag.SEQUENCE, 'Name'))) {
    for (const atv of children(expectTag(rdn, Tag.SET, 'RelativeDistinguishedName'))) {
      const [type, value] = children(expectTag(atv, Tag.SEQUENCE, 'AttributeTypeAndValue'));
      const oid = decodeOid(expectTag(type, Tag.OID, 'attribute type'));
      if (!value) malformed('attribute without a value');
      if (oid === OID.commonName) out.commonName = decodeString(value);
      else if (oid === OID.organization) out.organizations.push(decodeString(value));
    }
  }
  return out;
}

function applyExtension(info: CertificateInfo, ext: Extension): void {
  const v = parseDer(ext.value);
  switch (ext.oid) {
    case OID.basicConstraints: {
      const [a, b] = children(expectTag(v, Tag.SEQUENCE, 'basicConstraints'));
      let ca = false;
      let pathNode = b;
      if (a?.tag === Tag.BOOLEAN) ca = decodeBoolean(a);
      else pathNode = a;
      info.basicConstraints = { ca };
      if (pathNode) info.basicConstraints.pathLen = Number(decodeInteger(pathNode));
      break;
    }
    case OID.keyUsage: {
      const { bytes, unusedBits } = decodeBitString(v);
      const bits: number[] = [];
      for (let i = 0; i < bytes.length * 8 - unusedBits; i++) if (bytes[i >> 3]! & (0x80 >> (i & 7))) bits.push(i);
      info.keyUsage = bits;
      break;
    }
    case OID.extKeyUsage:
      info.extKeyUsage = children(expectTag(v, Tag.SEQUENCE, 'extKeyUsage')).map(decodeOid);
      break;
    case OID.subjectKeyIdentifier:
      info.subjectKeyId = Buffer.from(expectTag(v, Tag.OCTET_STRING, 'subjectKeyIdentifier').content);
      break;
    case OID.authorityKeyIdentifier: {
      const keyId = children(expectTag(v, Tag.SEQUENCE, 'authorityKeyIdentifier')).find((n) => n.tag === 0x80);
      if (keyId) info.authorityKeyId = Buffer.from(keyId.content);
      break;
    }
    case OID.subjectAltName:
      for (const gn of children(expectTag(v, Tag.SEQUENCE, 'subjectAltName'))) {
        if (gn.tag === 0x82) info.dnsNames.push(gn.content.toString('latin1'));
        else if (gn.tag === 0x87) {
          if (gn.content.length !== 4 && gn.content.length !== 16) malformed('iPAddress SAN of wrong length');
          info.ipAddresses.push(bytesToIp(gn.content));
        }
      }
      break;
  }
}

/** Parses the first certificate of a PEM text, or DER bytes. Faults are `PkiError('MALFORMED')`. */
export function inspectCertificate(cert: string | Uint8Array): CertificateInfo {
  const der = typeof cert === 'string' ? firstPemBlock(cert, 'CERTIFICATE') : Buffer.from(cert);
  const [tbs, sigAlg, sig] = children(expectTag(parseDer(der), Tag.SEQUENCE, 'Certificate'));
  expectTag(sig, Tag.BIT_STRING, 'signatureValue');
  const fields = children(expectTag(tbs, Tag.SEQUENCE, 'tbsCertificate'));
  let i = 0;
  let version = 1;
  if (fields[0]?.tag === 0xa0) {
    version = Number(decodeInteger(children(fields[0])[0]!)) + 1;
    i++;
  }
  const serial = decodeInteger(fields[i++]!);
  const tbsSig = decodeOid(children(expectTag(fields[i++], Tag.SEQUENCE, 'signature'))[0]!);
  const issuer = expectTag(fields[i++], Tag.SEQUENCE, 'issuer');
  const [nb, na] = children(expectTag(fields[i++], Tag.SEQUENCE, 'validity'));
  const subject = expectTag(fields[i++], Tag.SEQUENCE, 'subject');
  const spki = expectTag(fields[i++], Tag.SEQUENCE, 'subjectPublicKeyInfo');
  const spkiParts = children(spki);
  const info: CertificateInfo = {
    der,
    version,
    serial,
    tbsSignatureAlgorithm: tbsSig,
    signatureAlgorithm: decodeOid(children(expectTag(sigAlg, Tag.SEQUENCE, 'signatureAlgorithm'))[0]!),
    issuerRaw: Buffer.from(issuer.raw),
    subjectRaw: Buffer.from(subject.raw),
    subject: readName(subject),
    notBefore: decodeTime(nb ?? malformed('missing notBefore')),
    notAfter: decodeTime(na ?? malformed('missing notAfter')),
    spki: Buffer.from(spki.raw),
    publicKeyBits: Buffer.from(decodeBitString(expectTag(spkiParts[1], Tag.BIT_STRING, 'subjectPublicKey')).bytes),
    extensions: [],
    dnsNames: [],
    ipAddresses: [],
  };
  for (; i < fields.length; i++) {
    if (fields[i]!.tag !== 0xa3) continue; // issuerUniqueID / subjectUniqueID
    for (const e of children(expectTag(children(fields[i]!)[0], Tag.SEQUENCE, 'extensions'))) {
      const parts = children(expectTag(e, Tag.SEQUENCE, 'Extension'));
      const critical = parts.length === 3 ? decodeBoolean(parts[1]!) : false;
      const ext = { oid: decodeOid(parts[0]!), critical, value: Buffer.from(expectTag(parts[parts.length - 1], Tag.OCTET_STRING, 'extnValue').content) };
      info.extensions.push(ext);
      applyExtension(info, ext);
    }
  }
  return info;
}
