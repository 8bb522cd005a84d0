/**
 * The admin kubeconfig, shaped like k3s's `k3s.yaml`: one cluster, one user
 * and one context, all called `default`, with the CA and the client
 * certificate embedded as base64 so the file is self-contained.
 *
 * Called by `bramble server` once the API answers (`--write-kubeconfig`).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.ts';

export interface KubeconfigInput {
  /** API server URL, e.g. `https://127.0.0.1:6443`. */
  server: string;
  /** PEM of the CA that signed the serving certificate. */
  caPem: string;
  /** PEM client certificate (a chain is allowed) and its PEM key. */
  certPem: string;
  keyPem: string;
  /** Name of the cluster, user and context; `default` like k3s. */
  name?: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** kubeconfig YAML text. Keys in the order `kubectl config view` prints them. */
export function renderKubeconfig(input: KubeconfigInput): string {
  const name = input.name ?? 'default';
  const url = new URL(input.server); // throws on a malformed server address
  if (url.protocol !== 'https:') throw new TypeError(`kubeconfig server must be https://, got ${input.server}`);
  // Written by hand rather than with the yaml package: the shape is fixed,
  // and not loading that library saves ~12 MB of server memory.
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${b64(input.caPem)}`,
    `    server: ${scalar(input.server)}`,
    `  name: ${scalar(name)}`,
    'contexts:',
    '- context:',
    `    cluster: ${scalar(name)}`,
    `    user: ${scalar(name)}`,
    `  name: ${scalar(name)}`,
    `current-context: ${scalar(name)}`,
    'kind: Config',
    'preferences: {}',
    'users:',
    `- name: ${scalar(name)}`,
    '  user:',
    `    client-certificate-data: ${b64(input.certPem)}`,
    `    client-key-data: ${b64(input.keyPem)}`,
    '',
  ].join('\n');
}

/** A YAML scalar: plain when unambiguous, else a JSON string (valid YAML double-quoted form). */
function scalar(s: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._/:@+=-]*$/.test(s) && !/^(true|false|null|yes|no|on|off|~)$/i.test(s) && !/^[\d.+-]+$/.test(s) ? s : JSON.stringify(s);
}

/** Parses a mode given as a number or an octal string such as `0600` or `644`. */
export function parseFileMode(mode: number | string): number {
  const n = typeof mode === 'number' ? mode : /^0?[0-7]{3,4}$/.test(mode) ? parseInt(mode, 8) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0o7777) throw new RangeError(`invalid file mode ${JSON.stringify(mode)}`);
  return n;
}

/**
 * Writes a kubeconfig atomically with exactly `mode` (0600 by default,
 * whatever the umask), creating parent directories (0755, as k3s does for
 * /etc/rancher/k3s, so a deliberately shared 0644 file stays readable).
 */
export async function writeKubeconfig(file: string, text: string, mode: number | string = 0o600): Promise<void> {
  const m = parseFileMode(mode);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  await writeFileAtomic(file, text, m);
}
