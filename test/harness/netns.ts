/**
 * Reaching into a test's network namespace from the test process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';

/**
 * A TCP connector into `netns`: each connection is a Duplex over the stdio of
 * a `busybox nc` run inside the namespace (e.g. the agent server's dial to a
 * containerd streaming server listening on the namespace's loopback). The
 * helper processes are tracked in `helpers` so a teardown can kill leftovers.
 */
export function netnsConnector(netns: string, helpers: Set<ChildProcess>): (host: string, port: number) => Duplex {
  return (h, port) => {
    const child = spawn('ip', ['netns', 'exec', netns, '/usr/bin/busybox', 'nc', h, String(port)], { stdio: ['pipe', 'pipe', 'ignore'] });
    helpers.add(child);
    child.on('exit', () => helpers.delete(child));
    const d = Duplex.from({ readable: child.stdout, writable: child.stdin });
    d.on('close', () => child.kill('SIGKILL'));
    d.on('error', () => child.kill('SIGKILL'));
    return d;
  };
}
