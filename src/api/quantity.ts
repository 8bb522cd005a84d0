/**
 * Kubernetes resource quantities (`100m`, `1.5Gi`, `2e3`), with the parsing
 * rules, rounding and canonical string form of upstream
 * k8s.io/apimachinery/pkg/api/resource, so stored objects print exactly as a
 * real API server prints them (`0.5` becomes `500m`, `1024Mi` becomes `1Gi`).
 *
 * A quantity is held exactly as `unscaled × 10^scale` with a bigint
 * mantissa: never as a float, because requests are compared and summed for
 * scheduling and quota and must not drift.
 */

/** How a quantity prints: `12e6`, `12Mi` (12 × 2^20) or `12M` (12 × 10^6). */
export type QuantityFormat = 'DecimalExponent' | 'BinarySI' | 'DecimalSI';

/** Outcome of {@link parseQuantity}: a bad string is an expected result, not an exception. */
export type QuantityParse = { ok: true; quantity: Quantity } | { ok: false; message: string };

/** The regular expression upstream quotes when a quantity is malformed. */
export const QUANTITY_FORMAT_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
/** Upstream error texts, as a decoder reports them. */
export const QUANTITY_ERRORS = {
  format: `quantities must match the regular expression '${QUANTITY_FORMAT_PATTERN}'`,
  numeric: 'unable to parse numeric part of quantity',
  suffix: "unable to parse quantity's suffix",
} as const;

const MAX_INT64 = (1n << 63n) - 1n;
/** Quantities never carry more precision than nano units; finer values round up. */
const NANO = -9;

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_POWER = new Map(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e / 10, s]));

const pow10 = (n: number): bigint => 10n ** BigInt(n);
const abs = (n: bigint): bigint => (n < 0n ? -n : n);

/** Divides rounding away from zero; reports whether the division was exact. */
function divAway(n: bigint, d: bigint): { q: bigint; exact: boolean } {
  const q = n / d;
  const r = n % d;
  if (r === 0n) return { q, exact: true };
  return { q: n < 0n ? q - 1n : q + 1n, exact: false };
}

/**
 * An immutable fixed-point quantity. It remembers the suffix style it was
 * written in and, like upstream, the original text when that text was
 * already canonical.
 */
export class Quantity {
  /** The value is `unscaled × 10^scale`. */
  readonly unscaled: bigint;
  readonly scale: number;
  readonly format: QuantityFormat;
  private readonly text: string | undefined;

  constructor(unscaled: bigint, scale: number, format: QuantityFormat, text?: string) {
    this.unscaled = unscaled;
    this.scale = scale;
    this.format = format;
    this.text = text;
  }

