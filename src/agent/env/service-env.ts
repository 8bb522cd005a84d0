/**
 * Service links: the Docker-style variables the kubelet injects for
 * Services. The `kubernetes` Service of the `default` namespace is always
 * offered; the Services of the pod's own namespace only when
 * `enableServiceLinks` is not false. Headless and ExternalName Services
 * (no cluster IP) contribute nothing.
 *
 * For a Service `my-svc` with clusterIP 10.43.0.5 and port 80/TCP named http:
 *   MY_SVC_SERVICE_HOST=10.43.0.5   MY_SVC_SERVICE_PORT=80
 *   MY_SVC_SERVICE_PORT_HTTP=80     MY_SVC_PORT=tcp://10.43.0.5:80
 *   MY_SVC_PORT_80_TCP=tcp://10.43.0.5:80   MY_SVC_PORT_80_TCP_PROTO=tcp
 *   MY_SVC_PORT_80_TCP_PORT=80      MY_SVC_PORT_80_TCP_ADDR=10.43.0.5
 */
import type { Obj } from '../../client/types.ts';
import type { ObjectLookup } from './lookup.ts';

const envName = (s: string): string => s.replaceAll('-', '_').toUpperCase();

function hasClusterIP(svc: Obj): boolean {
  const ip = svc.spec?.clusterIP;
  return typeof ip === 'string' && ip !== '' && ip !== 'None';
}

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The variables for one Service, in upstream's order. */
export function serviceVariables(svc: Obj): [string, string][] {
  if (!hasClusterIP(svc)) return [];
  const ports = (svc.spec?.ports ?? []) as Obj[];
  if (ports.length === 0) return [];
  const prefix = envName(svc.metadata.name);
  const ip: string = svc.spec.clusterIP;
  const out: [string, string][] = [
    [`${prefix}_SERVICE_HOST`, ip],
    [`${prefix}_SERVICE_PORT`, String(ports[0]!.port)],
  ];
  for (const p of ports) if (p.name) out.push([`${prefix}_SERVICE_PORT_${envName(p.name)}`, String(p.port)]);
  ports.forEach((p, i) => {
    const proto = String(p.protocol || 'TCP');
    const url = `${proto.toLowerCase()}://${hostPort(ip, p.port)}`;
    if (i === 0) out.push([`${prefix}_PORT`, url]);
    const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.push([pp, url], [`${pp}_PROTO`, proto.toLowerCase()], [`${pp}_PORT`, String(p.port)], [`${pp}_ADDR`, ip]);
  });
  return out;
}

/** The service link variables for a pod in `namespace`. */
export async function serviceEnv(lookup: ObjectLookup, namespace: string, enableServiceLinks: boolean): Promise<Map<string, string>> {
  const chosen = new Map<string, Obj>();
  // The pod's own namespace wins a name clash with the master service, as upstream.
  for (const s of await lookup.services('default')) {
    if (s.metadata?.name === 'kubernetes' && hasClusterIP(s)) chosen.set('kubernetes', s);
  }
  if (enableServiceLinks) {
    for (const s of namespace === 'default' ? await lookup.services('default') : await lookup.services(namespace)) {
      if (hasClusterIP(s)) chosen.set(s.metadata.name, s);
    }
  }
  const out = new Map<string, string>();
  const names = [...chosen.keys()].sort();
  for (const n of names) for (const [k, v] of serviceVariables(chosen.get(n)!)) out.set(k, v);
  return out;
}
