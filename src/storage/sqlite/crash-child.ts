/**
 * Child process for the crash-durability test in sqlite.test.ts (not a test
 * itself). It writes as fast as it can with several concurrent clients and
 * prints one line per acknowledged write, until the parent kills it with
 * SIGKILL:
 *
 *   C <key>                  a create was acknowledged
 *   U <key> <value>          an update to <value> was acknowledged
 *
 * Usage: node crash-child.ts <db path> <round>
 */
import { openSqliteBackend } from './sqlite.ts';

const [path, round = '0'] = process.argv.slice(2);
if (!path) throw new Error('usage: crash-child.ts <db path> <round>');

// A short compaction interval, so some kills land in the middle of a compaction.
const b = await openSqliteBackend({ path, compactIntervalMs: 10 });
const say = (line: string) => process.stdout.write(line + '\n'); // synchronous on a pipe

async function client(id: number): Promise<never> {
  const counter = `/crash/counter-${id}`;
  for (let i = 0; ; i++) {
    const key = `/crash/r${round}/c${id}/${i}`;
    const r = await b.create(key, JSON.stringify({ round, id, i, pad: 'x'.repeat(200) }));
    if (!r.ok) throw new Error(`create ${key} refused`);
    say(`C ${key}`);
    const cur = (await b.get(counter)).kv;
    const next = String(Number(cur?.value ?? 0) + 1);
    const u = cur ? await b.update(counter, next, cur.modRevision) : await b.create(counter, next);
    if (!u.ok) throw new Error(`counter ${counter} raced`); // each client owns its counter
    say(`U ${counter} ${next}`);
  }
}

say('READY');
await Promise.all(Array.from({ length: 8 }, (_, id) => client(id)));
