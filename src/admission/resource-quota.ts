/**
 * The ResourceQuota admission plugin (validating), after upstream's
 * plugin/pkg/admission/resourcequota: a write that would take a namespace
 * over a quota's `status.hard` is refused with 403 and upstream's message
 * (`exceeded quota: …, requested: …, used: …, limited: …`); a pod missing a
 * request or limit a quota tracks is refused (`failed quota: …: must
 * specify …`). An admitted write is charged to `status.used` of every
 * quota it counts against, by a compare-and-swap on the quota (its
 * resourceVersion), so concurrent writes cannot both take the last unit:
 * the loser re-reads the quota and is checked again. Writes in one
 * namespace are also serialised in-process, which keeps such retries rare.
 *
 * As upstream, usage is charged before the object is stored; a write that
 * then fails leaves the quota over-charged until the quota controller
 * recounts it.
 */
import { errors, isApiError } from '../api/errors.ts';
import { InProcessClient } from '../client/in-process.ts';
import { resources } from '../client/types.ts';
import type { AdmissionPlugin, AdmissionRequest } from '../registry/admission.ts';
import type { Registry } from '../registry/registry.ts';
import type { Obj } from '../registry/types.ts';
import type { ControllerConfig } from '../controllers/manager.ts';
import { add, exceeding, mask, negatives, prettyPrint, removeZeros, subtractNonNegative, toJSON, toList } from './resource-quota-resources.ts';
import { quotaScopes } from './resource-quota-scopes.ts';
import { evaluatorFor, type Evaluator } from './resource-quota-usage.ts';

export interface QuotaAccess {
  /** Live (not cached) quotas of a namespace. */
  list(namespace: string): Promise<Obj[]>;
  /** Writes `status` with the quota's resourceVersion as precondition; a lost race is a thrown 409. */
  updateStatus(quota: Obj): Promise<void>;
}

/**
 * The name upstream puts in admission refusals: a generated name is not
 * known yet when upstream's admission runs, so it shows the generateName
 * prefix (`pods "web-6d4cf56db6-" is forbidden: …`).
 */
export function nameForMessage(obj: Obj, name: string): string {
  const gen: string | undefined = obj['metadata']?.generateName;
  return gen && name.startsWith(gen) && name.length === gen.length + 5 ? gen : name;
}

const sortedNames = (names: Iterable<string>) => [...names].sort().join(',');

/**
 * Checks one write against the quotas; returns the quotas whose
 * `status.used` must grow (copies, with the new usage), or throws 403.
 */
export function checkRequest(req: AdmissionRequest, ev: Evaluator, quotas: Obj[], now: number): Obj[] {
  const forbid = (why: string) => errors.forbidden(req.resource, nameForMessage(req.object, req.name), why);
  const obj = req.object;
  const interesting: Obj[] = [];
  for (const q of quotas) {
    if (!ev.matchesScopes(quotaScopes(q), obj)) continue;
    const hard = toList(q['status']?.hard);
    const restricted = ev.matching([...hard.keys()]);
    if (restricted.length === 0) continue;
    const failed = ev.constraints?.(restricted, obj);
    if (failed) throw forbid(`failed quota: ${q['metadata'].name}: ${failed}`);
    const used = q['status']?.used ?? {};
    if (restricted.some((r) => !(r in used))) throw forbid(`status unknown for quota: ${q['metadata'].name}, resources: ${sortedNames(restricted)}`);
    interesting.push(q);
  }
  if (interesting.length === 0) return [];
  let delta = ev.usage(obj, now);
  const neg = negatives(delta);
  if (neg.length) throw forbid(`quota usage is negative for resource(s): ${sortedNames(neg)}`);
  if (req.operation === 'UPDATE' && req.oldObject?.['metadata']?.resourceVersion) delta = subtractNonNegative(delta, ev.usage(req.oldObject, now));
  delta = removeZeros(delta);
  if (delta.size === 0) return [];
  const out: Obj[] = [];
  for (const q of interesting) {
    const hard = toList(q['status']?.hard);
    const used = toList(q['status']?.used);
    const requested = mask(delta, hard.keys());
    if (requested.size === 0) continue;
    const newUsage = add(used, requested);
    const over = exceeding(mask(newUsage, requested.keys()), hard);
    if (over.length) {
      throw forbid(
        `exceeded quota: ${q['metadata'].name}, requested: ${prettyPrint(mask(requested, over))}, used: ${prettyPrint(mask(used, over))}, limited: ${prettyPrint(mask(hard, over))}`,
      );
    }
    const next = structuredClone(q);
    next['status'] = { ...next['status'], used: toJSON(newUsage) };
    out.push(next);
  }
  return out;
}

export function newResourceQuotaPlugin(access: QuotaAccess, opts: { now?: () => number; retries?: number } = {}): AdmissionPlugin {
  const now = opts.now ?? Date.now;
  const retries = opts.retries ?? 3;
  const locks = new Map<string, Promise<unknown>>();

  const serialised = async <T>(namespace: string, fn: () => Promise<T>): Promise<T> => {
    const prev = locks.get(namespace) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    locks.set(namespace, tail);
    try {
      return await run;
    } finally {
      if (locks.get(namespace) === tail) locks.delete(namespace);
    }
  };

  return {
    name: 'ResourceQuota',
    async validate(req) {
      if (req.operation === 'DELETE' || !req.namespace) return;
      const ev = evaluatorFor(req.resource);
      if (!ev.handles(req.operation, req.subresource)) return;
      // Most namespaces have no quota: answer without taking the lock.
      if ((await access.list(req.namespace)).length === 0) return;
      await serialised(req.namespace, async () => {
        let only: Set<string> | undefined;
        let lastErr: unknown;
        for (let attempt = 0; attempt <= retries; attempt++) {
          const quotas = (await access.list(req.namespace)).filter((q) => !only || only.has(q['metadata'].name));
          const charged = checkRequest(req, ev, quotas, now());
          if (charged.length === 0 || req.dryRun) return;
          const failed: string[] = [];
          for (const q of charged) {
            try {
              await access.updateStatus(q);
            } catch (e) {
              if (isApiError(e, 'NotFound')) continue;
              if (!isApiError(e, 'Conflict')) throw e;
              lastErr = e;
              failed.push(q['metadata'].name);
            }
          }
          if (failed.length === 0) return;
          // Only the quotas whose charge was lost are checked again.
          only = new Set(failed);
        }
        throw lastErr;
      });
    },
  };
}

const quotaUser = { name: 'system:apiserver', groups: ['system:masters'], via: 'token' as const };

/** The factory `src/admission/index.ts` lists. */
export function resourceQuotaAdmission(registry: Registry, _config: ControllerConfig): AdmissionPlugin {
  const client = new InProcessClient(registry, quotaUser);
  return newResourceQuotaPlugin({
    list: async (namespace) => (await client.list(resources.resourcequotas, namespace)).items,
    updateStatus: async (quota) => {
      await client.update(resources.resourcequotas, quota['metadata'].namespace, quota, { subresource: 'status', fieldManager: 'resource-quota-admission' });
    },
  });
}
