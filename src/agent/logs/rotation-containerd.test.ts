/**
 * Log rotation on a real containerd: a busybox container writes numbered
 * lines fast; the container log manager (64 KiB, 3 files, checked about
 * every second) keeps its live CRI log bounded, rotated files appear under
 * upstream's names and the oldest go; the agent server's reader returns the
 * lines in order with none lost across rotations (containerd keeps writing
 * the renamed file until it reopens, so nothing falls between files).
 *
 * containerd runs in a network namespace this test creates (the sandbox
 * uses host networking, i.e. that namespace). Needs root. Everything is
 * removed in `after`, even on failure.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { killShims, removeCgroupTree, unmountUnder } from '../containerd/cleanup.ts';
import { setLogLevel } from '../../util/log.ts';
import { openContainerdRuntime, type ContainerdNodeRuntime } from '../runtime/cri/containerd-runtime.ts';
import { streamLogs, type LogOptions } from '../server/logs.ts';
import { ContainerLogManager } from './rotation.ts';

const repo = path.resolve(import.meta.dirname, '../../..');
const BUSYBOX = 'bramble.local/busybox:latest';
const netns = `bramble-logrot-${process.pid}`;
const cgroupRoot = `bramble-logrot-${process.pid}`;
let dir = '';
let ctd: ContainerdNodeRuntime | undefined;
let manager: ContainerLogManager | undefined;
/** Ends the test's log follower, even when the test fails. */
const stopFollow = new AbortController();

