/**
 * HTTP through a ClusterIP vs the same pod by its pod IP, on a real board
 * (issue 5: ClusterIP req/s ≥ 0.95 × pod IP req/s). Root; hold the e2e lock:
 *
 *   flock /tmp/bramble-e2e.lock node_modules/.bin/node bench/cluster-ip.ts
 *       [--rounds=6] [--seconds=10] [--connections=32] [--threads=1]
 *       [--from=pod,node] [--pod-node=board-1] [--control=on|off] [--close-rounds=3]
 *       [--quick] [--json] [--no-wait]
 *
 * Method.
 *  - A `bramble lab` (boards are network namespaces with real containerd, the
 *    CNI bridge, and the agent's nftables proxy, src/agent/proxy). One board by
 *    default; `--pod-node=board-2` makes two and puts the backend on the other
 *    one, so traffic also crosses the LAN bridge and a host-gw route.
 *  - Backend: one nginx pod (bramble.local/nginx:bench, bench/images/nginx.ts:
 *    one worker, keep-alive connections kept for the whole run, no access
 *    log, a 17-byte page) and a ClusterIP Service selecting only that pod.
 *    The earlier figure used busybox httpd, which forks and closes the
 *    connection per request: its rounds varied 3× and measured the backend.
 *  - Clients (`--from`), each measured separately:
 *      pod:  wrk inside a client pod's network namespace (busybox pod on
 *            board-1; wrk is the host's binary run with nsenter --net=/proc/
 *            PID/ns/net). The usual path: prerouting DNAT, no masquerade.
 *      node: wrk in board-1's own namespace (the node, like hostNetwork):
 *            output-hook DNAT, and masquerade because the source is not in
 *            the pod CIDR.
 *  - Paths: (A) the pod IP, (B) the Service's ClusterIP, and (C, unless
 *    `--control=off`) a control: a made-up address (10.99.0.1) with one bare
 *    DNAT rule to the pod in a table of the script's own, so B/C is the cost
 *    of the proxy's rule layout and C/A the cost of any DNAT.
 *  - For each client, rounds alternate strictly A/B/C: pod IP, ClusterIP,
 *    control, `--rounds` times, same wrk options (`wrk --latency -tT -cC
 *    -dS`). Before each round the script waits (up to 45 s) for other processes on the
 *    shared machine to go quiet (`--no-wait` skips it). A 3 s warm-up per URL
 *    comes first. Reported: req/s and p99 per round, median req/s and median
 *    p99 per path, the ratio of medians, and the median of the per-round
 *    (paired) ratios, which cancels slow drifts in machine load.
 *  - Why threads=1: nginx has one worker; with 2 cores, one wrk thread and
 *    one nginx worker each get a core (softirq work lands on both). More wrk
 *    threads only steal CPU from the server.
 *  - Then `--close-rounds` rounds from the client pod with `Connection:
 *    close` (a new TCP connection per request, at most 5 s each): there the
 *    nat chains run for every request.
 *  - Context: rules in the proxy's table and in the whole ruleset of the
 *    client's namespace, conntrack entries, kernel.
 *
 * wrk's connections are opened once per run, so with keep-alive the proxy's
 * per-connection work (the nat chains run for the first packet only) is
 * amortised; what remains per packet is conntrack lookup and the NAT
 * rewrite, on both paths alike except the rewrite.
 */
import os from 'node:os';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { buildNginxImage, NGINX_IMAGE, NGINX_PORT, PAGE } from './images/nginx.ts';
import { boardNs, inNetns, podPid, readyPod, startBenchLab, until } from './lib/lab.ts';
import { beforePhase, machineLoad } from './lib/proc.ts';
import { benchArgs, fmt, report, sleep } from './lib/stats.ts';
import { parseWrk, type Wrk } from './lib/wrk.ts';

