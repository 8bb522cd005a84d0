/**
 * The conformance suite every storage backend must pass (sqlite now, etcd
 * later). A backend's test file calls it with a factory that opens a fresh,
 * empty store; each case closes what it opened.
 *
 * ```ts
 * runBackendSuite('sqlite', () => openSqliteBackend({ path: tempPath() }));
 * ```
 */
import { describe } from 'node:test';
import type { Backend } from './backend.ts';
import { compactionCases } from './suite/compaction.suite.ts';
import { concurrencyCases } from './suite/concurrency.suite.ts';
import { crudCases } from './suite/crud.suite.ts';
import { listCases } from './suite/list.suite.ts';
import { watchCases } from './suite/watch.suite.ts';

/** Registers the suite under `describe(name)`. `open` must return a new, empty backend each call. */
export function runBackendSuite(name: string, open: () => Promise<Backend>): void {
  describe(`${name} backend conformance`, () => {
    crudCases(open);
    listCases(open);
    watchCases(open);
    compactionCases(open);
    concurrencyCases(open);
  });
}
