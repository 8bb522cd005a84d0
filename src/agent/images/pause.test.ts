import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hostPlatform } from './oci-layout.ts';
import { pauseBinary, pauseImage, PAUSE_IMAGE } from './pause.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Starts the program, waits until it sleeps, sends `signal`; resolves with how it ended. */
async function runAndSignal(file: string, signal: NodeJS.Signals): Promise<{ code: number | null; signal: string | null }> {
  const child = spawn(file, [], { stdio: 'ignore' });
  try {
    // It is ready once it is blocked in rt_sigtimedwait with the signals masked.
    for (let i = 0; i < 100; i++) {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      if (/^SigBlk:\s*0*4002$/m.test(status)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const done = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, sig) => r({ code, signal: sig })));
    child.kill(signal);
    return await done;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe('pause program', () => {
  it('is the reviewed machine code for both architectures', () => {
    // Pinned after disassembly (objdump) of both and running the arm64 one
    // under qemu-aarch64; a change here must be reviewed the same way.
    assert.equal(sha(pauseBinary('amd64')), 'be8eba1571d906858ccaa4d7446ea852bd255408d2ff37dab1118646f819d460');
    assert.equal(sha(pauseBinary('arm64')), 'a773a9fd429dcb15d5b1f8f8f531653fe2b3bb0790f1b581858f271ea60aa067');
    assert.throws(() => pauseBinary('riscv64'));
  });

  it('runs on this host, sleeps, and exits 0 on SIGTERM and SIGINT', async () => {
    const arch = hostPlatform().architecture;
    assert.ok(arch === 'amd64' || arch === 'arm64', `bramble supports amd64 and arm64 hosts, not ${arch}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-pause-'));
    try {
      const file = path.join(dir, 'pause');
      fs.writeFileSync(file, pauseBinary(arch), { mode: 0o755 });
      assert.deepEqual(await runAndSignal(file, 'SIGTERM'), { code: 0, signal: null });
      assert.deepEqual(await runAndSignal(file, 'SIGINT'), { code: 0, signal: null });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is packaged as a multi-platform image', () => {
    const img = pauseImage();
    assert.equal(img.target.annotations!['io.containerd.image.name'], PAUSE_IMAGE);
    assert.deepEqual(pauseImage().tar, img.tar);
  });
});
