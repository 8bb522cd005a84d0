/**
 * The proxy's nftables table, rendered as text for `nft -f -`. The layout
 * is kube-proxy's nftables mode, cut down:
 *
 *   nat-prerouting / nat-output ─► services
 *       ip daddr . proto . port  vmap @service-ips      ─► svc-… | loc-… | ext-…
 *       (local address) proto . port vmap @service-nodeports ─► ext-…
 *   svc-ID   cluster endpoints: affinity hits first, then numgen random mod N
 *   loc-ID   the same over this node's endpoints (traffic policy Local)
 *   ext-ID   NodePort / external IP traffic: masquerade (policy Cluster), or
 *            keep the client address and use local endpoints (policy Local;
 *            pods and the node itself still go to every endpoint)
 *   ep-ID/IP/PORT  hairpin masquerade, affinity update, DNAT
 *   nat-postrouting ─► masquerade what mark-for-masquerade marked
 *   filter-input/forward/output ─► endpoints-check: a Service port with no
 *       endpoints at all is rejected (TCP reset, else ICMP port unreachable)
 *
 * Sync is a single transaction (atomic): flush every chain and map, write
 * them again, delete the chains and sets no longer wanted. Affinity sets are
 * not flushed (a table flush leaves set elements), so clients keep their
 * endpoints across syncs. The first sync of a process replaces the table
 * whole, since it cannot know what an earlier run left in it.
 */
import type { Endpoint, ServicePort } from './model.ts';

export const TABLE = 'bramble-proxy';
/** The bit mark-for-masquerade sets (kube-proxy's 0x4000). */
const MASQ_MARK = '0x00004000';

/** A rendered table: the text, and the names of the chains and sets in it. */
export interface Ruleset {
  text: string;
  chains: Set<string>;
  sets: Set<string>;
}

export interface RenderOptions {
  /** The cluster's pod CIDR (e.g. 10.42.0.0/16): traffic from it is not masqueraded to ClusterIPs. */
  clusterCIDR: string;
}

const MAPS = ['service-ips', 'service-nodeports', 'no-endpoint-services', 'no-endpoint-nodeports'];

