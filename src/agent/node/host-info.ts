/**
 * Facts about the machine an agent runs on, as the kubelet reads them for
 * nodeInfo and addresses: architecture in Go's names, kernel, OS image from
 * /etc/os-release, machine id, and the default node IP (first non-loopback
 * IPv4 address, as the kubelet picks without --node-ip).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';

/** Node's `process.arch` in Go's GOARCH names (what `kubernetes.io/arch` holds). */
export function goArch(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };
  return map[arch] ?? arch;
}

/** PRETTY_NAME from /etc/os-release, or the OS type. */
export function osImage(): string {
  try {
    const text = fs.readFileSync('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME=(?:"([^"]*)"|(.*))$/m.exec(text);
    if (m) return m[1] ?? m[2] ?? os.type();
  } catch {
    /* not Linux, or no os-release */
  }
  return os.type();
}

export function kernelVersion(): string {
  return os.release();
}

/** The first non-internal IPv4 address, else 127.0.0.1. */
export function defaultNodeIP(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/**
 * Stable identifiers for a simulated node, derived from its name so a
 * restarted simulation reports the same machine (a changed boot id would
 * read as a reboot).
 */
export function fakeMachineIds(nodeName: string): { machineID: string; systemUUID: string; bootID: string } {
  const h = createHash('sha256').update(`bramble-fake:${nodeName}`).digest('hex');
  const uuid = (s: string) => `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
  return { machineID: h.slice(0, 32), systemUUID: uuid(h.slice(32, 64)), bootID: uuid(h.slice(16, 48)) };
}
