/**
 * Child process for the deferred-update crash test in deferred.test.ts (not
 * a test itself): creates one key durably, then renews it with deferred
 * updates as fast as it can, printing each acknowledged revision, until the
 * parent kills it with SIGKILL.
 *
 *   C <revision>   the durable create was acknowledged
 *   D <revision>   a deferred update was acknowledged
 *
 * Usage: node deferred-child.ts <db path>
 */
import { openSqliteBackend } from './sqlite.ts';

const [path] = process.argv.slice(2);
if (!path) throw new Error('usage: deferred-child.ts <db path>');
const b = await openSqliteBackend({ path, compactIntervalMs: 0, writer: 'inline' });
const say = (line: string) => process.stdout.write(line + '\n');
const created = await b.create('/lease/node-1', 'renew-0');
if (!created.ok) throw new Error('create refused');
say(`C ${created.kv.modRevision}`);
let cur = created.kv;
for (let i = 1; ; i++) {
  const r = await b.update(cur.key, `renew-${i}`, cur.modRevision, { deferred: true });
  if (!r.ok) throw new Error('deferred update refused');
  cur = r.kv;
  say(`D ${cur.modRevision}`);
}
