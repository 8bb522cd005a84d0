/**
 * busybox nslookup (what a busybox pod has) as an independent resolver. It
 * only speaks to port 53, so the server runs in a user+network namespace of
 * its own (unshare -rn), where its loopback's port 53 touches nothing else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

const dir = path.dirname(new URL(import.meta.url).pathname);

function available(): string | undefined {
  try {
    execFileSync('unshare', ['-rn', 'true'], { stdio: 'ignore' });
  } catch {
    return 'unshare -rn (user namespaces) is not available';
  }
  try {
    execFileSync('busybox', ['true'], { stdio: 'ignore' });
  } catch {
    return 'busybox is not installed';
  }
  return undefined;
}

const missing = available();

test('busybox nslookup: service A, headless hostname, SRV, PTR, NXDOMAIN', { skip: missing }, async () => {
  // One shell in the namespace: bring lo up, start the server, run the lookups once it is ready.
  const script = `
    ip link set lo up
    # The coprocess's stdin is a pipe from this shell: it ends, and the server stops, when the shell exits.
    coproc SRV { exec "${process.execPath}" --disable-warning=ExperimentalWarning "${dir}/testdata/netns-server.ts"; }
    read -r line <&\${SRV[0]}
    [ "$line" = ready ] || { echo "server said: $line"; exit 1; }
    for q in "my-server.default.svc.cluster.local" "db-0.db.default.svc.cluster.local" "-type=SRV _pg._tcp.db.default.svc.cluster.local" "10.43.5.5" "-type=A nope.default.svc.cluster.local"; do
      echo "== $q"
      busybox nslookup $q 127.0.0.1 2>&1
    done
    kill $SRV_PID
  `;
  const child = spawn('unshare', ['-rn', 'bash', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await once(child, 'exit');
  clearTimeout(timer);
  if (process.env['DNS_TEST_VERBOSE']) console.log(out);
  const sections = Object.fromEntries(
    out
      .split(/^== /m)
      .slice(1)
      .map((s) => [s.slice(0, s.indexOf('\n')), s]),
  );
  assert.match(sections['my-server.default.svc.cluster.local'] ?? out, /Address: 10\.43\.5\.5/);
  assert.match(sections['db-0.db.default.svc.cluster.local'] ?? out, /Address: 10\.42\.0\.7/);
  assert.match(sections['-type=SRV _pg._tcp.db.default.svc.cluster.local'] ?? out, /0 100 5432 db-0\.db\.default\.svc\.cluster\.local/);
  assert.match(sections['10.43.5.5'] ?? out, /name = my-server\.default\.svc\.cluster\.local/);
  assert.match(sections['-type=A nope.default.svc.cluster.local'] ?? out, /NXDOMAIN/);
});
