/**
 * Atomic projection of files into a directory, as upstream's AtomicWriter
 * does it, so a container never sees a half-updated ConfigMap or Secret:
 *
 *   <dir>/..2025_01_02_15_04_05.123456/   the current generation (real files)
 *   <dir>/..data -> ..2025_01_02_…/       swapped by rename(2) of a new symlink
 *   <dir>/<key>  -> ..data/<key>          one stable link per top-level entry
 *
 * An update writes a whole new generation, then renames `..data_tmp` over
 * `..data` (atomic), adds links for new entries, removes links for gone
 * ones and deletes the old generation. When the payload equals what is
 * there (content and mode), nothing on disk is touched.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

export interface FileProjection {
  data: Buffer;
  /** Permission bits, e.g. 0o644. */
  mode: number;
}

/** Relative path → content. */
export type Payload = Record<string, FileProjection>;

const DATA = '..data';
const DATA_TMP = '..data_tmp';

/** Rejects paths that could escape the directory or clash with the writer's own entries. */
export function validatePayloadPath(p: string): string | undefined {
  if (p === '') return 'invalid path: must not be empty';
  if (path.isAbsolute(p)) return `invalid path: must be relative path: ${p}`;
  if (p.split('/').includes('..')) return `invalid path: must not contain '..': ${p}`;
  if (p.startsWith('..')) return `invalid path: must not start with '..': ${p}`;
  return undefined;
}

function generationName(now: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const ts = `${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}`;
  return `..${ts}.${randomBytes(5).readUInt32BE(0)}`;
}

/** Every regular file below `dir`, as relative paths. */
async function listFiles(dir: string, base = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, base), { withFileTypes: true })) {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}

async function currentGeneration(dir: string): Promise<string | undefined> {
  try {
    return await fs.readlink(path.join(dir, DATA));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function sameAsCurrent(dir: string, generation: string, payload: Payload): Promise<boolean> {
  const gen = path.join(dir, generation);
  let existing: string[];
  try {
    existing = await listFiles(gen);
  } catch {
    return false;
  }
  const wanted = Object.keys(payload);
  if (existing.length !== wanted.length) return false;
  for (const p of wanted) {
    try {
      const st = await fs.lstat(path.join(gen, p));
      if (!st.isFile() || (st.mode & 0o7777) !== payload[p]!.mode) return false;
      if (st.size !== payload[p]!.data.length) return false;
      if (!(await fs.readFile(path.join(gen, p))).equals(payload[p]!.data)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Makes `dir` hold exactly `payload`. Returns true when it wrote (first
 * time or content changed), false when everything already matched.
 * `dir` must exist.
 */
export async function writePayload(dir: string, payload: Payload, now: Date = new Date()): Promise<boolean> {
  for (const p of Object.keys(payload)) {
    const bad = validatePayloadPath(p);
    if (bad) throw new Error(bad);
  }
  const old = await currentGeneration(dir);
  if (old && (await sameAsCurrent(dir, old, payload))) return false;

  const gen = generationName(now);
  const genDir = path.join(dir, gen);
  await fs.mkdir(genDir, { mode: 0o755 });
  await fs.chmod(genDir, 0o755);
  for (const [p, f] of Object.entries(payload)) {
    const file = path.join(genDir, p);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    await fs.writeFile(file, f.data, { mode: f.mode });
    await fs.chmod(file, f.mode); // the umask must not narrow the requested mode
  }

  // Swap the generation in with one rename(2): readers see old or new, never a mix.
  const tmp = path.join(dir, DATA_TMP);
  await fs.rm(tmp, { force: true });
  await fs.symlink(gen, tmp);
  await fs.rename(tmp, path.join(dir, DATA));

  const top = new Set(Object.keys(payload).map((p) => p.split('/')[0]!));
  for (const name of top) {
    const link = path.join(dir, name);
    try {
      await fs.lstat(link);
    } catch {
      await fs.symlink(path.join(DATA, name), link);
    }
  }
  for (const name of await fs.readdir(dir)) {
    if (name.startsWith('..') || top.has(name)) continue;
    await fs.rm(path.join(dir, name), { recursive: true, force: true });
  }
  if (old && old !== gen) await fs.rm(path.join(dir, old), { recursive: true, force: true });
  return true;
}