const opts = benchArgs();
const num = (name: string, def: number, quick: number) => Number(opts.get(name) ?? (opts.quick ? quick : def));
const rounds = num('rounds', 6, 2);
const seconds = num('seconds', 10, 3);
const connections = num('connections', 32, 32);
const threads = num('threads', 1, 1);
const froms = (opts.get('from') ?? 'pod,node').split(',') as ('pod' | 'node')[];
const podNode = opts.get('pod-node') ?? 'board-1';
const control = opts.get('control') !== 'off';
const closeRounds = num('close-rounds', 3, 1);
type Path = 'pod' | 'clusterIP' | 'control';
const LABEL: Record<Path, string> = { pod: 'pod IP   ', clusterIP: 'ClusterIP', control: 'bare DNAT' };
/** The control path's address: outside the Service CIDR (10.43/16) and the pod CIDR, so no proxy rule matches it. */
const CONTROL_VIP = '10.99.0.1';
const rep = report('cluster-ip', opts.json);


const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};

/** Rules in a table listing: lines that are statements, not declarations, hooks or braces. */
function countRules(listing: string): number {
  let n = 0;
  for (const raw of listing.split('\n')) {
    const l = raw.trim();
    if (!l || l === '}' || /^(table|chain|set|map|flowtable|type|flags|policy|elements|timeout|comment)\b/.test(l) || l.endsWith('{') || /^[\d.]+ \. /.test(l)) continue;
    n++;
  }
  return n;
}

async function context(label: string, nsPath: string): Promise<void> {
  const table = await inNetns(nsPath, ['nft', 'list', 'table', 'ip', 'bramble-proxy']);
  const all = await inNetns(nsPath, ['nft', 'list', 'ruleset']);
  const elements = (table.out.match(/ : (goto|jump|drop)/g) ?? []).length;
  const chains = (table.out.match(/^\s*chain /gm) ?? []).length;
  const ct = await inNetns(nsPath, ['cat', '/proc/sys/net/netfilter/nf_conntrack_count']);
  rep.line(`nft.${label}`, `nftables (${label})`, `bramble-proxy: ${countRules(table.out)} rules in ${chains} chains, ${elements} map elements; whole ruleset: ${countRules(all.out)} rules; conntrack entries: ${ct.out.trim()}`, {
    proxyRules: countRules(table.out),
    proxyChains: chains,
    mapElements: elements,
    rulesetRules: countRules(all.out),
    conntrack: Number(ct.out.trim()),
  });
}

