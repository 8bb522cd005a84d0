/**
 * TCP routes on a node: informers over Services, EndpointSlices and the one
 * ConfigMap `kube-system/bramble-tcp-services` (watched by name: the node
 * authorizer lets a node read exactly that ConfigMap) feed routes.ts; the
 * table is rebuilt 20 ms after a change and handed to the proxy, which
 * opens, keeps or closes listeners on the node's address.
 *
 * Invalid or conflicting declarations are skipped: logged once per change
 * and recorded as a Warning Event on the Service or ConfigMap that made them
 * (every node sees the same problem; the recorder's aggregation and the
 * "only when the set of problems changes" rule keep that to one Event per
 * node per problem).
 *
 * The ingress controller has informers over Services and EndpointSlices
 * too; these are separate so either can start, fail or stop alone (two
 * more watches per node).
 */
import { EventRecorder } from '../../client/events.ts';
import { Informer } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { logger } from '../../util/log.ts';
import { EndpointIndex } from '../ingress/routes.ts';
import { TcpRouteProxy, type TcpProxyOptions } from './proxy.ts';
import { buildTable, CONFIGMAP_NAME, CONFIGMAP_NAMESPACE, type BuildOptions, type Problem, type RouteTable } from './routes.ts';

const log = logger('tcp-routes');

export interface TcpRoutesOptions extends TcpProxyOptions {
  client: Client;
  /** The node this runs on (Event source). */
  nodeName?: string;
  /** Reserved ports, node port range; `nodeIP` defaults to `host`. */
  build?: BuildOptions;
  /** Record Warning Events for problems (default true). */
  events?: boolean;
  signal?: AbortSignal;
}

export interface RunningTcpRoutes {
  /** Resolves once the informers have listed everything and the first table is applied. */
  synced: Promise<void>;
  proxy: TcpRouteProxy;
  table(): RouteTable;
  /** Rebuilds and applies the table now (tests). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

export function startTcpRoutes(o: TcpRoutesOptions): RunningTcpRoutes {
  const stop = new AbortController();
  const eps = new EndpointIndex();
  const services = new Informer(o.client, resources.services);
  const slices = new Informer(o.client, resources.endpointslices);
  const configMaps = new Informer(o.client, resources.configmaps, { namespace: CONFIGMAP_NAMESPACE, fieldSelector: `metadata.name=${CONFIGMAP_NAME}` });
  const proxy = new TcpRouteProxy(o);
  const recorder = o.events === false ? undefined : new EventRecorder(o.client, { component: 'bramble-tcp-routes', host: o.nodeName });
  const buildOpts: BuildOptions = { nodeIP: o.host, ...o.build };
  let table: RouteTable = { routes: new Map(), problems: [] };
  let reported = new Set<string>();
  let synced = false;

  const report = (problems: Problem[]) => {
    const now = new Set<string>();
    for (const p of problems) {
      const key = `${p.source.kind}/${p.source.namespace}/${p.source.name}|${p.reason}|${p.message}`;
      now.add(key);
      if (reported.has(key)) continue;
      log.warn('TCP route skipped', { object: `${p.source.kind} ${p.source.namespace}/${p.source.name}`, reason: p.reason, problem: p.message });
      const obj = p.source.kind === 'Service' ? services.getByName(p.source.namespace, p.source.name) : configMaps.getByName(p.source.namespace, p.source.name);
      if (recorder && obj) recorder.event({ ...obj, kind: p.source.kind, apiVersion: 'v1' }, 'Warning', p.reason, p.message);
    }
    reported = now;
  };

  // Applies run one after another, so listeners open and close in table order.
  let applying: Promise<void> = Promise.resolve();
  const rebuild = (): Promise<void> => {
    table = buildTable(configMaps.getByName(CONFIGMAP_NAMESPACE, CONFIGMAP_NAME), services.list(), eps, buildOpts);
    report(table.problems);
    const t = table;
    applying = applying.then(() => proxy.update(t.routes)).catch((e: unknown) => log.error('applying TCP routes failed', { err: (e as Error).message }));
    return applying;
  };
  let timer: NodeJS.Timeout | undefined;
  const soon = () => {
    if (stop.signal.aborted || !synced || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void rebuild();
    }, 20);
  };
  const live = <A extends unknown[]>(fn: (...a: A) => void) => (...a: A) => {
    if (!stop.signal.aborted) fn(...a);
  };
  services.addHandler({ add: live((s: Obj) => (eps.setService(s), soon())), update: live((_: Obj, s: Obj) => (eps.setService(s), soon())), delete: live((s: Obj) => (eps.deleteService(s), soon())) });
  slices.addHandler({ add: live((s: Obj) => (eps.setSlice(s), soon())), update: live((_: Obj, s: Obj) => (eps.setSlice(s), soon())), delete: live((s: Obj) => (eps.deleteSlice(s), soon())) });
  const onConfigMap = live(() => soon());
  configMaps.addHandler({ add: onConfigMap, update: onConfigMap, delete: onConfigMap });

  const runs = [services.run(stop.signal), slices.run(stop.signal), configMaps.run(stop.signal)];
  const ready = Promise.all([services.ready, slices.ready, configMaps.ready]).then(async () => {
    synced = true;
    await rebuild();
  });

  const close = async () => {
    if (stop.signal.aborted) return;
    stop.abort();
    if (timer) clearTimeout(timer);
    await proxy.close();
    await Promise.allSettled(runs);
  };
  o.signal?.addEventListener('abort', () => void close(), { once: true });
  return { synced: ready, proxy, table: () => table, refresh: rebuild, close };
}
