/**
 * `bramble server` start-up: a short linear sequence, each step's failure
 * wrapped with what was being started (as k3s does). Resolves `ready` once
 * the API answers requests and the admin kubeconfig is written.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resources } from '../api/resources.ts';
import { printerFor } from '../api/tables/index.ts';
import { createHandler } from '../apiserver/handler.ts';
import { createMetricsApi } from '../apiserver/metrics/index.ts';
import { createAgentProbe } from '../controllers/servicelb/liveness.ts';
import { listen, type RunningServer } from '../apiserver/server.ts';
import { renderKubeconfig, writeKubeconfig } from '../cluster/kubeconfig.ts';
import { caCertHash, ensureEtcdPKI, ensureServerPKI } from '../cluster/pki/server-pki.ts';
import { fetchServerBootstrap, hasSharedCAs, readServerBootstrap } from '../cluster/etcd/bootstrap.ts';
import type { RunningMember } from '../cluster/etcd/member.ts';
import type { EtcdMembership } from '../controllers/etcd-member/etcd-member.ts';
import { ensureServerToken } from '../cluster/join/token.ts';
import { issueNodeCredential } from '../cluster/join/credentials.ts';
import { adminOnly, union } from '../apiserver/auth.ts';
import { nodeAuthorizer } from '../apiserver/node-authorizer.ts';
import { createPodStreams } from '../apiserver/pod-streams.ts';
import { Registry } from '../registry/registry.ts';
import { admissionFactories } from '../admission/index.ts';
import { InProcessClient } from '../client/in-process.ts';
import { openSqliteBackend } from '../storage/sqlite/sqlite.ts';
import type { Backend } from '../storage/backend.ts';
import { logger } from '../util/log.ts';
import { serverPaths, type ServerConfig } from './config.ts';
import { createHooks } from './hooks.ts';
import { createOpenAPIProvider } from './openapi.ts';
import { decodeProtobufBody } from './protobuf.ts';
import { selfCheck } from './self-check.ts';
import { startControlLoops } from './control-loops.ts';
import { apiServerID } from './apiserver-lease.ts';
import { startAgent, type RunningAgent } from '../agent/run.ts';
import { formatToken } from '../cluster/join/token.ts';
import { DEFAULT_FLANNEL_BACKEND } from '../cluster/join/cluster-config.ts';
import { clusterDnsIP } from '../controllers/cluster-dns/cluster-dns.ts';

const log = logger('server');

/** The identity the in-server controllers act as. */
const controllerUser = { name: 'system:kube-controller-manager', groups: ['system:masters', 'system:authenticated'], via: 'token' as const };

export interface RunningControlPlane {
  /** The bound address (port 0 resolves to a real port). */
  port: number;
  /** Resolves with a reason if the server can no longer work (its etcd member died); the CLI then exits non-zero, as k3s does. */
  fatal: Promise<string>;
  stop(): Promise<void>;
}

