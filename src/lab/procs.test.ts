import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { namesDir } from './procs.ts';

describe('lab: which processes belong to a board', () => {
  const dir = '/tmp/lab/boards/board-1/data';
  it('matches the data dir, paths under it, and --flag= forms of either', () => {
    assert.equal(namesDir(dir, dir), true);
    assert.equal(namesDir(`${dir}/agent/containerd/containerd.sock`, dir), true);
    // etcd's own spelling: a kill that missed it left a board's etcd member running after its "power cut".
    assert.equal(namesDir(`--data-dir=${dir}/server/db/etcd`, dir), true);
    assert.equal(namesDir(`--data-dir=${dir}`, dir), true);
  });
  it('does not match another board whose name starts alike, nor a path merely containing the dir', () => {
    assert.equal(namesDir('/tmp/lab/boards/board-1/data2', dir), false);
    assert.equal(namesDir('/tmp/lab/boards/board-10/data', dir), false);
    assert.equal(namesDir(`--data-dir=/tmp/lab/boards/board-10/data`, dir), false);
    assert.equal(namesDir(`/x${dir}`, dir), false);
  });
});