  /** `value` whole units, e.g. `Quantity.of(2, 'BinarySI')`. */
  static of(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(value), 0, format);
  }

  /** `value` thousandths, e.g. `Quantity.milli(250)` is `250m`. */
  static milli(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(value), -3, format);
  }

  isZero(): boolean {
    return this.unscaled === 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.unscaled === 0n ? 0 : this.unscaled < 0n ? -1 : 1;
  }

  /** -1, 0 or 1 as this is less than, equal to or greater than `other`. */
  cmp(other: Quantity): -1 | 0 | 1 {
    const s = Math.min(this.scale, other.scale);
    const a = this.unscaled * pow10(this.scale - s);
    const b = other.unscaled * pow10(other.scale - s);
    return a === b ? 0 : a < b ? -1 : 1;
  }

  equals(other: Quantity): boolean {
    return this.cmp(other) === 0;
  }

  /** The sum; a zero receiver takes the other's format, as upstream. */
  add(other: Quantity): Quantity {
    const s = Math.min(this.scale, other.scale);
    const sum = this.unscaled * pow10(this.scale - s) + other.unscaled * pow10(other.scale - s);
    return new Quantity(sum, s, this.isZero() ? other.format : this.format);
  }

  sub(other: Quantity): Quantity {
    return this.add(other.neg()).withFormat(this.isZero() ? other.format : this.format);
  }

  neg(): Quantity {
    return new Quantity(-this.unscaled, this.scale, this.format);
  }

  /** Multiplies by an integer. */
  mul(factor: number | bigint): Quantity {
    return new Quantity(this.unscaled * BigInt(factor), this.scale, this.format);
  }

  withFormat(format: QuantityFormat): Quantity {
    return format === this.format ? this : new Quantity(this.unscaled, this.scale, format);
  }

  /**
   * Rounds away from zero to `10^scale` units (`roundUp(-3)` keeps
   * millis). Upstream keeps the original text when nothing was lost.
   */
  roundUp(scale: number): { quantity: Quantity; exact: boolean } {
    if (this.scale >= scale) return { quantity: this, exact: true };
    const { q, exact } = divAway(this.unscaled, pow10(scale - this.scale));
    return { quantity: new Quantity(q, scale, this.format), exact };
  }

  /** `ceil(q / 10^scale)` away from zero, as a bigint. */
  scaledValueBig(scale: number): bigint {
    if (this.scale >= scale) return this.unscaled * pow10(this.scale - scale);
    return divAway(this.unscaled, pow10(scale - this.scale)).q;
  }

  /** Whole units rounded away from zero (upstream `Value()`). */
  value(): number {
    return Number(this.scaledValueBig(0));
  }

  /** Thousandths rounded away from zero (upstream `MilliValue()`), e.g. CPU millicores. */
  milliValue(): number {
    return Number(this.scaledValueBig(-3));
  }

  /** A float approximation, for display and ratios only. */
  asApproximateFloat(): number {
    return Number(this.unscaled) * 10 ** this.scale;
  }

  /** The canonical form upstream serializes (`1536Mi`, `500m`, `1k`). */
  toString(): string {
    return this.text ?? canonicalize(this);
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Upstream's scanner: sign, digits, optional fraction, then a suffix. */
function scan(str: string):
  | { positive: boolean; value: string; num: string; denom: string; suffix: string }
  | undefined {
  let positive = true;
  let pos = 0;
  const end = str.length;
  const isDigit = (c: string) => c >= '0' && c <= '9';
  if (str[0] === '-') {
    positive = false;
    pos++;
  } else if (str[0] === '+') {
    pos++;
  }
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, value: '0', num: '0', denom: '', suffix: '' };
  let i = pos;
  while (i < end && isDigit(str[i]!)) i++;
  let num = str.slice(pos, i);
  if (i >= end) return { positive, value: str, num, denom: '', suffix: '' };
  pos = i;
  if (num === '') num = '0';
  let denom = '';
  if (str[pos] === '.') {
    pos++;
    let j = pos;
    while (j < end && isDigit(str[j]!)) j++;
    denom = str.slice(pos, j);
    if (j >= end) return { positive, value: str, num, denom, suffix: '' };
    pos = j;
  }
  const value = str.slice(0, pos);
  const suffixStart = pos;
  while (pos < end && 'eEinumkKMGTP'.includes(str[pos]!)) pos++;
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++;
  while (pos < end && isDigit(str[pos]!)) pos++;
  if (pos < end) return undefined;
  return { positive, value, num, denom, suffix: str.slice(suffixStart) };
}

function interpret(suffix: string): { base: 2 | 10; exponent: number; format: QuantityFormat } | undefined {
  if (suffix in DECIMAL_SUFFIXES) return { base: 10, exponent: DECIMAL_SUFFIXES[suffix]!, format: 'DecimalSI' };
  if (suffix in BINARY_SUFFIXES) return { base: 2, exponent: BINARY_SUFFIXES[suffix]!, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?[0-9]+$/.test(suffix.slice(1))) {
    const exponent = Number(suffix.slice(1));
    if (Number.isSafeInteger(exponent)) return { base: 10, exponent, format: 'DecimalExponent' };
  }
  return undefined;
}

/**
 * Parses a quantity as it arrives in JSON: a string, or a bare number
 * (`cpu: 1`). Leading and trailing blanks are ignored, as upstream does.
 */