async function step<T>(what: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new Error(`${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Reads the current revision every 2 s (a linearizable read: it needs the etcd quorum); no writes. */
function watchDatastoreHealth(backend: Backend): { readonly ok: boolean; close(): void } {
  const state = { ok: true, close: () => clearInterval(timer) };
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    let t: NodeJS.Timeout | undefined;
    void Promise.race([backend.currentRevision(), new Promise((_, rej) => (t = setTimeout(() => rej(new Error('timeout')), 3000)))])
      .then(
        () => {
          if (!state.ok) log.info('the datastore answers again');
          state.ok = true;
        },
        (e: Error) => {
          if (state.ok) log.warn('the datastore does not answer: /readyz fails until it does', { error: e.message });
          state.ok = false;
        },
      )
      .finally(() => {
        clearTimeout(t);
        busy = false;
      });
  }, 2000);
  timer.unref();
  return state;
}

export async function startServer(cfg: ServerConfig, version: string): Promise<RunningControlPlane> {
  const started = Date.now();
  const paths = serverPaths(cfg.dataDir);
  await step('creating data dir', () => fs.mkdir(path.dirname(paths.db), { recursive: true, mode: 0o700 }));

  // HA (k3s's embedded etcd): --cluster-init, --server, or a data dir that already runs a member.
  const ha = cfg.clusterInit === true || cfg.joinServer !== undefined || (await fs.stat(path.join(paths.etcd, 'member')).then(() => true, () => false));
  if (cfg.joinServer && !(await hasSharedCAs(cfg.dataDir))) {
    const joinServer = cfg.joinServer;
    if (!cfg.token) throw new Error('--server needs --token');
    await step(`fetching the cluster's CAs from ${joinServer}`, () => fetchServerBootstrap({ server: joinServer, token: cfg.token!, dataDir: cfg.dataDir }));
  }

  const hostname = os.hostname();
  // This server's name among servers (etcd member, leader identity, API server Lease): its node name, which is
  // unique in the cluster, where the host name need not be (boards imaged alike; the lab's boards share the host's).
  const serverName = cfg.agent?.nodeName ?? hostname.toLowerCase();
  // Several servers on one datastore elect who runs the controllers; one server alone never writes a Lease for it.
  const leaderElect = ha || cfg.leaderElect === true;
  const sans = [...new Set([hostname, cfg.advertiseAddress, ...(cfg.bindAddress === '0.0.0.0' ? [] : [cfg.bindAddress]), ...cfg.tlsSANs])];
  const isIP = (s: string) => /^[\d.]+$/.test(s) || s.includes(':');
  const sanOpts = { dnsNames: sans.filter((s) => !isIP(s)), ipAddresses: sans.filter(isIP) };
  const pki = await step('preparing certificates', () => ensureServerPKI(cfg.dataDir, sanOpts));

  let etcd: RunningMember | undefined;
  let etcdMembers: EtcdMembership | undefined;
  let backend: Backend;
  if (ha) {
    // Loaded only here: a single server on SQLite carries none of the etcd client.
    const { startMember, etcdMembership } = await import('../cluster/etcd/member.ts');
    const { openEtcdBackend } = await import('../storage/etcd/etcd.ts');
    const etcdPki = await step('preparing etcd certificates', () => ensureEtcdPKI(cfg.dataDir, sanOpts));
    const memberName = serverName;
    const joinHost = cfg.joinServer ? new URL(cfg.joinServer).hostname.replace(/^\[|\]$/g, '') : undefined;
    const member = await step('starting etcd', () => startMember({ dataDir: cfg.dataDir, name: memberName, advertiseIP: cfg.advertiseAddress, pki: etcdPki, joinHost }));
    etcd = member;
    // Deleting a server's Node removes its etcd member (the etcd-member controller, as k3s).
    etcdMembers = etcdMembership(member);
    // Every server compacts; etcd refuses a compaction at or below the compacted revision, which the compactor shrugs off.
    backend = await step('opening the datastore (etcd)', () => openEtcdBackend({ endpoint: member.endpoint, tls: member.tls, compactIntervalMs: cfg.compactionIntervalMs })).catch(async (e) => {
      await member.proc.stop();
      throw e;
    });
  } else {
    // The inline writer commits on the main thread: ~13 MB less memory than a
    // writer thread, at the price of the event loop waiting for each group
    // commit's fsync. For the few writes a second of a small cluster that is
    // the better trade on 1 GB boards.
    backend = await step('opening the datastore', () =>
      openSqliteBackend({ path: paths.db, compactIntervalMs: cfg.compactionIntervalMs, writer: 'inline' }),
    );
  }

  const serverToken = await step('preparing the join token', () => ensureServerToken(cfg.dataDir, caCertHash(pki.serverCA.certPem), cfg.token));

  // HA: /readyz says whether etcd answers a quorum read, so agents' load balancers and
  // kubectl users move to another server when this board's member is cut off (upstream's etcd check).
  const etcdHealth = ha ? watchDatastoreHealth(backend) : undefined;

  const registry = new Registry(backend, createHooks({ nodePortRange: cfg.controllers.nodePortRange }));
  for (const make of admissionFactories) registry.admission.push(make(registry, { ...cfg.controllers, sharedDatastore: leaderElect }));
  const systemCtx = { user: { name: 'system:apiserver', groups: ['system:masters'], via: 'token' as const }, warnings: [] };
  await step('creating system namespaces', () => registry.bootstrap(systemCtx));

  const controllers = new AbortController();
  const client = new InProcessClient(registry, controllerUser);

  // kubectl top: figures scraped from the agents' /stats/summary, only while asked for.
  const metrics = createMetricsApi({ registry, clientCert: pki.apiserverClient });
  // kubectl logs/exec/attach/port-forward: forwarded to the pod's node agent with the API server's client certificate.
  const authorizer = union(adminOnly, nodeAuthorizer(registry));
  const podStreams = createPodStreams({ registry, clientCert: pki.apiserverClient, authorizer });
  let ready = false;
  const handler = createHandler({
    podStreams,
    registry,
    printers: printerFor,
    protobuf: decodeProtobufBody,
    discovery: { resources: [...resources, ...metrics.resources] },
    metrics: metrics.collector,
    openapi: createOpenAPIProvider(),
    health: {
      livez: [{ name: 'ping', check: () => true }],
      readyz: [
        { name: 'ping', check: () => true },
        { name: 'bootstrap', check: () => ready },
        ...(etcdHealth ? [{ name: 'etcd', check: () => etcdHealth.ok }] : []),
      ],
    },
    version,
    serverAddress: `${cfg.advertiseAddress}:${cfg.port}`,
    authorizer,
    join: {
      serverCaPem: pki.serverCA.certPem,
      secret: serverToken.token.secret,
      issue: (req) => issueNodeCredential({ clientCA: pki.clientCA, serverCaPem: pki.serverCA.certPem, client }, req),
      config: { flannelBackend: cfg.flannelBackend ?? DEFAULT_FLANNEL_BACKEND },
      bootstrap: ha ? () => readServerBootstrap(cfg.dataDir) : undefined,
    },
  });
  const server: RunningServer = await step(`listening on ${cfg.bindAddress}:${cfg.port}`, () =>
    listen({ host: cfg.bindAddress, port: cfg.port, cert: pki.serving.certPem, key: pki.serving.keyPem, clientCA: pki.clientCA.certPem }, handler, (req, socket, head, user) => void podStreams.serveUpgrade(req, socket, head, user)),
  );
  const port = server.address.port;
  // Started once the port is known: the `kubernetes` Service's endpoints name it.
  // The servicelb controller asks announcing nodes' agents whether they are alive (fast LoadBalancer failover).
  const agentProbe = createAgentProbe(pki.apiserverClient);
  const controllerConfig = { ...cfg.controllers, apiServerPort: port, agentProbe, etcdMembers };
  const loops = startControlLoops(
    { registry, client, controllerConfig, disable: cfg.disable, leaderElect, identity: `${serverName}_${randomUUID()}`, apiServerID: apiServerID(serverName) },
    controllers.signal,
  );
  if (cfg.disable.includes('ingress')) {
    const { removeIngressClass } = await import('../controllers/ingress/ingress.ts');
    await removeIngressClass(client).catch((e: Error) => log.warn('could not remove the built-in IngressClass', { error: e.message }));
  }
  ready = true;

  // The kubeconfig appears only once the API answers, so scripts can wait for the file.
  const loopback = cfg.bindAddress === '0.0.0.0' || cfg.bindAddress === '::' ? '127.0.0.1' : cfg.bindAddress;
  await step('checking the API answers', () => selfCheck(loopback, port, pki.serverCA.certPem, pki.admin));
  const kubeconfig = renderKubeconfig({ server: `https://${loopback.includes(':') ? `[${loopback}]` : loopback}:${port}`, caPem: pki.serverCA.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem });
  await step(`writing kubeconfig ${cfg.kubeconfigPath}`, () => writeKubeconfig(cfg.kubeconfigPath, kubeconfig, cfg.kubeconfigMode));
  log.info('bramble server is ready', { addr: `${cfg.bindAddress}:${port}`, kubeconfig: cfg.kubeconfigPath, nodeToken: serverToken.file, ms: Date.now() - started });

  // The embedded agent takes the same path as any other: the token, over
  // loopback. Its failure is logged and leaves the control plane serving
  // (a board whose containerd is broken can still be managed).
  let agent: RunningAgent | undefined;
  if (!cfg.disableAgent && cfg.agent) {
    const a = cfg.agent;
    try {
      agent = await startAgent({
        nodeName: a.nodeName,
        dataDir: cfg.dataDir,
        runtime: a.runtime,
        server: `https://${loopback.includes(':') ? `[${loopback}]` : loopback}:${port}`,
        token: formatToken(serverToken.token),
        labels: a.labels,
        taints: a.taints,
        internalIP: a.nodeIP ?? cfg.advertiseAddress,
        podCIDRWaitMs: 30_000,
        containerRuntimeEndpoint: a.containerRuntimeEndpoint,
        agentPort: a.agentPort,
        cgroupRoot: a.cgroupRoot,
        clusterCIDR: cfg.controllers.clusterCIDR,
        flannelBackend: cfg.flannelBackend ?? DEFAULT_FLANNEL_BACKEND,
        clusterDns: clusterDnsIP(cfg.controllers.serviceCIDR),
        controlPlane: true,
        version,
      });
      agent.registered.catch((e) => log.error('embedded agent: registration failed', { error: (e as Error).message }));
    } catch (e) {
      log.error('embedded agent did not start; the control plane keeps serving (start with --disable-agent to skip it)', { error: (e as Error).message });
    }
  }

  let stopping = false;
  const fatal = new Promise<string>((resolve) => {
    void etcd?.proc.exited.then((code) => {
      if (!stopping) resolve(`etcd exited unexpectedly (code ${code}); see ${path.join(cfg.dataDir, 'server', 'logs', 'etcd.log')}`);
    });
  });
  return {
    port,
    fatal,
    async stop() {
      stopping = true;
      await agent?.stop().catch((e) => log.warn('embedded agent stopped with an error', { error: (e as Error).message }));
      ready = false;
      controllers.abort();
      metrics.close();
      etcdHealth?.close();
      agentProbe.close();
      await server.close();
      await loops.done;
      await backend.close();
      await etcd?.proc.stop();
      log.info('bramble server stopped');
    },
  };
}
