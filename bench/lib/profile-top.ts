/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`, e.g. a bench run
 * with `--profile`): the functions with the most self time, and the
 * bramble functions (under src/) with the most inclusive time.
 *
 *   node_modules/.bin/node bench/lib/profile-top.ts FILE.cpuprofile [--top=25] [--json]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Row {
  fn: string;
  ms: number;
  percent: number;
}

function label(n: ProfileNode): string {
  const f = n.callFrame;
  const name = f.functionName || '(anonymous)';
  if (!f.url) return name;
  let file = f.url.startsWith('file://') ? fileURLToPath(f.url) : f.url;
  if (file.startsWith(repo + '/')) file = path.relative(repo, file);
  return `${file}:${f.lineNumber + 1} ${name}`;
}

export function summariseProfile(p: Profile, top = 25): { totalMs: number; idleMs: number; self: Row[]; inclusive: Row[] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  // Time per sample from timeDeltas (µs); fall back to an even split.
  const selfUs = new Map<number, number>();
  if (p.samples && p.timeDeltas) {
    for (let i = 0; i < p.samples.length; i++) {
      const next = p.timeDeltas[i + 1] ?? 0;
      selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + Math.max(0, next));
    }
  } else {
    const hits = p.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
    for (const n of p.nodes) selfUs.set(n.id, ((n.hitCount ?? 0) * (p.endTime - p.startTime)) / Math.max(1, hits));
  }
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idleUs = p.nodes.filter((n) => ['(idle)', '(program)'].includes(n.callFrame.functionName)).reduce((s, n) => s + (selfUs.get(n.id) ?? 0), 0);
  const busyUs = Math.max(1, totalUs - idleUs);

  const self = new Map<string, number>();
  for (const n of p.nodes) {
    if (n.callFrame.functionName === '(idle)') continue;
    const k = label(n);
    self.set(k, (self.get(k) ?? 0) + (selfUs.get(n.id) ?? 0));
  }

  // Inclusive time for functions under src/, counted once per stack (recursion-safe).
  const inclusive = new Map<string, number>();
  const root = p.nodes[0]!;
  const walk = (n: ProfileNode, onStack: Set<string>): number => {
    let t = selfUs.get(n.id) ?? 0;
    const k = label(n);
    const mine = k.startsWith('src/') && !onStack.has(k);
    if (mine) onStack.add(k);
    for (const c of n.children ?? []) t += walk(byId.get(c)!, onStack);
    if (mine) {
      onStack.delete(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + t);
    }
    return t;
  };
  walk(root, new Set());

  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ fn, ms: us / 1000, percent: (100 * us) / busyUs }));
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, self: rows(self), inclusive: rows(inclusive) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: profile-top.ts FILE.cpuprofile [--top=25] [--json]');
    process.exit(2);
  }
  const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
  const s = summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as Profile, top);
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(s, null, 2));
  } else {
    console.log(`${file}: ${(s.totalMs / 1000).toFixed(1)} s profiled, ${((s.totalMs - s.idleMs) / 1000).toFixed(1)} s busy on the main thread`);
    console.log('\nself time (% of busy time):');
    for (const r of s.self) console.log(`  ${r.percent.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.fn}`);
    console.log('\ninclusive time of bramble functions (% of busy time):');
    for (const r of s.inclusive) console.log(`  ${r.percent.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.fn}`);
  }
}