async function main(): Promise<void> {
  if (!spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).stdout.trim()) throw new Error('wrk not installed');
  const nodes = podNode === 'board-1' ? 1 : Number(podNode.replace('board-', ''));
  const t0 = Date.now();
  const l = await startBenchLab({ nodes, addImages: (d) => buildNginxImage(d), say: (s) => console.log(s) });
  try {
    const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
    console.log(`cluster-ip bench: lab of ${nodes} board(s) up in ${((Date.now() - t0) / 1000).toFixed(1)} s; commit ${commit}; ${os.cpus().length} cores, ${os.release()}, node ${process.version}; ${spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]}`);
    const web = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { nodeSelector: { 'kubernetes.io/hostname': podNode }, containers: [{ name: 'nginx', image: NGINX_IMAGE, ports: [{ containerPort: NGINX_PORT }] }] },
        },
      },
    };
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: NGINX_PORT, targetPort: NGINX_PORT }] } };
    const client = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client', namespace: 'default', labels: { app: 'client' } },
      spec: { nodeSelector: { 'kubernetes.io/hostname': 'board-1' }, containers: [{ name: 'sleep', image: 'bramble.local/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '86400'] }] },
    };
    for (const o of [web, svc, ...(froms.includes('pod') ? [client] : [])]) await l.k(['apply', '-f', '-'], JSON.stringify(o));
    const webPod = await readyPod(l, 'app=web');
    const podIP = webPod.status.podIP as string;
    const clusterIP = (await l.k(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    // Control: a bare DNAT of a made-up address (outside the Service CIDR, so
    // no proxy rule matches it) to the pod, in a table of its own that runs
    // before the proxy's nat chains. ClusterIP vs control is the cost of the
    // proxy's own rules; control vs pod IP the cost of any DNAT.
    const urls: Record<Path, string> = { pod: `http://${podIP}:${NGINX_PORT}/`, clusterIP: `http://${clusterIP}:${NGINX_PORT}/`, control: `http://${CONTROL_VIP}:${NGINX_PORT}/` };
    const paths: Path[] = control ? ['pod', 'clusterIP', 'control'] : ['pod', 'clusterIP'];
    if (control) {
      const dnat = `ip daddr ${CONTROL_VIP} tcp dport ${NGINX_PORT} dnat to ${podIP}:${NGINX_PORT}`;
      const script = `table ip bench-dnat {\n chain pre { type nat hook prerouting priority dstnat - 1; policy accept; ${dnat}; }\n chain out { type nat hook output priority -101; policy accept; ${dnat}; }\n}\n`;
      fs.writeFileSync(`${l.dir}/bench-dnat.nft`, script);
      const r = await inNetns(boardNs(l.board('board-1')), ['nft', '-f', `${l.dir}/bench-dnat.nft`]);
      if (r.code !== 0) throw new Error(`nft bench-dnat: ${r.err}`);
    }
    const clientNs: Record<string, string> = { node: boardNs(l.board('board-1')) };
    if (froms.includes('pod')) clientNs.pod = `/proc/${podPid(l, await readyPod(l, 'app=client'))}/ns/net`;

    rep.section(`setup: nginx pod ${podIP} on ${podNode}, Service web ClusterIP ${clusterIP}:${NGINX_PORT}${control ? `, control VIP ${CONTROL_VIP} (bare DNAT)` : ''}; wrk --latency -t${threads} -c${connections} -d${seconds}s, ${rounds} rounds per client, paths interleaved ${paths.join('/')}`);
    await context('board-1', clientNs.node!);

    const series = async (from: string, ns: string, title: string, n: number, secs: number, extra: string[], pauseMs = 0) => {
      const wrk = async (url: string, d: number) => {
        const r = await inNetns(ns, ['wrk', '--latency', `-t${threads}`, `-c${connections}`, `-d${d}s`, ...extra, url], (d + 30) * 1000);
        if (r.code !== 0) throw new Error(`wrk ${url} from ${from}: exit ${r.code}\n${r.out}${r.err}`);
        return parseWrk(r.out);
      };
      // Every path answers with the page (the Service's rules may lag the pod), then a warm-up each.
      for (const key of paths) {
        await until(`${urls[key]} from ${from}`, 60_000, async () => {
          const r = await inNetns(ns, ['wget', '-qO-', '-T', '2', urls[key]], 10_000);
          return r.code === 0 && r.out === PAGE ? true : undefined;
        });
        await wrk(urls[key], 3);
      }
      rep.section(title);
      const runs = Object.fromEntries(paths.map((k) => [k, [] as Wrk[]])) as Record<Path, Wrk[]>;
      const load = machineLoad([]);
      for (let i = 0; i < n; i++) {
        await beforePhase([], opts.waitQuiet);
        for (const key of paths) {
          if (pauseMs) await sleep(pauseMs);
          const r = await wrk(urls[key], secs);
          runs[key].push(r);
          rep.line(`${from}.round${i + 1}.${key}`, `  round ${i + 1} ${LABEL[key]}`, `${r.rps.toFixed(0).padStart(6)} req/s  p50 ${fmt(r.p50)}  p99 ${fmt(r.p99)}  max ${fmt(r.max)} ms  errors ${r.errors}  (${r.requests} requests)`, r);
        }
      }
      const m = load();
      const agg: Partial<Record<Path, { rps: number; p50: number; p99: number; worstP99: number; errors: number }>> = {};
      for (const key of paths) {
        const rs = runs[key];
        const a = { rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), worstP99: Math.max(...rs.map((r) => r.p99)), errors: rs.reduce((x, r) => x + r.errors, 0) };
        agg[key] = a;
        const spread = `${Math.min(...rs.map((r) => r.rps)).toFixed(0)}–${Math.max(...rs.map((r) => r.rps)).toFixed(0)}`;
        rep.line(`${from}.${key}`, `${LABEL[key]} median`, `${a.rps.toFixed(0)} req/s (rounds ${spread})  p50 ${fmt(a.p50)}  p99 ${fmt(a.p99)} ms (worst ${fmt(a.worstP99)})  errors ${a.errors}`, a);
      }
      const ratio = agg.clusterIP!.rps / agg.pod!.rps;
      const paired = runs.pod.map((p, i) => runs.clusterIP[i]!.rps / p.rps);
      rep.line(`${from}.ratio`, 'ClusterIP / pod IP, ratio of medians', `${ratio.toFixed(3)} ${ratio >= 0.95 ? '[PASS >= 0.95]' : '[MISS < 0.95]'}`, ratio);
      rep.line(`${from}.pairedRatio`, 'ClusterIP / pod IP, median of per-round ratios', `${median(paired).toFixed(3)} (rounds: ${paired.map((x) => x.toFixed(3)).join(' ')})`, paired);
      if (control) {
        const c = runs.control.map((x, i) => x.rps / runs.pod[i]!.rps);
        const cc = runs.clusterIP.map((x, i) => x.rps / runs.control[i]!.rps);
        rep.line(`${from}.controlRatio`, 'bare DNAT / pod IP, median per-round', `${median(c).toFixed(3)} (rounds: ${c.map((x) => x.toFixed(3)).join(' ')})`, c);
        rep.line(`${from}.cipOverControl`, 'ClusterIP / bare DNAT, median per-round', `${median(cc).toFixed(3)} (rounds: ${cc.map((x) => x.toFixed(3)).join(' ')})`, cc);
      }
      rep.line(`${from}.cpu`, 'machine CPU over the rounds (wrk + nginx + lab + others)', `${m.allCores.toFixed(2)} cores, loadavg ${m.loadavg}`, m);
    };

    for (const from of froms) {
      const title = `keep-alive, from ${from === 'pod' ? 'a client pod on board-1 (prerouting DNAT)' : "board-1's own namespace (output DNAT; the ClusterIP path is also masqueraded, the control is not)"} to ${podNode}`;
      await series(from, clientNs[from]!, title, rounds, seconds, []);
    }
    if (closeRounds > 0 && clientNs.pod) {
      // A new connection per request: what the nat chains cost when they run
      // for every request. At ~10k connections/s the client's ports run out in
      // seconds, so its namespace (ours) reuses TIME_WAIT ports; and since a
      // reused port's old conntrack entry (TIME_WAIT, 120 s) on another path has
      // the same reply tuple (pod:8080 -> client:port), the new DNATed
      // connection would clash with it and its SYN be dropped (1 s retransmit).
      // So the board's namespace (ours) forgets TIME_WAIT entries after 1 s and
      // each run starts 2 s after the previous one.
      await inNetns(clientNs.pod, ['sysctl', '-q', '-w', 'net.ipv4.tcp_tw_reuse=1']);
      await inNetns(clientNs.node!, ['sysctl', '-q', '-w', 'net.netfilter.nf_conntrack_tcp_timeout_time_wait=1']);
      const secs = Math.min(seconds, 5);
      await series('close', clientNs.pod, `new connection per request (Connection: close), from the client pod, ${closeRounds} rounds x ${secs} s (tcp_tw_reuse=1 in the client, conntrack TIME_WAIT 1 s on the board, 2 s between runs)`, closeRounds, secs, ['-H', 'Connection: close'], 2000);
    }
    rep.section('after the runs');
    await context('board-1', clientNs.node!);
    // The table itself, so the rule count above can be checked against what the packets traverse.
    if (!opts.json) console.log((await inNetns(clientNs.node!, ['nft', 'list', 'table', 'ip', 'bramble-proxy'])).out);
  } finally {
    await l.down();
  }
  rep.finish({ rounds, seconds, connections, threads, froms, podNode, control, closeRounds });
}

await main();
