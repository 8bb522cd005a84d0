/**
 * Durations and timestamps as the Kubernetes printers show them: Age,
 * Last Seen, Duration and the "(2m ago)" of pod restarts.
 */

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;

/**
 * Go's zero `time.Time` (0001-01-01T00:00:00Z), which Go clients may send for
 * "not set". Built with setUTCFullYear because Date.UTC maps year 1 to 1901.
 */
const goZeroTimeMs = (() => {
  const d = new Date(0);
  d.setUTCFullYear(1, 0, 1);
  return d.getTime();
})();

/**
 * A short, roughly 2-3 significant figure rendering of a duration, matching
 * apimachinery's `duration.HumanDuration`: `45s`, `3m20s`, `47m`, `5h10m`,
 * `20h`, `3d4h`, `120d`, `2y10d`, `9y`.
 *
 * Clocks on different machines disagree a little, so up to a second in the
 * future still reads `0s`; anything further ahead is `<invalid>`.
 */
export function humanDuration(ms: number): string {
  // Go converts to whole seconds by truncating toward zero.
  const seconds = Math.trunc(ms / second);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;

  const minutes = Math.trunc(ms / minute);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 3 * 60) return `${minutes}m`;

  const hours = Math.trunc(ms / hour);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;

  const days = Math.trunc(hours / 24);
  if (hours < 8 * 24) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 2 * 365 * 24) return `${days}d`;

  const years = Math.trunc(days / 365);
  if (hours < 8 * 365 * 24) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/**
 * Milliseconds since the epoch for a `Time`/`MicroTime` JSON value, or
 * undefined when it is absent, null, unparsable or Go's zero time.
 */
export function timestampMs(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || ms <= goZeroTimeMs) return undefined;
  return ms;
}

/** How long ago `timestamp` was, or `<unknown>` when it is not set. */
export function since(timestamp: unknown, now: number): string {
  const ms = timestampMs(timestamp);
  return ms === undefined ? '<unknown>' : humanDuration(now - ms);
}

/** The Age cell: time since metadata.creationTimestamp. */
export function age(obj: Record<string, any>, now: number): string {
  return since(obj.metadata?.creationTimestamp, now);
}
