import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decode, encode, ProtoError } from './codec.ts';
import { criSchema, decodeCri, encodeCri } from './index.ts';
import { parseSchema, SchemaError } from './schema.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const ascii = (s: string) => Buffer.from(s).toString('hex');

describe('CRI protobuf codec', () => {
  it('parses the whole runtime.v1 schema with every type resolved', () => {
    const s = criSchema();
    assert.ok(s.messages.size > 80);
    assert.equal(s.messages.get('ContainerConfig')!.byNo.get(15)!.name, 'linux');
    assert.equal(s.messages.get('ContainerStatus')!.byNo.get(3)!.kind, 'enum');
  });

  // Expected bytes worked out by hand from the protobuf encoding rules.
  const cases: { name: string; type: string; value: object; wire: string }[] = [
    {
      name: 'strings',
      type: 'VersionResponse',
      value: { version: '0.1.0', runtimeName: 'containerd' },
      wire: `0a05${ascii('0.1.0')} 120a${ascii('containerd')}`,
    },
    {
      name: 'negative int64 as ten bytes, large varint',
      type: 'LinuxContainerResources',
      value: { cpuQuota: -1, memoryLimitInBytes: 104857600 },
      wire: '10ffffffffffffffffff01 2080808032',
    },
    { name: 'map<string,string>', type: 'PodSandboxConfig', value: { labels: { a: 'b' } }, wire: '3206 0a0161 120162' },
    { name: 'packed repeated int32', type: 'PortForwardRequest', value: { port: [80, 443] }, wire: '1203 50bb03' },
    { name: 'enum by name', type: 'PortMapping', value: { protocol: 'UDP', containerPort: 53 }, wire: '0801 1035' },
    { name: 'defaults are omitted', type: 'PortMapping', value: { protocol: 'TCP', hostPort: 0, hostIp: '' }, wire: '' },
    {
      name: 'nested messages, present even when empty',
      type: 'ContainerConfig',
      value: { metadata: { name: 'c', attempt: 1 }, linux: {} },
      wire: `0a05 0a0163 1001 7a00`,
    },
    { name: 'repeated strings', type: 'ExecSyncRequest', value: { containerId: 'x', cmd: ['echo', 'hi'], timeout: 5 }, wire: `0a0178 1204${ascii('echo')} 1202${ascii('hi')} 1805` },
    { name: 'explicit zero in a wrapper', type: 'LinuxContainerSecurityContext', value: { runAsUser: { value: 0 } }, wire: '2a00' },
    { name: 'bool', type: 'StatusRequest', value: { verbose: true }, wire: '0801' },
    { name: 'negative int32', type: 'ExecSyncResponse', value: { exitCode: -2 }, wire: '18feffffffffffffffff01' },
  ];
  for (const c of cases) {
    it(`encodes ${c.name}`, () => {
      assert.equal(hex(encodeCri(c.type, c.value)), c.wire.replace(/\s+/g, ''));
    });
  }

  it('decodes back what it encodes, with proto3 defaults filled', () => {
    const v = decodeCri<Record<string, unknown>>('ContainerConfig', encodeCri('ContainerConfig', { metadata: { name: 'c' }, command: ['sh'], envs: [{ key: 'A', value: '1' }], labels: { x: 'y' } }));
    assert.deepEqual(v.metadata, { name: 'c', attempt: 0 });
    assert.deepEqual(v.command, ['sh']);
    assert.deepEqual(v.args, []);
    assert.deepEqual(v.envs, [{ key: 'A', value: '1' }]);
    assert.deepEqual(v.labels, { x: 'y' });
    assert.equal(v.workingDir, '');
    assert.equal(v.tty, false);
    assert.equal(v.linux, undefined, 'an absent message stays undefined');
    const r = decodeCri<Record<string, number>>('LinuxContainerResources', encodeCri('LinuxContainerResources', { cpuQuota: -1, oomScoreAdj: -997, memoryLimitInBytes: 2 ** 40 }));
    assert.equal(r.cpuQuota, -1);
    assert.equal(r.oomScoreAdj, -997);
    assert.equal(r.memoryLimitInBytes, 2 ** 40);
    const e = decodeCri<{ stdout: Uint8Array; exitCode: number }>('ExecSyncResponse', encodeCri('ExecSyncResponse', { stdout: new TextEncoder().encode('hi\n'), exitCode: -2 }));
    assert.equal(Buffer.from(e.stdout).toString(), 'hi\n');
    assert.equal(e.exitCode, -2);
  });

  it('keeps nanosecond timestamps to within their float precision', () => {
    const ns = 1_763_780_000_123_456_789;
    const v = decodeCri<{ createdAt: number }>('PodSandbox', encodeCri('PodSandbox', { createdAt: ns }));
    assert.ok(Math.abs(v.createdAt - ns) < 512);
  });

  it('accepts unpacked repeated numbers and skips unknown fields', () => {
    assert.deepEqual(decodeCri<{ port: number[] }>('PortForwardRequest', bytes('1050 10bb03 4801')).port, [80, 443]);
    const v = decodeCri<{ version: string }>('VersionResponse', bytes(`0a01${ascii('v')} 9801 2a 7a03616263`));
    assert.equal(v.version, 'v');
  });

  it('decodes an unknown enum value as its number and a map entry with its value absent', () => {
    assert.equal(decodeCri<{ state: unknown }>('ContainerStatus', bytes('1807')).state, 7);
    assert.deepEqual(decodeCri<{ labels: unknown }>('PodSandbox', bytes('2a03 0a0161')).labels, { a: '' });
  });

  it('rejects malformed bytes with MALFORMED', () => {
    for (const h of ['0a05616263', '08', '0b', '0a0f', '0801'.replace('08', '0a')]) {
      assert.throws(() => decodeCri('VersionResponse', bytes(h)), (e: unknown) => e instanceof ProtoError && e.code === 'MALFORMED', h);
    }
    // A length-delimited payload where a varint belongs.
    assert.throws(() => decodeCri('StatusRequest', bytes('0a00')), (e: unknown) => e instanceof ProtoError && e.code === 'MALFORMED');
  });

  it('rejects values that do not fit their field with INVALID_VALUE', () => {
    const bad: [string, object][] = [
      ['PortMapping', { containerPort: '80' }],
      ['PortMapping', { containerPort: 2 ** 31 }],
      ['PortMapping', { protocol: 'ICMP' }],
      ['PodSandboxMetadata', { attempt: -1 }],
      ['ContainerConfig', { command: 'sh' }],
      ['ContainerConfig', { metadata: 'c' }],
      ['StatusRequest', { verbose: 1 }],
      ['LinuxContainerResources', { cpuShares: 1.5 }],
    ];
    for (const [type, value] of bad) {
      assert.throws(() => encodeCri(type, value), (e: unknown) => e instanceof ProtoError && e.code === 'INVALID_VALUE', JSON.stringify(value));
    }
    assert.throws(() => encodeCri('NoSuchThing', {}), (e: unknown) => e instanceof ProtoError && e.code === 'UNKNOWN_TYPE');
  });

  it('schema texts are checked when parsed', () => {
    assert.throws(() => parseSchema('A\n  b 1 Missing\n'), SchemaError);
    assert.throws(() => parseSchema('A\n  b 1 string\n  c 1 string\n'), SchemaError);
    assert.throws(() => parseSchema('enum E A=1\n'), SchemaError);
    const s = parseSchema('enum E Z=0 A=1\nM\n  e 1 []E\n  d 2 double\n  m 3 {}M\n');
    const v = decode<Record<string, unknown>>(s, 'M', encode(s, 'M', { e: ['A', 'Z'], d: 1.5, m: { k: { d: -2 } } }));
    assert.deepEqual(v, { e: ['A', 'Z'], d: 1.5, m: { k: { e: [], d: -2, m: {} } } });
  });
});

describe('uint64s (exact 64-bit ids as decimal strings)', () => {
  const s = parseSchema('M\n  id 1 uint64s\n  ids 2 []uint64s\n');
  it('round-trips values above 2^53 exactly, and omits 0', () => {
    const big = '18446744073709551615';
    const wire = encode(s, 'M', { id: big, ids: ['1', '9007199254740993'] });
    assert.equal(hex(wire).slice(0, 22), '08ffffffffffffffffff01');
    assert.deepEqual(decode(s, 'M', wire), { id: big, ids: ['1', '9007199254740993'] });
    assert.equal(hex(encode(s, 'M', { id: '0' })), '');
    assert.deepEqual(decode(s, 'M', new Uint8Array(0)), { id: '0', ids: [] });
  });
  it('refuses what is not a uint64 in decimal', () => {
    for (const id of ['-1', '18446744073709551616', '1e3', 5]) assert.throws(() => encode(s, 'M', { id }), ProtoError);
  });
});
