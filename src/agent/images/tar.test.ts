import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TarError, writeTar } from './tar.ts';

describe('tar writer', () => {
  it('writes archives GNU tar lists and extracts exactly', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bramble-tar-'));
    try {
      const long = 'd'.repeat(90) + '/' + 'f'.repeat(60);
      const tar = writeTar([
        { name: 'bin', type: 'dir' },
        { name: 'bin/tool', type: 'file', mode: 0o755, data: new TextEncoder().encode('#!/bin/sh\necho hi\n') },
        { name: 'bin/alias', type: 'symlink', target: '/bin/tool' },
        { name: 'tmp/', type: 'dir', mode: 0o1777 },
        { name: 'empty', type: 'file' },
        { name: 'd'.repeat(90), type: 'dir' },
        { name: long, type: 'file', data: new Uint8Array(513).fill(7), uid: 65534, gid: 65534 },
      ]);
      assert.equal(tar.length % 512, 0);
      const file = path.join(dir, 'a.tar');
      fs.writeFileSync(file, tar);
      const listing = execFileSync('tar', ['-tvf', file, '--numeric-owner'], { encoding: 'utf8' });
      assert.match(listing, /^drwxr-xr-x 0\/0 +0 1970-01-01 00:00 bin\/$/m);
      assert.match(listing, /^-rwxr-xr-x 0\/0 +18 1970-01-01 00:00 bin\/tool$/m);
      assert.match(listing, /^lrwxrwxrwx 0\/0 +0 1970-01-01 00:00 bin\/alias -> \/bin\/tool$/m);
      assert.match(listing, /^drwxrwxrwt 0\/0 .* tmp\/$/m);
      assert.match(listing, new RegExp(`^-rw-r--r-- 65534/65534 +513 .* ${long}$`, 'm'));
      const x = path.join(dir, 'x');
      fs.mkdirSync(x);
      execFileSync('tar', ['-xf', file, '-C', x]);
      assert.equal(fs.readFileSync(path.join(x, 'bin/tool'), 'utf8'), '#!/bin/sh\necho hi\n');
      assert.equal(fs.readlinkSync(path.join(x, 'bin/alias')), '/bin/tool');
      assert.deepEqual(fs.readFileSync(path.join(x, long)), Buffer.alloc(513, 7));
      assert.equal(fs.statSync(path.join(x, 'empty')).size, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is deterministic', () => {
    const entries = [{ name: 'a', type: 'file' as const, data: new Uint8Array([1, 2, 3]) }];
    assert.deepEqual(writeTar(entries), writeTar(entries));
  });

  it('rejects names ustar cannot hold', () => {
    assert.throws(() => writeTar([{ name: 'x'.repeat(101), type: 'file' }]), TarError);
    assert.throws(() => writeTar([{ name: 'l', type: 'symlink', target: '/'.repeat(101) }]), TarError);
  });
});
