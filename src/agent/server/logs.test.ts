import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CriLogParser, formatTimestamp, logOptions, parseTimeNs, streamLogs, type LogOptions } from './logs.ts';
import { AgentStreamError } from './runtime.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blogs-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const base: LogOptions = { follow: false, timestamps: false, previous: false };

async function read(file: string, o: Partial<LogOptions>, running = async () => false): Promise<string> {
  let out = '';
  await streamLogs(file, { ...base, ...o }, { write: (s) => void (out += s), drained: async () => {}, closed: false }, running, new AbortController().signal);
  return out;
}

describe('CRI log files', () => {
  it('parses lines, joins partial ones and keeps both streams', () => {
    const p = new CriLogParser();
    const got = p.push('2026-11-22T03:10:48.962Z stdout P hel');
    assert.deepEqual(got, []);
    const rest = p.push('lo\n2026-11-22T03:10:48.963Z stdout F world\n2026-11-22T03:10:49Z stderr F oops\n');
    assert.deepEqual(rest.map((l) => l.text), ['helloworld\n', 'oops\n']);
    assert.equal(rest[0]!.time, '2026-11-22T03:10:48.963Z');
  });

  it('prints timestamps with nine fraction digits and parses them to nanoseconds', () => {
    assert.equal(formatTimestamp('2026-11-22T03:10:48.962Z'), '2026-11-22T03:10:48.962000000Z');
    assert.equal(formatTimestamp('2026-11-22T03:10:48Z'), '2026-11-22T03:10:48.000000000Z');
    assert.equal(formatTimestamp('2026-11-22T03:10:48.123456789+01:00'), '2026-11-22T03:10:48.123456789+01:00');
    assert.equal(parseTimeNs('1970-01-01T00:00:01.000000002Z'), 1_000_000_002n);
    assert.equal(parseTimeNs('yesterday'), undefined);
  });

  it('reads rotated files first, then tail, since, limitBytes and timestamps', async () => {
    const live = path.join(dir, '0.log');
    fs.writeFileSync(`${live}.20261122-030000`, '2026-11-22T03:00:00.1Z stdout F old-1\n2026-11-22T03:00:01Z stdout F old-2\n');
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(`${live}.20261122-030000`, past, past);
    fs.writeFileSync(`${live}.gz`, 'not read');
    fs.writeFileSync(live, '2026-11-22T03:00:02Z stdout F new-1\n2026-11-22T03:00:03Z stderr F new-2\n');
    assert.equal(await read(live, {}), 'old-1\nold-2\nnew-1\nnew-2\n');
    assert.equal(await read(live, { tailLines: 3 }), 'old-2\nnew-1\nnew-2\n');
    assert.equal(await read(live, { tailLines: 0 }), '');
    assert.equal(await read(live, { sinceNs: parseTimeNs('2026-11-22T03:00:01Z')! }), 'old-2\nnew-1\nnew-2\n');
    assert.equal(await read(live, { limitBytes: 8 }), 'old-1\nol');
    assert.equal(await read(live, { tailLines: 1, timestamps: true }), '2026-11-22T03:00:03.000000000Z new-2\n');
  });

  it('follows a growing file and ends once the container has stopped', async () => {
    const live = path.join(dir, 'f.log');
    fs.writeFileSync(live, '2026-11-22T03:00:00Z stdout F a\n');
    let running = true;
    const p = read(live, { follow: true }, async () => running);
    await new Promise((r) => setTimeout(r, 300));
    fs.appendFileSync(live, '2026-11-22T03:00:01Z stdout F b\n');
    await new Promise((r) => setTimeout(r, 400));
    // Rotation: the live file is renamed away and a new one starts.
    fs.renameSync(live, `${live}.1`);
    // The runtime writes on to the renamed file until it has reopened its log: those lines are read too.
    fs.appendFileSync(`${live}.1`, '2026-11-22T03:00:01.5Z stdout F b2\n');
    fs.writeFileSync(live, '2026-11-22T03:00:02Z stdout F c\n');
    await new Promise((r) => setTimeout(r, 400));
    running = false;
    assert.equal(await p, 'a\nb\nb2\nc\n');
  });

  it('rejects bad query values with coded errors', () => {
    assert.throws(() => logOptions(new URLSearchParams('tailLines=-1')), (e) => e instanceof AgentStreamError && e.code === 'BadRequest');
    assert.throws(() => logOptions(new URLSearchParams('sinceSeconds=5&sinceTime=2026-11-22T03:00:00Z')), /at most one/);
    const o = logOptions(new URLSearchParams('follow=true&timestamps=true&tailLines=3&sinceSeconds=10'), 1_000_000);
    assert.deepEqual(o, { follow: true, timestamps: true, previous: false, tailLines: 3, sinceNs: 990_000n * 1_000_000n });
  });
});
