import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openSqliteBackend } from '../../storage/sqlite/sqlite.ts';
import type { Backend } from '../../storage/backend.ts';
import type { Obj } from '../../registry/types.ts';
import { Registry } from '../../registry/registry.ts';
import { createHooks } from '../../server/hooks.ts';
import { InProcessClient } from '../../client/in-process.ts';
import { resources } from '../../client/types.ts';
import { defaultControllerConfig } from '../../controllers/manager.ts';
import { systemUser } from '../../../test/harness/registry.ts';
import { ServiceAllocator } from './allocator.ts';
import { backendClaims, claimKey } from './claims.ts';
import { serviceIPAdmission } from './admission.ts';

describe('Service allocation across API servers sharing a datastore', () => {
  let dir: string;
  let backend: Backend;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bramble-claims-'));
    backend = await openSqliteBackend({ path: path.join(dir, 'state.db'), writer: 'inline', compactIntervalMs: 0 });
  });
  after(async () => {
    await backend?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Two "servers": allocators over the same stored Services (committed a little after admission) and, with claims, the same backend. */
  async function race(withClaims: boolean, n: number): Promise<{ ips: string[]; ports: number[] }> {
    const stored: Obj[] = [];
    const servers = [0, 1].map(
      () =>
        new ServiceAllocator({
          serviceCIDR: '10.43.0.0/24',
          nodePortRange: [30000, 30300],
          listServices: async () => [...stored],
          // Without claims, the worst case: both servers scan from the same start. With them, the
          // random start of real allocation (a shared fixed start makes the servers chase each other's claims).
          random: withClaims ? Math.random : () => 0,
          claims: withClaims ? backendClaims(backend) : undefined,
        }),
    );
    const ips: string[] = [];
    const ports: number[] = [];
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const owner = { key: `ns/svc-${withClaims}-${i}`, uid: `uid-${withClaims}-${i}` };
        const [ip, port] = await servers[i % 2]!.run(owner, { dryRun: false, excludeOwner: false }, (t) => [t.nextIP()!, t.nextPort()!] as const);
        ips.push(ip);
        ports.push(port);
        // The write commits a moment after admission.
        await new Promise((r) => setTimeout(r, Math.random() * 5));
        stored.push({ metadata: { namespace: 'ns', name: owner.key.slice(3), uid: owner.uid }, spec: { type: 'NodePort', clusterIPs: [ip], ports: [{ nodePort: port }] } });
      }),
    );
    return { ips, ports };
  }

  it('without storage claims two servers do hand out the same values (what the claims are for)', async () => {
    const { ips, ports } = await race(false, 20);
    assert.ok(new Set(ips).size < ips.length && new Set(ports).size < ports.length);
  });

  it('with storage claims, many racing creates on two servers never share a cluster IP or node port', async () => {
    const { ips, ports } = await race(true, 120);
    assert.equal(new Set(ips).size, ips.length, 'duplicate cluster IP');
    assert.equal(new Set(ports).size, ports.length, 'duplicate node port');
    assert.ok(ips.every((ip) => ip !== undefined) && ports.every((p) => p !== undefined));
  });

  it('a requested value claimed by another server is "allocated"; an expired claim is taken over; a released one is free', async () => {
    // Its own range: the claims of the race above stay in the shared store.
    let now = 1_000_000;
    const make = () => new ServiceAllocator({ serviceCIDR: '10.45.0.0/24', nodePortRange: [30000, 30300], listServices: async () => [], now: () => now, claims: backendClaims(backend) });
    const a = make();
    const b = make();
    const ownerA = { key: 'ns/a', uid: 'ua' };
    const ownerB = { key: 'ns/b', uid: 'ub' };
    assert.equal(await a.run(ownerA, { dryRun: false, excludeOwner: false }, (t) => t.claimIP('10.45.0.200')), undefined);
    assert.equal(await b.run(ownerB, { dryRun: false, excludeOwner: false }, (t) => t.claimIP('10.45.0.200')), 'allocated');
    assert.equal((await backend.get(claimKey('ip:10.45.0.200'))).kv !== undefined, true);
    now += 31_000; // past the 30 s claim: a's write never committed
    assert.equal(await b.run(ownerB, { dryRun: false, excludeOwner: false }, (t) => t.claimIP('10.45.0.200')), undefined);
    // b's Service is deleted: forget releases its claim at once, for any server.
    b.forget('ns/b', { metadata: { uid: 'ub' }, spec: { clusterIPs: ['10.45.0.200'] } });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await backend.get(claimKey('ip:10.45.0.200'))).kv, undefined);
    assert.equal(await a.run(ownerA, { dryRun: false, excludeOwner: false }, (t) => t.claimIP('10.45.0.200')), undefined);
  });

  it('through admission: two registries on one backend create Services concurrently without duplicates', async () => {
    const config = { ...defaultControllerConfig, serviceCIDR: '10.44.0.0/24', nodePortRange: [31000, 31200] as const, sharedDatastore: true };
    const clients = [0, 1].map(() => {
      const registry = new Registry(backend, createHooks({ nodePortRange: config.nodePortRange }));
      registry.admission.push(serviceIPAdmission(registry, config));
      return new InProcessClient(registry, systemUser);
    });
    await clients[0]!.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'race' } }).catch(() => undefined);
    const made = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        clients[i % 2]!.create(resources.services, 'race', {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: `s${i}` },
          // Every fourth asks for the same IP: exactly one of those may get it.
          spec: { type: 'NodePort', ...(i % 4 === 0 ? { clusterIP: '10.44.0.77' } : {}), ports: [{ port: 80 }] },
        }).then((o) => o, (e: Error) => e),
      ),
    );
    const ok = made.filter((m): m is Obj => !(m instanceof Error));
    const failed = made.filter((m): m is Error => m instanceof Error);
    assert.equal(ok.filter((s) => s['spec'].clusterIP === '10.44.0.77').length, 1);
    assert.equal(failed.length, 9, failed.map((e) => e.message).join('; '));
    for (const e of failed) assert.match(e.message, /provided IP is already allocated/);
    const ips = ok.map((s) => s['spec'].clusterIP);
    const ports = ok.map((s) => s['spec'].ports[0].nodePort);
    assert.equal(new Set(ips).size, ips.length, 'duplicate cluster IP');
    assert.equal(new Set(ports).size, ports.length, 'duplicate node port');
  });
});
