/**
 * A small k3s-style flag parser: `--name value`, `--name=value`, boolean
 * `--flag`/`--flag=false`, repeatable flags, environment variable fallbacks
 * and generated `--help` text. Parse failures are `UsageError`s so the CLI
 * can print them with usage and exit 2.
 */
export type FlagKind = 'string' | 'bool' | 'int' | 'list';

export interface FlagSpec {
  name: string;
  kind: FlagKind;
  help: string;
  /** Shown in help and used when the flag is absent. */
  default?: string | boolean | number | string[];
  /** Environment variable consulted when the flag is absent. */
  env?: string;
  /** Value placeholder in help, e.g. DIR. */
  arg?: string;
  short?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  flags: FlagSpec[];
}

export type FlagValues = Record<string, string | boolean | number | string[] | undefined>;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Parsed {
  values: FlagValues;
  args: string[];
  help: boolean;
}

function convert(spec: FlagSpec, raw: string): string | boolean | number {
  switch (spec.kind) {
    case 'bool':
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      throw new UsageError(`invalid boolean value "${raw}" for flag --${spec.name}`);
    case 'int': {
      const n = Number(raw);
      if (!Number.isInteger(n)) throw new UsageError(`invalid integer value "${raw}" for flag --${spec.name}`);
      return n;
    }
    default:
      return raw;
  }
}

export function parseFlags(cmd: CommandSpec, argv: string[], env: NodeJS.ProcessEnv = process.env): Parsed {
  const byName = new Map<string, FlagSpec>();
  for (const f of cmd.flags) {
    byName.set(f.name, f);
    if (f.short) byName.set(f.short, f);
  }
  const values: FlagValues = {};
  const args: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a === '--help' || a === '-h') {
      help = true;
      continue;
    }
    if (!a.startsWith('-') || a === '-') {
      args.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown flag: ${a}`);
    let raw: string;
    if (eq >= 0) raw = body.slice(eq + 1);
    else if (spec.kind === 'bool') raw = 'true';
    else {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${spec.name}`);
      raw = argv[++i]!;
    }
    if (spec.kind === 'list') {
      const cur = (values[spec.name] as string[] | undefined) ?? [];
      cur.push(...raw.split(',').filter((s) => s !== ''));
      values[spec.name] = cur;
    } else values[spec.name] = convert(spec, raw);
  }
  for (const spec of cmd.flags) {
    if (values[spec.name] !== undefined) continue;
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') {
      values[spec.name] = spec.kind === 'list' ? fromEnv.split(',').filter((s) => s !== '') : convert(spec, fromEnv);
    } else if (spec.default !== undefined) values[spec.name] = spec.default;
  }
  return { values, args, help };
}

export function helpText(cmd: CommandSpec): string {
  const lines = [`${cmd.summary}`, '', `Usage:\n  ${cmd.usage}`, '', 'Flags:'];
  const rows = cmd.flags.map((f) => {
    const arg = f.kind === 'bool' ? '' : ` ${f.arg ?? (f.kind === 'int' ? 'N' : 'value')}`;
    const left = `  ${f.short ? `-${f.short}, ` : ''}--${f.name}${arg}`;
    let right = f.help;
    if (f.default !== undefined && f.default !== false && !(Array.isArray(f.default) && f.default.length === 0)) {
      right += ` (default: ${Array.isArray(f.default) ? f.default.join(',') : String(f.default)})`;
    }
    if (f.env) right += ` [$${f.env}]`;
    return [left, right] as const;
  });
  rows.push(['  -h, --help', 'Show this help']);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  for (const [l, r] of rows) lines.push(l.padEnd(width) + r);
  return lines.join('\n') + '\n';
}
