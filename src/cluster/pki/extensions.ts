/**
 * Builders for the X.509 v3 extensions we put in certificates (RFC 5280 4.2).
 * Each returns one `Extension ::= SEQUENCE { extnID, critical, extnValue }`.
 */
import { createHash } from 'node:crypto';
import { boolean, explicit, implicit, ia5String, integer, namedBits, octetString, oid, sequence } from './der.ts';
import { KeyUsageBit, OID } from './oids.ts';

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  // DER omits a DEFAULT FALSE, so a non-critical extension has no BOOLEAN at all.
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

/**
 * Key identifier: SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2,
 * method 1), what Go and OpenSSL compute, so identifiers line up with
 * certificates made by other tools for the same key.
 */
export function keyIdentifier(publicKeyBits: Uint8Array): Buffer {
  return createHash('sha1').update(publicKeyBits).digest();
}

/**
 * basicConstraints, always critical. A CA gets pathLenConstraint 0: our CAs
 * sign leaves directly, and a leaked leaf key must never mint a sub-CA.
 * A leaf is an empty SEQUENCE (cA defaults to FALSE).
 */
export function basicConstraints(ca: boolean): Buffer {
  return extension(OID.basicConstraints, true, ca ? sequence(boolean(true), integer(0)) : sequence());
}

/**
 * keyUsage, critical. For EC keys only signature bits make sense:
 * keyEncipherment is an RSA key-transport bit (RFC 8813 3 forbids it for EC).
 */
export function keyUsage(ca: boolean): Buffer {
  const bits: number[] = [KeyUsageBit.digitalSignature];
  if (ca) bits.push(KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign);
  return extension(OID.keyUsage, true, namedBits(bits));
}

export function extKeyUsage(purposes: string[]): Buffer {
  return extension(OID.extKeyUsage, false, sequence(...purposes.map(oid)));
}

export function subjectKeyIdentifier(keyId: Uint8Array): Buffer {
  return extension(OID.subjectKeyIdentifier, false, octetString(keyId));
}

/** `AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }`. */
export function authorityKeyIdentifier(keyId: Uint8Array): Buffer {
  return extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, octetString(keyId))));
}

/**
 * subjectAltName with dNSName [2] and iPAddress [7] entries. Non-critical:
 * every certificate we issue has a subject, and RFC 5280 only asks for
 * critical when the subject is empty.
 */
export function subjectAltName(dnsNames: string[], ipAddresses: Uint8Array[]): Buffer {
  const names = [...dnsNames.map((d) => implicit(2, ia5String(d))), ...ipAddresses.map((ip) => implicit(7, octetString(ip)))];
  return extension(OID.subjectAltName, false, sequence(...names));
}

/** `[3] EXPLICIT Extensions` as it sits at the end of tbsCertificate. */
export function extensionsField(exts: Buffer[]): Buffer {
  return explicit(3, sequence(...exts));
}
