/**
 * Latency summaries and report printing shared by the bench scripts.
 * Every script prints aligned `label  figures` lines, and with `--json`
 * also one JSON document with the same figures at the end.
 */

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile over unsorted samples (ms). */
export function pct(samples: ArrayLike<number>, p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

export function summarize(samples: ArrayLike<number>): Summary {
  const n = samples.length;
  if (n === 0) return { n, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  return { n, p50: at(50), p90: at(90), p99: at(99), max: sorted[n - 1]!, mean: sum / n };
}

export const fmt = (ms: number): string => (!Number.isFinite(ms) ? String(ms) : Math.abs(ms) < 10 ? ms.toFixed(2) : ms.toFixed(1));

export function fmtSummary(s: Summary): string {
  return `p50 ${fmt(s.p50)}  p90 ${fmt(s.p90)}  p99 ${fmt(s.p99)}  max ${fmt(s.max)} ms  (n=${s.n})`;
}

export const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`;

/** A verdict against a target, e.g. `[PASS <= 10 ms]`. */
export function verdict(value: number, target: number, unit: string): string {
  return value <= target ? `[PASS <= ${target} ${unit}]` : `[MISS > ${target} ${unit}]`;
}

export interface Report {
  /** Prints one line and records its figures under `key`. */
  line(key: string, label: string, text: string, figures?: unknown): void;
  section(title: string): void;
  /** Prints the collected figures as JSON when `--json` was given. */
  finish(extra?: Record<string, unknown>): void;
}

export function report(name: string, json: boolean): Report {
  const figures: Record<string, unknown> = {};
  return {
    section(title) {
      console.log(`\n== ${title}`);
    },
    line(key, label, text, data) {
      console.log(`${label.padEnd(58)} ${text}`);
      if (data !== undefined) figures[key] = data;
    },
    finish(extra = {}) {
      if (json) console.log(JSON.stringify({ bench: name, date: new Date().toISOString(), ...extra, figures }, null, 2));
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Command-line switches common to all scripts. */
export function benchArgs(argv = process.argv.slice(2)) {
  const get = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return {
    json: argv.includes('--json'),
    quick: argv.includes('--quick'),
    /** Before each measured phase, wait for other processes on the machine to go quiet (off with `--no-wait`). */
    waitQuiet: !argv.includes('--no-wait'),
    /** `--profile` or `--profile=DIR`: run the server under `--cpu-prof`, writing `.cpuprofile` files to DIR. */
    profile: argv.includes('--profile') ? 'bench/profiles' : get('profile'),
    get,
  };
}
