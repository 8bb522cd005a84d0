/**
 * Registry mirrors and credentials in k3s's `registries.yaml` format, and
 * their containerd 1.6 CRI rendering (`registry.mirrors` /
 * `registry.configs`: the form containerd 1.6 reads from its main config).
 *
 * ```yaml
 * mirrors:
 *   docker.io:
 *     endpoint: ["https://mirror.lan:5000"]
 * configs:
 *   mirror.lan:5000:
 *     auth: { username: pi, password: secret }
 *     tls: { ca_file: /etc/ssl/lan-ca.pem, insecure_skip_verify: false }
 * ```
 *
 * `configs` is keyed by the host (and port) actually contacted: a mirror
 * endpoint's host, or the registry's own.
 */
import { yaml } from '../../util/yaml.ts';

export interface RegistryAuth {
  username?: string;
  password?: string;
  /** base64 of `username:password`, as in a docker config. */
  auth?: string;
  identityToken?: string;
}

export interface RegistryTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecureSkipVerify?: boolean;
}

export interface RegistriesConfig {
  /** Registry host (or `*`) → endpoints tried in order before the registry itself. */
  mirrors: Record<string, { endpoints: string[] }>;
  configs: Record<string, { auth?: RegistryAuth; tls?: RegistryTls }>;
  /** Settings we read but containerd 1.6 cannot apply (k3s's `rewrite`), for the caller to log. */
  warnings: string[];
}

/** A registries.yaml we cannot use. */
export class RegistriesError extends Error {
  readonly code = 'INVALID_REGISTRIES';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistriesError';
  }
}

/** Parses and checks registries.yaml text. An empty file means no mirrors and no credentials. */
export function parseRegistries(text: string): RegistriesConfig {
  let doc: unknown;
  try {
    doc = yaml().parse(text);
  } catch (e) {
    throw new RegistriesError(`registries.yaml: ${(e as Error).message}`, { cause: e });
  }
  const out: RegistriesConfig = { mirrors: {}, configs: {}, warnings: [] };
  if (doc === null || doc === undefined) return out;
  const root = record(doc, 'registries.yaml');
  for (const key of Object.keys(root)) if (key !== 'mirrors' && key !== 'configs') out.warnings.push(`registries.yaml: unknown key ${key} ignored`);
  for (const [host, m] of Object.entries(record(root.mirrors ?? {}, 'mirrors'))) {
    const mirror = record(m ?? {}, `mirrors.${host}`);
    const endpoints = stringList(mirror.endpoint ?? [], `mirrors.${host}.endpoint`);
    for (const e of endpoints) {
      if (!/^https?:\/\/[^/\s]+/.test(e) && !/^[^/\s:]+(:\d+)?(\/.*)?$/.test(e)) throw new RegistriesError(`mirrors.${host}.endpoint: ${JSON.stringify(e)} is not a URL`);
    }
    if (mirror.rewrite !== undefined) out.warnings.push(`mirrors.${host}.rewrite is not supported by containerd 1.6; ignored`);
    out.mirrors[host] = { endpoints };
  }
  for (const [host, c] of Object.entries(record(root.configs ?? {}, 'configs'))) {
    const cfg = record(c ?? {}, `configs.${host}`);
    const entry: { auth?: RegistryAuth; tls?: RegistryTls } = {};
    if (cfg.auth !== undefined) {
      const a = record(cfg.auth, `configs.${host}.auth`);
      entry.auth = {
        username: optString(a.username, `configs.${host}.auth.username`),
        password: optString(a.password, `configs.${host}.auth.password`),
        auth: optString(a.auth, `configs.${host}.auth.auth`),
        identityToken: optString(a.identity_token, `configs.${host}.auth.identity_token`),
      };
    }
    if (cfg.tls !== undefined) {
      const t = record(cfg.tls, `configs.${host}.tls`);
      const skip = t.insecure_skip_verify;
      if (skip !== undefined && typeof skip !== 'boolean') throw new RegistriesError(`configs.${host}.tls.insecure_skip_verify must be true or false`);
      entry.tls = {
        caFile: optString(t.ca_file, `configs.${host}.tls.ca_file`),
        certFile: optString(t.cert_file, `configs.${host}.tls.cert_file`),
        keyFile: optString(t.key_file, `configs.${host}.tls.key_file`),
        insecureSkipVerify: skip,
      };
    }
    out.configs[host] = entry;
  }
  return out;
}

/** The CRI plugin's registry tables, for the containerd config. */
export function renderRegistries(cfg: RegistriesConfig, quote: (s: string) => string): string {
  const base = 'plugins."io.containerd.grpc.v1.cri".registry';
  const lines: string[] = [];
  for (const [host, m] of Object.entries(cfg.mirrors)) {
    lines.push(`[${base}.mirrors.${quote(host)}]`, `  endpoint = [${m.endpoints.map(quote).join(', ')}]`);
  }
  for (const [host, c] of Object.entries(cfg.configs)) {
    if (c.auth) {
      lines.push(`[${base}.configs.${quote(host)}.auth]`);
      if (c.auth.username !== undefined) lines.push(`  username = ${quote(c.auth.username)}`);
      if (c.auth.password !== undefined) lines.push(`  password = ${quote(c.auth.password)}`);
      if (c.auth.auth !== undefined) lines.push(`  auth = ${quote(c.auth.auth)}`);
      if (c.auth.identityToken !== undefined) lines.push(`  identitytoken = ${quote(c.auth.identityToken)}`);
    }
    if (c.tls) {
      lines.push(`[${base}.configs.${quote(host)}.tls]`);
      if (c.tls.caFile !== undefined) lines.push(`  ca_file = ${quote(c.tls.caFile)}`);
      if (c.tls.certFile !== undefined) lines.push(`  cert_file = ${quote(c.tls.certFile)}`);
      if (c.tls.keyFile !== undefined) lines.push(`  key_file = ${quote(c.tls.keyFile)}`);
      if (c.tls.insecureSkipVerify !== undefined) lines.push(`  insecure_skip_verify = ${c.tls.insecureSkipVerify}`);
    }
  }
  return lines.join('\n');
}

function record(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RegistriesError(`${where} must be a mapping`);
  return v as Record<string, unknown>;
}

function stringList(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new RegistriesError(`${where} must be a list of strings`);
  return v as string[];
}

function optString(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new RegistriesError(`${where} must be a string`);
  return v;
}
