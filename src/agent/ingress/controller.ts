/**
 * The built-in ingress controller on a node: informers over Ingresses,
 * Services and EndpointSlices feed a routing table (routes.ts) that the
 * reverse proxy (proxy.ts) serves on the node's ports 80 and 443. TLS
 * Secrets named by Ingress `tls` entries are read by name (the node
 * authorizer lets a node read exactly those) whenever the Ingresses change
 * and every 60 s after, and served by SNI; anything else gets a self-signed
 * default certificate ("Bramble Ingress Default Certificate").
 */
import tls from 'node:tls';
import { Informer } from '../../client/informer.ts';
import { resources, type Client, type Obj } from '../../client/types.ts';
import { createCA, issueCertificate, type CertKeyPair } from '../../cluster/pki/x509.ts';
import { logger } from '../../util/log.ts';
import { startIngressProxy, type Listen, type RunningIngressProxy } from './proxy.ts';
import { EndpointIndex, RoutingTable } from './routes.ts';

const log = logger('ingress');

export interface IngressControllerOptions {
  client: Client;
  http: Listen[];
  https: Listen[];
  signal?: AbortSignal;
  /** How often TLS Secrets are fetched again (ms). */
  secretRefreshMs?: number;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
}

export interface RunningIngressController extends RunningIngressProxy {
  /** Resolves once the informers have listed everything. */
  synced: Promise<void>;
  /** The table now (tests). */
  table(): RoutingTable;
  /** Rebuilds the table and refetches Secrets now; resolves when done (tests). */
  refresh(): Promise<void>;
}

/** A self-signed certificate for connections no Secret covers (ingress-nginx's "Fake Certificate"). */
export function defaultCertificate(): CertKeyPair {
  const ca = createCA({ commonName: 'Bramble Ingress Default CA', validityDays: 3650 });
  return issueCertificate(ca, { commonName: 'Bramble Ingress Default Certificate', dnsNames: ['ingress.local'], usage: 'server', validityDays: 3650 });
}

export async function startIngressController(o: IngressControllerOptions): Promise<RunningIngressController> {
  const stop = new AbortController();
  const eps = new EndpointIndex();
  const ingresses = new Informer(o.client, resources.ingresses);
  const services = new Informer(o.client, resources.services);
  const slices = new Informer(o.client, resources.endpointslices);
  let table = new RoutingTable();
  /** namespace/name → { resourceVersion, context } */
  const contexts = new Map<string, { rv: string; ctx: tls.SecureContext }>();

  let rebuildTimer: NodeJS.Timeout | undefined;
  const rebuild = () => {
    table = RoutingTable.build(ingresses.list(), eps);
  };
  const soon = () => {
    if (stop.signal.aborted || rebuildTimer) return;
    rebuildTimer = setTimeout(() => {
      rebuildTimer = undefined;
      rebuild();
    }, 20);
  };
  const live = <A extends unknown[]>(fn: (...a: A) => void) => (...a: A) => {
    if (!stop.signal.aborted) fn(...a);
  };
  services.addHandler({ add: live((s: Obj) => (eps.setService(s), soon())), update: live((_: Obj, s: Obj) => (eps.setService(s), soon())), delete: live((s: Obj) => (eps.deleteService(s), soon())) });
  slices.addHandler({ add: live((s: Obj) => (eps.setSlice(s), soon())), update: live((_: Obj, s: Obj) => (eps.setSlice(s), soon())), delete: live((s: Obj) => (eps.deleteSlice(s), soon())) });
  const onIngress = live(() => {
    soon();
    void fetchSecrets();
  });
  ingresses.addHandler({ add: onIngress, update: onIngress, delete: onIngress });

  let fetching: Promise<void> | undefined;
  async function fetchSecrets(): Promise<void> {
    if (fetching) await fetching;
    fetching = (async () => {
      const wanted = new Set(RoutingTable.build(ingresses.list(), eps).tls.values());
      for (const key of [...contexts.keys()]) if (!wanted.has(key)) contexts.delete(key);
      for (const key of wanted) {
        const [ns, name] = key.split('/') as [string, string];
        try {
          const s = await o.client.get(resources.secrets, ns, name);
          const rv = s['metadata']?.resourceVersion ?? '';
          if (contexts.get(key)?.rv === rv) continue;
          if (s['type'] !== 'kubernetes.io/tls') throw new Error(`type is ${s['type']}, not kubernetes.io/tls`);
          const cert = Buffer.from(s['data']?.['tls.crt'] ?? '', 'base64');
          const keyPem = Buffer.from(s['data']?.['tls.key'] ?? '', 'base64');
          contexts.set(key, { rv, ctx: tls.createSecureContext({ cert, key: keyPem }) });
        } catch (e) {
          contexts.delete(key);
          if (!stop.signal.aborted) log.warn('TLS secret not usable; serving the default certificate for its hosts', { secret: key, err: (e as Error).message });
        }
      }
    })();
    await fetching;
  }

  const proxy = await startIngressProxy({
    table: () => table,
    contextFor: (name) => {
      const key = table.tlsSecretFor(name);
      return key ? contexts.get(key)?.ctx : undefined;
    },
    defaultCert: defaultCertificate(),
    http: o.http,
    https: o.https,
    connectTimeoutMs: o.connectTimeoutMs,
    readTimeoutMs: o.readTimeoutMs,
  });
  const runs = [ingresses.run(stop.signal), services.run(stop.signal), slices.run(stop.signal)];
  const synced = Promise.all([ingresses.ready, services.ready, slices.ready]).then(async () => {
    rebuild();
    await fetchSecrets();
  });
  const timer = setInterval(() => void fetchSecrets(), o.secretRefreshMs ?? 60_000);
  timer.unref();

  const close = async () => {
    if (stop.signal.aborted) return;
    stop.abort();
    clearInterval(timer);
    if (rebuildTimer) clearTimeout(rebuildTimer);
    await proxy.close();
    await Promise.allSettled(runs);
  };
  o.signal?.addEventListener('abort', () => void close(), { once: true });
  return {
    ...proxy,
    synced,
    table: () => table,
    refresh: async () => {
      rebuild();
      await fetchSecrets();
    },
    close,
  };
}
