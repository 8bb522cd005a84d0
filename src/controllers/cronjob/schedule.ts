/**
 * Cron schedules as the CronJob controller reads them (robfig/cron v3
 * ParseStandard, which upstream uses): five fields or a descriptor
 * (`@hourly`, `@every 90m` …), optionally prefixed `TZ=` or `CRON_TZ=`,
 * evaluated in a time zone. `next(t)` is the first matching time strictly
 * after `t`, searched field by field the way robfig does (so DST gaps skip
 * the missing wall times and repeated hours are visited as they occur).
 *
 * Validation (src/api/validation/cron.ts) has already rejected bad
 * schedules on admission; parse errors here come from objects stored before.
 */

interface Field {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FIELDS: Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: Object.fromEntries(MONTHS.map((m, i) => [m, i + 1])) },
  { min: 0, max: 6, names: Object.fromEntries(DAYS.map((d, i) => [d, i])) },
];

/** Values a field allows, plus whether it was written as `*` or `?` (which changes day matching). */
interface Bits {
  on: boolean[];
  star: boolean;
}

export interface Schedule {
  /** The first activation strictly after `t` (ms since the epoch), or undefined if none within five years. */
  next(t: number): number | undefined;
  /** The zone the schedule is read in (an IANA name). */
  readonly timeZone: string;
}

export class ScheduleError extends Error {}

function num(s: string): number {
  if (!/^\d+$/.test(s)) throw new ScheduleError(`failed to parse int from ${s}`);
  return Number(s);
}

function value(s: string, f: Field): number {
  const named = f.names?.[s.toLowerCase()];
  return named ?? num(s);
}

/** One comma-separated part of a field: `*`, `?`, `a`, `a-b`, each optionally `/step`. */
function addRange(expr: string, f: Field, bits: Bits): void {
  const [range, stepStr, ...more] = expr.split('/');
  if (more.length) throw new ScheduleError(`too many slashes: ${expr}`);
  const bounds = range!.split('-');
  let start: number;
  let end: number;
  let star = false;
  if (bounds[0] === '*' || bounds[0] === '?') {
    start = f.min;
    end = f.max;
    star = true;
  } else {
    start = value(bounds[0]!, f);
    if (bounds.length === 1) end = start;
    else if (bounds.length === 2) end = value(bounds[1]!, f);
    else throw new ScheduleError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (stepStr !== undefined) {
    step = num(stepStr);
    // `N/step` means `N-max/step`.
    if (bounds.length === 1) end = f.max;
    if (step > 1) star = false;
  }
  if (start < f.min) throw new ScheduleError(`beginning of range (${start}) below minimum (${f.min}): ${expr}`);
  if (end > f.max) throw new ScheduleError(`end of range (${end}) above maximum (${f.max}): ${expr}`);
  if (start > end) throw new ScheduleError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new ScheduleError(`step of range should be a positive number: ${expr}`);
  for (let i = start; i <= end; i += step) bits.on[i] = true;
  if (star) bits.star = true;
}

function field(expr: string, f: Field): Bits {
  const bits: Bits = { on: [], star: false };
  for (const part of expr.split(',')) addRange(part, f, bits);
  return bits;
}

const descriptors: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Go's time.ParseDuration, to milliseconds. */
export function parseGoDuration(s: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (s === '0') return 0;
  const m = /^([-+]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(s);
  if (!m) throw new ScheduleError(`time: invalid duration "${s}"`);
  let total = 0;
  for (const [, n, u] of m[2]!.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(n) * units[u!]!;
  return m[1] === '-' ? -total : total;
}

/** The zone the process runs in (what upstream's time.Local is for kube-controller-manager). */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Parses a schedule; `timeZone` is used unless the spec carries its own `TZ=`. */
export function parseSchedule(input: string, timeZone = localTimeZone()): Schedule {
  let spec = input.trim();
  let tz = timeZone;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const sp = spec.indexOf(' ');
    tz = spec.slice(spec.indexOf('=') + 1, sp < 0 ? undefined : sp);
    spec = sp < 0 ? '' : spec.slice(sp).trim();
  }
  if (!isValidTimeZone(tz)) throw new ScheduleError(`provided bad location ${tz}: unknown time zone ${tz}`);
  if (!spec) throw new ScheduleError('empty spec string');
  if (spec.startsWith('@every ')) {
    const d = Math.max(1000, parseGoDuration(spec.slice('@every '.length).trim()));
    const delay = d - (d % 1000);
    return { timeZone: tz, next: (t) => Math.floor(t / 1000) * 1000 + delay };
  }
  if (spec.startsWith('@')) {
    const expanded = descriptors[spec];
    if (!expanded) throw new ScheduleError(`unrecognized descriptor: ${spec}`);
    spec = expanded;
  }
  const parts = spec.split(/\s+/);
  if (parts.length !== 5) throw new ScheduleError(`expected exactly 5 fields, found ${parts.length}: [${parts.join(' ')}]`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => field(p, FIELDS[i]!)) as [Bits, Bits, Bits, Bits, Bits];
  return new SpecSchedule(minute, hour, dom, month, dow, tz);
}

interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
}

/** Wall-clock fields of an instant in a zone. */
export function wallClock(t: number, tz: string): Wall {
  const out: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(t))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return { y: out['year']!, mo: out['month']!, d: out['day']!, h: out['hour']!, mi: out['minute']!, s: out['second']! };
}