export function parseQuantity(input: string | number): QuantityParse {
  const str = (typeof input === 'number' ? String(input) : input).trim();
  const fail = (message: string): QuantityParse => ({ ok: false, message });
  if (str.length === 0) return fail(QUANTITY_ERRORS.format);
  if (str === '0') return { ok: true, quantity: new Quantity(0n, 0, 'DecimalSI', '0') };
  const parts = scan(str);
  if (!parts) return fail(QUANTITY_ERRORS.format);
  const { positive, value, num, denom, suffix } = parts;
  const unit = interpret(suffix);
  if (!unit) return fail(QUANTITY_ERRORS.suffix);
  const { base, exponent } = unit;
  let { format } = unit;

  // Fast path, mirroring upstream's int64 path so the same strings keep
  // their original spelling.
  let precision = -1;
  let scale = 0;
  let mantissa = 1n;
  if (base === 10) {
    scale = exponent;
    precision = 18 - (num.length + denom.length);
  } else if (denom.length === 0) {
    mantissa = 1n << BigInt(exponent);
    precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
  }
  if (precision >= 0) {
    scale -= denom.length;
    if (scale >= NANO) {
      const shifted = num + denom;
      let n = BigInt(shifted) * mantissa;
      if (n <= MAX_INT64) {
        if (!positive) n = -n;
        const canonical =
          base === 2
            ? (BigInt(shifted) & 7n) !== 0n
            : scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
        return { ok: true, quantity: new Quantity(n, scale, format, canonical ? str : undefined) };
      }
    }
  }

  // Exact path for everything else.
  const m = /^[+-]?(\d*)(?:\.(\d*))?$/.exec(value);
  if (!m) return fail(QUANTITY_ERRORS.numeric);
  const frac = m[2] ?? '';
  let amount = BigInt((m[1] ?? '') + frac || '0');
  scale = -frac.length;
  if (base === 10) scale += exponent;
  else amount *= 1n << BigInt(exponent);
  if (amount !== 0n && scale < NANO) {
    amount = divAway(amount, pow10(NANO - scale)).q;
    scale = NANO;
  }
  if (format === 'BinarySI') {
    const q = new Quantity(amount, scale, format);
    if (q.cmp(Quantity.of(MAX_INT64)) > 0) {
      amount = MAX_INT64;
      scale = 0;
    }
    if (amount !== 0n && new Quantity(amount, scale, format).cmp(Quantity.of(1)) < 0) format = 'DecimalSI';
  }
  return { ok: true, quantity: new Quantity(positive ? amount : -amount, scale, format) };
}

/** Parses or throws: for constants and tests only. */
export function mustParseQuantity(input: string | number): Quantity {
  const r = parseQuantity(input);
  if (!r.ok) throw new Error(`cannot parse '${input}': ${r.message}`);
  return r.quantity;
}

/**
 * The canonical text of a JSON quantity value, rounded up to millis as
 * upstream does for resource lists when `milli` is set; undefined when the
 * value is not a quantity (validation reports it).
 */
export function canonicalQuantity(input: unknown, opts: { milli?: boolean } = {}): string | undefined {
  if (typeof input !== 'string' && typeof input !== 'number') return undefined;
  const r = parseQuantity(input);
  if (!r.ok) return undefined;
  return (opts.milli ? r.quantity.roundUp(-3).quantity : r.quantity).toString();
}

function canonicalize(q: Quantity): string {
  if (q.isZero()) return '0';
  let format = q.format;
  let whole = 0n;
  if (format === 'BinarySI') {
    if (q.cmp(Quantity.of(-1024)) > 0 && q.cmp(Quantity.of(1024)) < 0) format = 'DecimalSI';
    else {
      const r = q.roundUp(0);
      if (!r.exact) format = 'DecimalSI';
      else whole = r.quantity.scaledValueBig(0);
    }
  }
  if (format === 'BinarySI') {
    let power = 0;
    let m = abs(whole);
    while (m >= 1024n && m % 1024n === 0n) {
      m /= 1024n;
      power++;
    }
    return `${whole < 0n ? '-' : ''}${m}${BINARY_BY_POWER.get(power) ?? ''}`;
  }
  let m = q.unscaled;
  let exponent = q.scale;
  while (m % 10n === 0n) {
    m /= 10n;
    exponent++;
  }
  while (exponent % 3 !== 0) {
    m *= 10n;
    exponent--;
  }
  if (format === 'DecimalExponent') return exponent === 0 ? `${m}` : `${m}e${exponent}`;
  // Upstream prints no suffix when the exponent has none (beyond E or below n).
  return `${m}${DECIMAL_BY_EXPONENT.get(exponent) ?? ''}`;
}