async function teardown(): Promise<void> {
  stopFollow.abort();
  await manager?.stop();
  if (ctd) {
    try {
      for (const sb of await ctd.cri.runtime.listPodSandbox(undefined, { timeoutMs: 10_000 })) {
        await ctd.cri.runtime.stopPodSandbox(sb.id, { timeoutMs: 30_000 });
        await ctd.cri.runtime.removePodSandbox(sb.id, { timeoutMs: 30_000 });
      }
    } catch (e) {
      console.error('sandbox cleanup failed', e);
    }
    const socket = ctd.socketPath;
    await ctd.close();
    await killShims(socket);
    ctd = undefined;
  }
  if (dir) unmountUnder(dir);
  removeCgroupTree(cgroupRoot);
  if (fs.existsSync(`/var/run/netns/${netns}`)) spawnSync('ip', ['netns', 'del', netns]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

before(async () => {
  if (!process.env.BRAMBLE_TEST_DEBUG) setLogLevel('warn');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blogrot-ctd-'));
  try {
    const images = path.join(dir, 'agent', 'images');
    execFileSync(path.join(repo, 'node_modules/.bin/node'), [path.join(repo, 'scripts/build-test-images.ts'), '--out', path.join(dir, 'built')], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.mkdirSync(images, { recursive: true });
    fs.copyFileSync(path.join(dir, 'built', 'busybox.tar'), path.join(images, 'busybox.tar'));
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    ctd = await openContainerdRuntime({ dataDir: dir, netnsPath: `/var/run/netns/${netns}`, cgroupRoot, imageScanMs: 0, relistMs: 200 });
  } catch (e) {
    await teardown();
    throw e;
  }
});

after(teardown);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function read(logPath: string, o: Partial<LogOptions> = {}): Promise<string[]> {
  let out = '';
  const sink = { write: (s: string) => void (out += s), drained: async () => {}, closed: false };
  await streamLogs(logPath, { follow: false, timestamps: false, previous: false, ...o }, sink, async () => true, new AbortController().signal);
  return out.split('\n').filter((l) => l !== '');
}

/** The sequence numbers of `seq-<n>-…` lines; asserts they are consecutive. */
function consecutive(lines: string[]): number[] {
  const nums = lines.map((l) => {
    const m = /^seq-(\d+)-x+$/.exec(l);
    assert.ok(m, `unexpected log line ${JSON.stringify(l.slice(0, 80))}`);
    return Number(m[1]);
  });
  for (let i = 1; i < nums.length; i++) assert.equal(nums[i], nums[i - 1]! + 1, `line ${nums[i - 1]} is followed by ${nums[i]}`);
  return nums;
}

describe('container log rotation on containerd', () => {
  it('keeps a fast writer\'s live log bounded, rotates and prunes under upstream names, and the reader sees every latest line in order', async () => {
    const rt = ctd!.runtime;
    const maxSize = 64 * 1024;
    const meta = { name: 'chatty', namespace: 'logs', uid: `logrot-${process.pid}`, attempt: 0 };
    const sb = await rt.runPodSandbox({ metadata: meta, hostname: 'chatty', labels: {}, annotations: {}, hostNetwork: true });
    // About 100 lines of ~100 bytes every 20–50 ms: well over 64 KiB a second.
    const pad = 'x'.repeat(90);
    const script = `i=0; while true; do j=0; while [ $j -lt 100 ]; do echo "seq-$i-${pad}"; i=$((i+1)); j=$((j+1)); done; usleep 20000; done`;
    const id = await rt.createContainer(sb, { metadata: { name: 'writer', attempt: 0 }, image: BUSYBOX, command: ['sh', '-c', script], logPath: 'writer/0.log' });
    await rt.startContainer(id);
    const logPath = (await rt.listContainers({ sandboxId: sb })).find((c) => c.id === id)!.logPath!;
    assert.equal(logPath, path.join(dir, 'agent', 'pod-logs', `logs_chatty_${meta.uid}`, 'writer', '0.log'));

    // Checked every 1.1 s so that each rotation gets a new one-second name.
    manager = new ContainerLogManager({ runtime: rt, maxSizeBytes: maxSize, maxFiles: 3, intervalMs: 1100 });
    manager.start();
    // A follower (kubectl logs -f) from before the first rotation until after the last.
    let followed = '';
    const following = streamLogs(logPath, { follow: true, timestamps: false, previous: false, tailLines: 0 }, { write: (s: string) => void (followed += s), drained: async () => {}, closed: false }, async () => true, stopFollow.signal);
    let maxLive = 0;
    const rotatedSeen = new Set<string>();
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline) {
      await sleep(100);
      // (absent for a moment between the rename and containerd's reopen)
      maxLive = Math.max(maxLive, fs.statSync(logPath, { throwIfNoEntry: false })?.size ?? 0);
      for (const n of fs.readdirSync(path.dirname(logPath))) if (n !== '0.log') rotatedSeen.add(n);
    }
    await manager.stop();
    manager = undefined;
    await sleep(500);
    stopFollow.abort();
    await following;

    const files = fs.readdirSync(path.dirname(logPath)).sort();
    for (const n of files.slice(1)) rotatedSeen.add(n);
    assert.ok(rotatedSeen.size >= 4, `at least four rotations, saw ${[...rotatedSeen].join(', ')}`);
    for (const n of rotatedSeen) assert.match(n, /^0\.log\.\d{8}-\d{6}$/);
    // The live file plus at most two rotated ones: the older ones were deleted.
    assert.equal(files[0], '0.log');
    assert.equal(files.length, 3, `files now: ${files.join(', ')}`);
    assert.deepEqual(files.slice(1), [...rotatedSeen].sort().slice(-2));
    // Bounded: the limit plus what one interval's writing adds (the writer makes well under 1 MiB a second).
    assert.ok(maxLive < maxSize + 1024 * 1024, `live log reached ${maxLive} bytes`);
    for (const f of files.slice(1)) assert.ok(fs.statSync(path.join(path.dirname(logPath), f)).size >= maxSize);

    // The reader: both rotated files then the live one, with no line lost or repeated across the rotations.
    const lines = await read(logPath);
    const nums = consecutive(lines);
    assert.ok(nums[0]! > 0, 'the oldest lines were rotated away and deleted');
    const inRotated = fs.readFileSync(path.join(path.dirname(logPath), files[1]!), 'utf8').split('\n').filter(Boolean).length;
    assert.ok(lines.length > inRotated, 'lines come from more than one file');
    // The follower saw every line written while it ran, across all the rotations (including those deleted since).
    const seen = consecutive(followed.split('\n').filter((l) => l !== ''));
    assert.ok(seen.length > nums.length, `the follower saw ${seen.length} lines, more than the ${nums.length} still on disk`);
    assert.ok(seen[0]! < nums[0]!, 'the follower read lines whose files were deleted since');
    // tailLines gives the newest lines, which keep coming while the container runs.
    await sleep(300);
    const tail = consecutive(await read(logPath, { tailLines: 10 }));
    assert.equal(tail.length, 10);
    assert.ok(tail[0]! > nums.at(-1)! - 10, `tail ${tail[0]} is at or after the end of the earlier read (${nums.at(-1)})`);

    await rt.stopContainer(id, 0);
    await rt.removeContainer(id);
    await rt.stopPodSandbox(sb);
    await rt.removePodSandbox(sb);
  });
});