/** The zone's offset from UTC at an instant, in ms. */
export function offsetAt(t: number, tz: string): number {
  const w = wallClock(t, tz);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(t / 1000) * 1000;
}

/** The instant of a wall-clock time (fields may overflow, as Go's time.Date normalises them). */
export function fromWall(y: number, mo: number, d: number, h: number, mi: number, tz: string): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi, 0);
  return wall - offsetAt(wall - offsetAt(wall, tz), tz);
}

class SpecSchedule implements Schedule {
  readonly timeZone: string;
  private readonly minute: Bits;
  private readonly hour: Bits;
  private readonly dom: Bits;
  private readonly month: Bits;
  private readonly dow: Bits;

  constructor(minute: Bits, hour: Bits, dom: Bits, month: Bits, dow: Bits, tz: string) {
    this.minute = minute;
    this.hour = hour;
    this.dom = dom;
    this.month = month;
    this.dow = dow;
    this.timeZone = tz;
  }

  /** A day-of-month and a day-of-week restriction are ORed unless either field is `*`. */
  private dayMatches(w: Wall): boolean {
    const domOk = !!this.dom.on[w.d];
    const dowOk = !!this.dow.on[new Date(Date.UTC(w.y, w.mo - 1, w.d)).getUTCDay()];
    return this.dom.star || this.dow.star ? domOk && dowOk : domOk || dowOk;
  }

  next(from: number): number | undefined {
    const tz = this.timeZone;
    let t = Math.floor(from / 1000) * 1000 + 1000;
    let added = false;
    const yearLimit = wallClock(t, tz).y + 5;
    wrap: for (;;) {
      let w = wallClock(t, tz);
      if (w.y > yearLimit) return undefined;
      while (!this.month.on[w.mo]) {
        if (!added) {
          added = true;
          t = fromWall(w.y, w.mo, 1, 0, 0, tz);
          w = wallClock(t, tz);
        }
        t = fromWall(w.y, w.mo + 1, w.d, w.h, w.mi, tz);
        w = wallClock(t, tz);
        if (w.mo === 1) continue wrap;
      }
      while (!this.dayMatches(w)) {
        if (!added) {
          added = true;
          t = fromWall(w.y, w.mo, w.d, 0, 0, tz);
          w = wallClock(t, tz);
        }
        t = fromWall(w.y, w.mo, w.d + 1, w.h, w.mi, tz);
        w = wallClock(t, tz);
        // A DST change may have moved midnight; step back onto it.
        if (w.h !== 0) {
          t += (w.h > 12 ? 24 - w.h : -w.h) * 3_600_000;
          w = wallClock(t, tz);
        }
        if (w.d === 1) continue wrap;
      }
      while (!this.hour.on[w.h]) {
        if (!added) {
          added = true;
          t = fromWall(w.y, w.mo, w.d, w.h, 0, tz);
        }
        t += 3_600_000;
        w = wallClock(t, tz);
        if (w.h === 0) continue wrap;
      }
      while (!this.minute.on[w.mi]) {
        if (!added) {
          added = true;
          t -= t % 60_000;
        }
        t += 60_000;
        w = wallClock(t, tz);
        if (w.mi === 0) continue wrap;
      }
      if (w.s !== 0) {
        // Only second 0 matches: move to the next minute and check everything again.
        added = true;
        t = t - (t % 60_000) + 60_000;
        continue wrap;
      }
      return t;
    }
  }
}

/** `2030-01-01T09:00:00+09:00` (`Z` for UTC), as Go's RFC 3339 format in a zone. */
export function rfc3339In(t: number, tz: string): string {
  const w = wallClock(t, tz);
  const off = Math.round(offsetAt(t, tz) / 60_000);
  const pad = (n: number, l = 2) => String(Math.abs(n)).padStart(l, '0');
  const zone = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${pad(w.y, 4)}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}${zone}`;
}
