/**
 * Canonical rendering of resource quantities (`10Gi`, `500m`, `1k`), as
 * apimachinery's `resource.Quantity.String()` produces it. The PV, PVC and
 * ResourceQuota columns print quantities this way, so `1024Mi` shows as
 * `1Gi` and `0.5` as `500m` whatever the user wrote.
 */

const binarySuffixes: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const decimalSuffixByExponent = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binarySuffixByPower = new Map(Object.entries(binarySuffixes).map(([s, p]) => [p, s]));

type Format = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

interface Parsed {
  /** The value in units of 10^-9 (Quantity keeps nano precision, rounding up). */
  nanos: bigint;
  format: Format;
}

const pattern = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(.*)$/;

function parse(text: string): Parsed | undefined {
  const m = pattern.exec(text.trim());
  if (!m) return undefined;
  const [, sign, number, suffix] = m;
  const [whole, frac = ''] = number!.split('.');

  let format: Format;
  let exp10 = 0;
  let pow1024 = 0;
  if (suffix! in binarySuffixes) {
    format = 'BinarySI';
    pow1024 = binarySuffixes[suffix!]!;
  } else if (suffix! in decimalSuffixes) {
    format = 'DecimalSI';
    exp10 = decimalSuffixes[suffix!]!;
  } else if (/^[eE][+-]?\d+$/.test(suffix!)) {
    format = 'DecimalExponent';
    exp10 = Number(suffix!.slice(1));
  } else {
    return undefined;
  }

  // value = digits * 10^(exp10 - frac.length) * 1024^pow1024; scale to nanos.
  let num = BigInt((whole || '0') + frac) * 1024n ** BigInt(pow1024);
  let shift = exp10 - frac.length + 9;
  if (shift >= 0) {
    num *= 10n ** BigInt(shift);
  } else {
    const div = 10n ** BigInt(-shift);
    // Precision below a nano is rounded up (away from zero), as Quantity does.
    num = (num + div - 1n) / div;
  }
  return { nanos: sign === '-' ? -num : num, format };
}

function decimal(abs: bigint, format: Format): string {
  let amount = abs;
  let exponent = -9;
  while (amount % 10n === 0n) {
    amount /= 10n;
    exponent++;
  }
  // Pull the exponent down to a multiple of three so an SI suffix fits.
  const rem = ((exponent % 3) + 3) % 3;
  amount *= 10n ** BigInt(rem);
  exponent -= rem;
  if (format === 'DecimalExponent') return exponent === 0 ? `${amount}` : `${amount}e${exponent}`;
  const suffix = decimalSuffixByExponent.get(exponent);
  return suffix === undefined ? `${amount}e${exponent}` : `${amount}${suffix}`;
}

/**
 * The canonical string of a quantity, e.g. `canonicalQuantity('2048Ki')` is
 * `2Mi`. A missing value prints `0` (Go's zero Quantity); text that is not a
 * quantity is returned unchanged.
 */
export function canonicalQuantity(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return '0';
  const text = String(value);
  const q = parse(text);
  if (!q) return text;
  if (q.nanos === 0n) return '0';

  const negative = q.nanos < 0n;
  const abs = negative ? -q.nanos : q.nanos;
  const sign = negative ? '-' : '';
  const nano = 1_000_000_000n;

  // Binary values print in binary only when whole and at least 1Ki;
  // otherwise they fall back to decimal so nothing is rounded away.
  if (q.format === 'BinarySI' && abs >= 1024n * nano && abs % nano === 0n) {
    let amount = abs / nano;
    let power = 0;
    while (power < 6 && amount % 1024n === 0n) {
      amount /= 1024n;
      power++;
    }
    return `${sign}${amount}${binarySuffixByPower.get(power) ?? ''}`;
  }
  return sign + decimal(abs, q.format === 'DecimalExponent' ? 'DecimalExponent' : 'DecimalSI');
}
