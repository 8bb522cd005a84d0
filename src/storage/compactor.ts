/**
 * Periodic history compaction, shared by backends (the apiserver does the
 * same against etcd). Each run compacts to the revision that was current at
 * the previous run, so a watcher or paginated list always has at least one
 * interval of history to resume from.
 *
 * Flash wear matters more than tidiness here: when nothing was written since
 * the last run, a run reads two numbers and writes nothing.
 */
import type { Backend } from './backend.ts';
import { logger, type Logger } from '../util/log.ts';

/** Five minutes, like the Kubernetes apiserver's etcd compaction and kine. */
export const DEFAULT_COMPACT_INTERVAL_MS = 5 * 60_000;

export interface CompactorOptions {
  intervalMs?: number;
  log?: Logger;
}

export interface Compactor {
  /**
   * One run, as the timer does it. Returns the revision compacted to, or
   * undefined when the run had nothing to do. Tests drive this directly.
   */
  runOnce(): Promise<number | undefined>;
  /** Stops the timer; a run in progress finishes on its own. */
  stop(): void;
}

type Compactable = Pick<Backend, 'currentRevision' | 'compactedRevision' | 'compact'>;

/** Starts the loop on an unref'd timer (it never keeps the process alive). */
export function startCompactor(backend: Compactable, opts: CompactorOptions = {}): Compactor {
  const compactor = createCompactor(backend, opts.log);
  const intervalMs = opts.intervalMs ?? DEFAULT_COMPACT_INTERVAL_MS;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (): void => {
    if (stopped) return;
    // A chained timeout rather than an interval: runs can never overlap.
    timer = setTimeout(() => {
      compactor.runOnce().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();
  return {
    runOnce: () => compactor.runOnce(),
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/** The loop's body without a timer. */
export function createCompactor(backend: Compactable, log: Logger = logger('storage').child('compactor')): Pick<Compactor, 'runOnce'> {
  /** The store's revision at the previous run: the next run's target. */
  let previous: number | undefined;
  return {
    async runOnce() {
      try {
        const current = await backend.currentRevision();
        const target = previous;
        previous = current;
        // First run only learns where the store is; an unchanged revision means
        // no writes since the last run, and then we must not write either.
        if (target === undefined || target === current) return undefined;
        if (target <= (await backend.compactedRevision())) return undefined;
        const compacted = await backend.compact(target);
        log.debug('compacted', { revision: compacted, current });
        return compacted;
      } catch (e) {
        log.warn('compaction failed', { error: e });
        return undefined;
      }
    },
  };
}
