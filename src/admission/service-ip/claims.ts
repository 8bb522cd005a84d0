/**
 * Allocation claims in storage, for several API servers on one datastore
 * (HA). The allocator's in-process lock and reservations cover the writes
 * of one server; two servers admitting Service creates at once could still
 * pick the same free value from the same stored Services. So, before a write
 * is admitted, each value it takes is claimed under
 * `/registry/bramble/allocations/{ip,port}/<value>` with a compare-and-swap:
 * the Backend's create-if-absent, or its update at the expected revision to
 * take over a claim that has expired or is the same Service's. Whoever loses
 * the race sees the other's live claim and picks another value (or gets
 * upstream's "already allocated" error for a requested one).
 *
 * Stored Services stay the truth: a claim only covers the seconds between
 * admission and commit. Claims are never swept in the background (no writes
 * when nothing changes): an expired one is simply taken over, and a deleted
 * Service's claims are removed when its delete is admitted. Expiry compares
 * wall clocks across servers, which must be roughly in sync (as Leases need
 * anyway).
 */
import type { Backend } from '../../storage/backend.ts';
import type { Owner } from './allocator.ts';

export interface ClaimStore {
  /** Claims `value` (`ip:<addr>` or `port:<n>`) for `owner` until `expires`; false if another owner holds it unexpired at `now`. */
  claim(value: string, owner: Owner, expires: number, now: number): Promise<boolean>;
  /** Values other owners hold unexpired at `now` (read after a lost claim, so the next round avoids them all). */
  heldByOthers(owner: Owner, now: number): Promise<Set<string>>;
  /** Removes the owner's claims on these values (others' claims are left alone). */
  release(values: readonly string[], owner: Owner): Promise<void>;
}

interface ClaimRecord {
  owner: string;
  uid: string;
  expires: number;
}

export const claimPrefix = '/registry/bramble/allocations/';

/** `ip:10.43.0.5` → `/registry/bramble/allocations/ip/10.43.0.5`. */
export function claimKey(value: string): string {
  const i = value.indexOf(':');
  return `${claimPrefix}${value.slice(0, i)}/${value.slice(i + 1)}`;
}

function parse(text: string): ClaimRecord | undefined {
  try {
    const r = JSON.parse(text);
    return typeof r?.uid === 'string' && typeof r?.expires === 'number' ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Claims over a Backend (the shared datastore). */
export function backendClaims(backend: Backend): ClaimStore {
  return {
    async claim(value, owner, expires, now) {
      const key = claimKey(value);
      const text = JSON.stringify({ owner: owner.key, uid: owner.uid, expires } satisfies ClaimRecord);
      // A lost compare-and-swap means someone else wrote the claim meanwhile: look again.
      for (let attempt = 0; attempt < 5; attempt++) {
        const { kv } = await backend.get(key);
        if (!kv) {
          if ((await backend.create(key, text)).ok) return true;
          continue;
        }
        const cur = parse(kv.value);
        if (cur && cur.uid !== owner.uid && cur.expires > now) return false;
        if ((await backend.update(key, text, kv.modRevision)).ok) return true;
      }
      return false;
    },
    async heldByOthers(owner, now) {
      const out = new Set<string>();
      const { kvs } = await backend.list(claimPrefix);
      for (const kv of kvs) {
        const r = parse(kv.value);
        if (!r || r.uid === owner.uid || r.expires <= now) continue;
        const rest = kv.key.slice(claimPrefix.length);
        const i = rest.indexOf('/');
        out.add(`${rest.slice(0, i)}:${rest.slice(i + 1)}`);
      }
      return out;
    },
    async release(values, owner) {
      for (const value of values) {
        const key = claimKey(value);
        const { kv } = await backend.get(key);
        if (kv && parse(kv.value)?.uid === owner.uid) await backend.delete(key, kv.modRevision);
      }
    },
  };
}