export function renderRuleset(ports: ServicePort[], opts: RenderOptions): Ruleset {
  const chains = new Map<string, string[]>();
  const sets: string[] = [];
  const setNames = new Set<string>();
  const serviceIPs: string[] = [];
  const nodePorts: string[] = [];
  const noEpServices: string[] = [];
  const noEpNodePorts: string[] = [];
  // ClusterIP destinations we DNAT (not external IPs): the masquerade rule in `services` keys on them.
  const clusterKeys: string[] = [];

  for (const sp of ports) {
    const svcChain = `svc-${sp.id}`;
    const locChain = `loc-${sp.id}`;
    const extChain = `ext-${sp.id}`;
    const dest = (ip: string) => `${ip} . ${sp.protocol} . ${sp.port}`;
    const comment = `comment "${sp.namespace}/${sp.name}"`;

    // Endpoint chains are shared by the cluster and local chains.
    const epChain = (e: Endpoint) => `ep-${sp.id}/${e.ip}/${e.port}`;
    const affSet = (e: Endpoint) => `aff-${sp.id}/${e.ip}/${e.port}/${sp.affinitySeconds}`;
    const addEndpoint = (e: Endpoint) => {
      const name = epChain(e);
      if (chains.has(name)) return;
      const rules = [`ip saddr ${e.ip} jump mark-for-masquerade`]; // hairpin: the pod reached itself
      if (sp.affinitySeconds) {
        const set = affSet(e);
        setNames.add(set);
        sets.push(`set ${set} { type ipv4_addr; flags dynamic,timeout; timeout ${sp.affinitySeconds}s; }`);
        rules.push(`update @${set} { ip saddr }`);
      }
      rules.push(`meta l4proto ${sp.protocol} dnat to ${e.ip}:${e.port}`);
      chains.set(name, rules);
    };
    const balance = (name: string, eps: Endpoint[]) => {
      eps.forEach(addEndpoint);
      const rules: string[] = [];
      if (sp.affinitySeconds) for (const e of eps) rules.push(`ip saddr @${affSet(e)} goto ${epChain(e)}`);
      if (eps.length === 1) rules.push(`goto ${epChain(eps[0]!)}`);
      else rules.push(`numgen random mod ${eps.length} vmap { ${eps.map((e, i) => `${i} : goto ${epChain(e)}`).join(', ')} }`);
      chains.set(name, rules);
    };

    const hasCluster = sp.cluster.length > 0;
    const hasLocal = sp.local.length > 0;
    if (hasCluster) balance(svcChain, sp.cluster);
    if (hasLocal && (sp.internalLocal || sp.externalLocal)) balance(locChain, sp.local);

    // What the policies in use can reach; nothing at all means reject (as
    // kube-proxy), some endpoints but none for this policy means drop.
    const external = sp.nodePort > 0 || sp.externalIPs.length > 0;
    const reachable = (sp.internalLocal ? hasLocal : hasCluster) || (external && (sp.externalLocal ? hasLocal : hasCluster));
    if (!reachable) {
      noEpServices.push(`${dest(sp.clusterIP)} : goto reject-chain`);
      for (const ip of sp.externalIPs) noEpServices.push(`${dest(ip)} : goto reject-chain`);
      if (sp.nodePort) noEpNodePorts.push(`${sp.protocol} . ${sp.nodePort} : goto reject-chain`);
      continue;
    }

    // Internal traffic (to the ClusterIP).
    const internal = sp.internalLocal ? (hasLocal ? `goto ${locChain}` : 'drop') : hasCluster ? `goto ${svcChain}` : 'drop';
    serviceIPs.push(`${dest(sp.clusterIP)} : ${internal}`);
    clusterKeys.push(dest(sp.clusterIP));

    if (external) {
      const rules: string[] = [];
      if (sp.externalLocal) {
        // Keep the client's address; but pods and the node itself reach every endpoint.
        if (hasCluster) {
          rules.push(`ip saddr ${opts.clusterCIDR} goto ${svcChain} ${comment}`);
          rules.push(`fib saddr type local jump mark-for-masquerade`);
          rules.push(`fib saddr type local goto ${svcChain}`);
        }
        rules.push(hasLocal ? `goto ${locChain}` : 'drop');
      } else {
        rules.push(`jump mark-for-masquerade ${comment}`);
        rules.push(hasCluster ? `goto ${svcChain}` : 'drop');
      }
      chains.set(extChain, rules);
      for (const ip of sp.externalIPs) serviceIPs.push(`${dest(ip)} : goto ${extChain}`);
      if (sp.nodePort) nodePorts.push(`${sp.protocol} . ${sp.nodePort} : goto ${extChain}`);
    }
  }

  const base: [string, string[]][] = [
    ['nat-prerouting', ['type nat hook prerouting priority dstnat; policy accept;', 'jump services']],
    ['nat-output', ['type nat hook output priority -100; policy accept;', 'jump services']],
    ['nat-postrouting', ['type nat hook postrouting priority srcnat; policy accept;', 'jump masquerading']],
    ['filter-input', ['type filter hook input priority -110; policy accept;', 'ct state new jump endpoints-check']],
    ['filter-forward', ['type filter hook forward priority -110; policy accept;', 'ct state new jump endpoints-check']],
    ['filter-output', ['type filter hook output priority -110; policy accept;', 'ct state new jump endpoints-check']],
    [
      'services',
      [
        // Cluster IPs reached from outside the pod network (the node itself,
        // another host) are masqueraded so replies come back through us.
        `ip daddr . meta l4proto . th dport @service-ips-keys ip saddr != ${opts.clusterCIDR} jump mark-for-masquerade`,
        'ip daddr . meta l4proto . th dport vmap @service-ips',
        'fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports',
      ],
    ],
    [
      'endpoints-check',
      [
        'ip daddr . meta l4proto . th dport vmap @no-endpoint-services',
        'fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports',
      ],
    ],
    ['reject-chain', ['meta l4proto tcp reject with tcp reset', 'reject']],
    ['mark-for-masquerade', [`meta mark set meta mark or ${MASQ_MARK}`]],
    [
      'masquerading',
      [`meta mark and ${MASQ_MARK} == 0 return`, `meta mark set meta mark xor ${MASQ_MARK}`, 'masquerade fully-random'],
    ],
  ];

  const lines: string[] = [`table ip ${TABLE} {`];
  const elems = (xs: string[]) => (xs.length ? ` elements = { ${xs.join(', ')} }` : '');
  lines.push(`  set service-ips-keys { type ipv4_addr . inet_proto . inet_service;${elems(clusterKeys)} }`);
  lines.push(`  map service-ips { type ipv4_addr . inet_proto . inet_service : verdict;${elems(serviceIPs)} }`);
  lines.push(`  map service-nodeports { type inet_proto . inet_service : verdict;${elems(nodePorts)} }`);
  lines.push(`  map no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict;${elems(noEpServices)} }`);
  lines.push(`  map no-endpoint-nodeports { type inet_proto . inet_service : verdict;${elems(noEpNodePorts)} }`);
  for (const s of sets) lines.push(`  ${s}`);
  // Regular chains first: base chains jump to them.
  const all: [string, string[]][] = [...base.slice(6), ...chains, ...base.slice(0, 6)];
  for (const [name, rules] of all) {
    lines.push(`  chain ${name} {`);
    for (const r of rules) lines.push(`    ${r}`);
    lines.push('  }');
  }
  lines.push('}');
  return {
    text: lines.join('\n') + '\n',
    chains: new Set(all.map(([n]) => n)),
    sets: new Set([...setNames, 'service-ips-keys', ...MAPS]),
  };
}

/**
 * The transaction that moves the kernel from `prev` (what this process last
 * applied; undefined: unknown) to `next`.
 */
export function transaction(prev: Ruleset | undefined, next: Ruleset): string {
  const out = [`add table ip ${TABLE}`];
  if (!prev) {
    out.push(`delete table ip ${TABLE}`);
    out.push(next.text);
    return out.join('\n') + '\n';
  }
  out.push(`flush table ip ${TABLE}`); // every chain's rules; set elements stay
  out.push(`flush set ip ${TABLE} service-ips-keys`);
  for (const m of MAPS) out.push(`flush map ip ${TABLE} ${m}`);
  out.push(next.text);
  for (const c of prev.chains) if (!next.chains.has(c)) out.push(`delete chain ip ${TABLE} ${c}`);
  for (const s of prev.sets) if (!next.sets.has(s)) out.push(`delete set ip ${TABLE} ${s}`);
  return out.join('\n') + '\n';
}

/** Removes the table (and so every rule the proxy made). */
/**
 * A script that fails when the table (or its entry chain) is missing — after
 * `nft flush ruleset` (e.g. a restart of Debian's nftables service) or a
 * deleted table — and changes nothing otherwise. Listing one small chain is
 * cheap at any number of Services.
 */
export function presenceScript(): string {
  return `list chain ip ${TABLE} nat-prerouting\n`;
}

export function cleanupScript(): string {
  return `add table ip ${TABLE}\ndelete table ip ${TABLE}\n`;
}
