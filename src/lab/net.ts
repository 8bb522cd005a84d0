/**
 * The lab's LAN, built from real kernel objects with iproute2:
 * one bridge in the host namespace holding the host's address (.1), and per
 * board a network namespace joined to it by a veth pair, with lo up, its
 * address and a default route via the host. The host does not forward
 * beyond the bridge (no forwarding or NAT rules are added), so boards reach
 * each other and the host, and nothing else.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { BoardRecord, LabRecord } from './state.ts';

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Like ip(), for teardown: a missing piece is not an error. */
function ipQuiet(args: string[]): void {
  spawnSync('ip', args, { stdio: 'ignore' });
}

export const linkExists = (name: string) => spawnSync('ip', ['link', 'show', 'dev', name], { stdio: 'ignore' }).status === 0;
export const netnsExists = (name: string) => fs.existsSync(`/var/run/netns/${name}`);
export const nsPath = (name: string) => `/var/run/netns/${name}`;

export function createBridge(lab: LabRecord): void {
  if (linkExists(lab.bridge)) ipQuiet(['link', 'del', lab.bridge]);
  ip(['link', 'add', lab.bridge, 'type', 'bridge']);
  ip(['addr', 'add', lab.hostAddress, 'dev', lab.bridge]);
  ip(['link', 'set', lab.bridge, 'up']);
}

export function createBoardNet(lab: LabRecord, b: BoardRecord): void {
  if (netnsExists(b.netns)) ipQuiet(['netns', 'del', b.netns]);
  if (linkExists(b.veth)) ipQuiet(['link', 'del', b.veth]);
  ip(['netns', 'add', b.netns]);
  ip(['-n', b.netns, 'link', 'set', 'lo', 'up']);
  // Create the pair with its board end already inside the namespace, named eth0 as on a Pi.
  ip(['link', 'add', b.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', b.netns]);
  ip(['link', 'set', b.veth, 'master', lab.bridge]);
  ip(['link', 'set', b.veth, 'up']);
  const prefix = lab.subnet.split('/')[1];
  ip(['-n', b.netns, 'addr', 'add', `${b.ip}/${prefix}`, 'dev', 'eth0']);
  ip(['-n', b.netns, 'link', 'set', 'eth0', 'up']);
  ip(['-n', b.netns, 'route', 'add', 'default', 'via', lab.hostAddress.split('/')[0]!]);
}

/** A board's cable: its veth's host end up or down (down drops the carrier on both ends). */
export function setLink(b: BoardRecord, up: boolean): void {
  if (linkExists(b.veth)) ip(['link', 'set', b.veth, up ? 'up' : 'down']);
}

export function linkUp(name: string): boolean {
  try {
    return /[<,]UP[,>]/.test(execFileSync('ip', ['-o', 'link', 'show', 'dev', name], { encoding: 'utf8' }));
  } catch {
    return false;
  }
}

/** Deleting the namespace deletes its end of the veth and with it the pair; the explicit del covers a half-made board. */
export function removeBoardNet(b: BoardRecord): void {
  if (netnsExists(b.netns)) ipQuiet(['netns', 'del', b.netns]);
  if (linkExists(b.veth)) ipQuiet(['link', 'del', b.veth]);
}

export function removeBridge(lab: LabRecord): void {
  if (linkExists(lab.bridge)) ipQuiet(['link', 'del', lab.bridge]);
}
