/**
 * InterPodAffinity: required pod affinity (some matching pod must be in
 * the node's topology domain), required anti-affinity (none may be), and
 * the required anti-affinity of pods already placed (they keep matching
 * pods out of their domain); preferred terms of both sides score nodes.
 *
 * Upstream walks every pod on every node each cycle. Here the incoming
 * pod's terms are live queries on the cache's MatchIndex and existing pods'
 * terms are TermGroups, so a cycle costs O(distinct terms), not O(pods):
 * the replicas of one workload share both.
 */
import { nothing } from '../../api/selectors/label.ts';
import type { Obj } from '../../client/types.ts';
import type { PodQuery } from '../cache/match-index.ts';
import type { NodeCounts } from '../cache/node-counts.ts';
import type { NodeInfo } from '../cache/node-info.ts';
import { newPodInfo, type PodInfo } from '../cache/pod-info.ts';
import type { TermGroup, TermKind } from '../cache/term-groups.ts';
import { stateKey, type CycleState } from '../framework/cycle-state.ts';
import { Action, type ClusterEventWithHint } from '../framework/events.ts';
import { MAX_NODE_SCORE } from '../framework/framework.ts';
import type { EnqueueExtensions, FilterPlugin, Handle, NodeScore, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interfaces.ts';
import { ok, sharedRejection, skip, unresolvable, type Status } from '../framework/status.ts';
import { makeTerm, termMatches, type AffinityTerm } from '../util/affinity-term.ts';
import type { Labels } from '../util/node-affinity.ts';

export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";

/** Weight of existing pods' required affinity terms when scoring (upstream hardPodAffinityWeight). */
const HARD_POD_AFFINITY_WEIGHT = 1;

/** Matching pods per topology value, for one term's topology key. */
interface Domains {
  topologyKey: string;
  counts: ReadonlyMap<string, number>;
}

interface FilterState {
  affinityTerms: readonly AffinityTerm[];
  /** Per affinity term: pods matching all affinity terms, by domain; undefined without affinity terms. */
  affinity?: Domains[];
  /** No pod matching all affinity terms is in any domain of their topology keys. */
  affinityEmpty: boolean;
  anti: Domains[];
  existing: Domains[];
}

interface Contribution {
  topologyKey: string;
  counts: NodeCounts;
  factor: number;
}

const filterKey = stateKey<FilterState>('PreFilterInterPodAffinity');
const scoreKey = stateKey<Contribution[]>('PreScoreInterPodAffinity');

/** Pods matching one term (the incoming pod's, namespaces already resolved). */
function termQuery(t: AffinityTerm): PodQuery {
  return { key: `ipa-term:${t.key}`, matches: (p) => termMatches(t, p.namespace, p.labels, undefined) };
}

/** Pods matching every term (upstream podMatchesAllAffinityTerms). */
function allTermsQuery(terms: readonly AffinityTerm[]): PodQuery {
  return {
    key: `ipa-all:${terms.map((t) => t.key).join(';')}`,
    matches: (p) => terms.every((t) => termMatches(t, p.namespace, p.labels, undefined)),
  };
}

function hasPositive(m: ReadonlyMap<string, number>): boolean {
  for (const v of m.values()) if (v > 0) return true;
  return false;
}

function domainCount(counts: NodeCounts, topologyKey: string, node: NodeInfo): number {
  const v = node.labels[topologyKey];
  return v === undefined ? 0 : (counts.byDomain(topologyKey).get(v) ?? 0);
}

/** Whether any pod is counted in the node's domain (the maps are fixed for the cycle). */
function occupied(d: Domains, node: NodeInfo): boolean {
  const v = node.labels[d.topologyKey];
  return v !== undefined && (d.counts.get(v) ?? 0) > 0;
}

// Rejections are shared values: Filter runs per node and most nodes of a busy cluster reject.
const REJECT_AFFINITY = sharedRejection('UnschedulableAndUnresolvable', 'InterPodAffinity', [ERR_REASON_AFFINITY]);
const REJECT_ANTI = sharedRejection('Unschedulable', 'InterPodAffinity', [ERR_REASON_ANTI_AFFINITY]);
const REJECT_EXISTING = sharedRejection('Unschedulable', 'InterPodAffinity', [ERR_REASON_EXISTING_ANTI_AFFINITY]);

export class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = 'InterPodAffinity';
  private readonly h: Handle;

  constructor(handle: Handle) {
    this.h = handle;
  }

  /**
   * An incoming pod's namespaceSelector becomes the names of the namespaces
   * it selects, so matching needs no namespace labels (an empty selector
   * stays "all namespaces").
   */
  private resolve(t: AffinityTerm): AffinityTerm {
    if (t.nsSelector === nothing || t.nsSelector.empty) return t;
    return makeTerm([...t.namespaces, ...this.h.namespaces.matching(t.nsSelector)], nothing, t.selector, t.topologyKey);
  }

  private matchingGroups(kind: TermKind, pod: PodInfo, nsLabels: Labels | undefined): TermGroup[] {
    const out: TermGroup[] = [];
    for (const g of this.h.cache.groups.of(kind)) if (termMatches(g.term, pod.namespace, pod.labels, nsLabels)) out.push(g);
    return out;
  }

  preFilter(state: CycleState, pod: PodInfo): Status {
    if (pod.parseError) return unresolvable(`parsing pod: ${pod.parseError}`);
    const nsLabels = this.h.namespaces.labelsOf(pod.namespace);
    const existing = this.matchingGroups('requiredAntiAffinity', pod, nsLabels);
    if (existing.length === 0 && pod.requiredAffinityTerms.length === 0 && pod.requiredAntiAffinityTerms.length === 0) return skip;
    const affinityTerms = pod.requiredAffinityTerms.map((t) => this.resolve(t));
    const s: FilterState = {
      affinityTerms,
      affinityEmpty: true,
      anti: [],
      existing: existing.map((g) => ({ topologyKey: g.term.topologyKey, counts: g.counts.byDomain(g.term.topologyKey) })),
    };
    if (affinityTerms.length) {
      const counts = this.h.cache.matches.counts(allTermsQuery(affinityTerms));
      s.affinity = affinityTerms.map((t) => ({ topologyKey: t.topologyKey, counts: counts.byDomain(t.topologyKey) }));
      s.affinityEmpty = !s.affinity.some((d) => hasPositive(d.counts));
    }
    for (const t of pod.requiredAntiAffinityTerms) {
      const term = this.resolve(t);
      s.anti.push({ topologyKey: term.topologyKey, counts: this.h.cache.matches.counts(termQuery(term)).byDomain(term.topologyKey) });
    }
    state.write(filterKey, s);
    return ok;
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const s = state.mustRead(filterKey);
    if (s.affinity) {
      let podsExist = true;
      for (const d of s.affinity) {
        if (node.labels[d.topologyKey] === undefined) return REJECT_AFFINITY;
        if (!occupied(d, node)) podsExist = false;
      }
      // The first pod of a group with affinity to itself may go anywhere with the topology labels.
      if (!podsExist && !(s.affinityEmpty && s.affinityTerms.every((t) => termMatches(t, pod.namespace, pod.labels, undefined)))) return REJECT_AFFINITY;
    }
    for (const d of s.anti) if (occupied(d, node)) return REJECT_ANTI;
    for (const d of s.existing) if (occupied(d, node)) return REJECT_EXISTING;
    return ok;
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    if (pod.parseError) return skip;
    const nsLabels = this.h.namespaces.labelsOf(pod.namespace);
    const out: Contribution[] = [];
    const matches = this.h.cache.matches;
    for (const w of pod.preferredAffinityTerms) {
      const t = this.resolve(w.term);
      out.push({ topologyKey: t.topologyKey, counts: matches.counts(termQuery(t)), factor: w.weight });
    }
    for (const w of pod.preferredAntiAffinityTerms) {
      const t = this.resolve(w.term);
      out.push({ topologyKey: t.topologyKey, counts: matches.counts(termQuery(t)), factor: -w.weight });
    }
    for (const g of this.matchingGroups('requiredAffinity', pod, nsLabels)) out.push({ topologyKey: g.term.topologyKey, counts: g.counts, factor: HARD_POD_AFFINITY_WEIGHT });
    for (const g of this.matchingGroups('preferredAffinity', pod, nsLabels)) out.push({ topologyKey: g.term.topologyKey, counts: g.counts, factor: g.weight });
    for (const g of this.matchingGroups('preferredAntiAffinity', pod, nsLabels)) out.push({ topologyKey: g.term.topologyKey, counts: g.counts, factor: -g.weight });
    const live = out.filter((c) => c.factor !== 0 && hasPositive(c.counts.byDomain(c.topologyKey)));
    if (live.length === 0) return skip;
    state.write(scoreKey, live);
    return ok;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    let sum = 0;
    for (const c of state.mustRead(scoreKey)) sum += c.factor * domainCount(c.counts, c.topologyKey, node);
    return sum;
  }

  /** Min–max scaling to 0–100 (all equal → 0). */
  normalizeScore(_s: CycleState, _p: PodInfo, scores: NodeScore[]): void {
    let min = Infinity;
    let max = -Infinity;
    for (const s of scores) {
      if (s.score < min) min = s.score;
      if (s.score > max) max = s.score;
    }
    const diff = max - min;
    for (const s of scores) s.score = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (s.score - min)) / diff) : 0;
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      { event: { resource: 'Pod', actions: Action.Add | Action.UpdatePodLabel | Action.Delete }, hint: (pod, old, cur) => this.afterPodChange(pod, old, cur) },
      { event: { resource: 'Node', actions: Action.Add | Action.UpdateNodeLabel } },
    ];
  }

  /** Whether an assigned pod's arrival, relabelling or departure may lift this pod's rejection. */
  private afterPodChange(pod: PodInfo, old: Obj | undefined, cur: Obj | undefined): 'Queue' | 'QueueSkip' {
    const nsLabels = (o: Obj) => this.h.namespaces.labelsOf(o['metadata']?.namespace ?? '');
    const matchesAll = (terms: readonly AffinityTerm[], o: Obj) =>
      terms.length > 0 && terms.every((t) => termMatches(this.resolve(t), o['metadata']?.namespace ?? '', o['metadata']?.labels ?? {}, nsLabels(o)));
    const aff = pod.requiredAffinityTerms;
    const anti = pod.requiredAntiAffinityTerms;
    if (old && cur) {
      if (!matchesAll(aff, old) && matchesAll(aff, cur)) return 'Queue';
      if (matchesAll(anti, old) && !matchesAll(anti, cur)) return 'Queue';
      return 'QueueSkip';
    }
    if (cur) return matchesAll(aff, cur) ? 'Queue' : 'QueueSkip';
    if (!old) return 'QueueSkip';
    if (matchesAll(anti, old)) return 'Queue';
    // A departing pod whose own anti-affinity kept this one out also helps.
    const gone = newPodInfo(old);
    const podNs = this.h.namespaces.labelsOf(pod.namespace);
    return gone.requiredAntiAffinityTerms.some((t) => termMatches(t, pod.namespace, pod.labels, podNs)) ? 'Queue' : 'QueueSkip';
  }
}
