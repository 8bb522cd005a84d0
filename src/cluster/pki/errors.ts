/**
 * Faults raised by the PKI code. Expected outcomes (a certificate that needs
 * re-issuing, a SAN that is missing) are values returned by the callers;
 * these codes are for inputs we cannot act on.
 */
export type PkiErrorCode =
  /** A caller passed a value we refuse to encode (bad OID, name, IP, validity). */
  | 'INVALID_ARGUMENT'
  /** Bytes that should be DER (or a PEM certificate) are malformed. */
  | 'MALFORMED'
  /** The CA handed to us cannot sign: not a CA, key mismatch, unsupported key, expired. */
  | 'INVALID_CA'
  /** A CA certificate exists on disk without its key; regenerating would silently break every node that trusts it. */
  | 'CA_KEY_MISSING';

export class PkiError extends Error {
  readonly code: PkiErrorCode;
  constructor(code: PkiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PkiError';
    this.code = code;
  }
}

export function isPkiError(e: unknown, code?: PkiErrorCode): e is PkiError {
  return e instanceof PkiError && (code === undefined || e.code === code);
}
