/**
 * Levelled, line-oriented logging in the style of klog/logrus text output:
 * `2026-11-22T03:01:52.123Z INFO  apiserver: listening addr=0.0.0.0:6443`.
 * One process-wide level; components get a named child logger.
 */
export type Level = 'error' | 'warn' | 'info' | 'debug' | 'trace';

const order: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };
let threshold = order.info;
let sink: (line: string) => void = (line) => process.stderr.write(line + '\n');

export function setLogLevel(level: Level): void {
  threshold = order[level];
}

export function isLevelEnabled(level: Level): boolean {
  return order[level] <= threshold;
}

/** Tests capture log lines through this; pass undefined to restore stderr. */
export function setLogSink(fn?: (line: string) => void): void {
  sink = fn ?? ((line) => process.stderr.write(line + '\n'));
}

export function parseLevel(value: string): Level | undefined {
  return value in order ? (value as Level) : undefined;
}

function fmtValue(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === 'string') return /^[\w./:@-]*$/.test(v) && v !== '' ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  trace(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

export function logger(component: string): Logger {
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (order[level] > threshold) return;
    let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${component}: ${msg}`;
    if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) line += ` ${k}=${fmtValue(v)}`;
    sink(line);
  };
  return {
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    info: (m, f) => emit('info', m, f),
    debug: (m, f) => emit('debug', m, f),
    trace: (m, f) => emit('trace', m, f),
    child: (c) => logger(`${component}/${c}`),
  };
}
