/**
 * Seed 000's hello-node flow on one real board: `bramble server` with its
 * embedded agent on containerd (test/harness/board.ts: the board lives in
 * a network namespace of its own), driven by stock kubectl:
 * create deployment → the pod Running with an IP from the node's podCIDR →
 * HTTP to the pod IP from the node → kubectl logs and logs -f → kubectl
 * exec -it … -- sh in a tmux pane → kubectl port-forward → kubectl delete
 * deployment removes the containers. The image is the offline
 * `bramble.local/hello-node:1.0` (busybox httpd on 8080).
 *
 * Needs root, containerd, runc, the CNI plugins and tmux.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connectCri } from '../../src/agent/cri/index.ts';
import { BOARD_IP, startBoard, type Board } from '../harness/board.ts';

const IMAGE = 'bramble.local/hello-node:1.0';
let board: Board;
const tmuxSocket = `bramble-t${process.pid}`;

before(async () => {
  board = await startBoard({ name: 'pi-hello' });
});
after(async () => {
  spawnSync('tmux', ['-L', tmuxSocket, 'kill-server']);
  await board?.stop();
});

async function waitFor<T>(what: string, check: () => Promise<T | false | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}\n--- server log tail ---\n${board.log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const json = async (args: string[]) => JSON.parse(await board.k([...args, '-o', 'json']));
/** One HTTP GET from inside the board, with busybox nc. */
const httpGet = async (host: string, port: number) =>
  (await board.sh(['/usr/bin/busybox', 'nc', '-w', '3', host, String(port)], { input: 'GET / HTTP/1.0\r\n\r\n', timeoutMs: 10_000 })).stdout;

let podName = '';
let podIP = '';

describe('seed 000: hello-node on a real board', () => {
  it('the board registers as a Ready control-plane node with a pod CIDR', async () => {
    const node = await waitFor('node Ready', async () => {
      const n = await json(['get', 'node', 'pi-hello']);
      return n.status.conditions.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') && n.spec.podCIDR && n;
    });
    assert.match(node.spec.podCIDR, /^10\.42\.\d+\.0\/24$/);
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\//);
    assert.equal(node.metadata.labels['node-role.kubernetes.io/control-plane'], 'true');
  });

  it('kubectl create deployment runs the pod with an IP from the node\'s pod CIDR, and it answers HTTP', async () => {
    assert.match(await board.k(['create', 'deployment', 'hello-node', `--image=${IMAGE}`]), /deployment.apps\/hello-node created/);
    const pod = await waitFor('hello-node Running and Ready', async () => {
      const list = await json(['get', 'pods', '-l', 'app=hello-node']);
      const p = list.items[0];
      return p?.status.phase === 'Running' && p.status.conditions.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') && p;
    });
    podName = pod.metadata.name;
    podIP = pod.status.podIP;
    const cidr = (await json(['get', 'node', 'pi-hello'])).spec.podCIDR as string;
    assert.equal(podIP.split('.').slice(0, 3).join('.'), cidr.split('.').slice(0, 3).join('.'), `${podIP} in ${cidr}`);
    assert.match(await httpGet(podIP, 8080), /HTTP\/1\.[01] 200 OK[\s\S]*Hello World!/);
    assert.match(await board.k(['get', 'pods', '-o', 'wide']), new RegExp(`${podName}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${podIP.replace(/\./g, '\\.')}\\s+pi-hello`));
  });

  it('kubectl expose: the ClusterIP and a NodePort answer on the board (service proxy in nftables)', async () => {
    await board.k(['expose', 'deployment', 'hello-node', '--port=8080']);
    const svc = await json(['get', 'svc', 'hello-node']);
    assert.match(svc.spec.clusterIP, /^10\.43\.\d+\.\d+$/);
    await waitFor('the ClusterIP answers', async () => /Hello World!/.test(await httpGet(svc.spec.clusterIP, 8080)), 20_000);
    await board.k(['expose', 'deployment', 'hello-node', '--type=NodePort', '--port=8080', '--name=hello-np']);
    const np = (await json(['get', 'svc', 'hello-np'])).spec.ports[0].nodePort as number;
    assert.ok(np >= 30000 && np <= 32767, String(np));
    const nodeIP = (await json(['get', 'node', 'pi-hello'])).status.addresses.find((a: { type: string }) => a.type === 'InternalIP').address;
    assert.equal(nodeIP, BOARD_IP);
    await waitFor('the NodePort answers on the node address', async () => /Hello World!/.test(await httpGet(nodeIP, np)), 20_000);
  });

  it('a pod resolves the Service by its short name through cluster DNS (10.43.0.10 → the node\'s DNS server)', async () => {
    const svc = await json(['get', 'svc', 'hello-node']);
    const dnsSvc = await waitFor('kube-dns', async () => json(['get', 'svc', '-n', 'kube-system', 'kube-dns']));
    assert.equal(dnsSvc.spec.clusterIP, '10.43.0.10');
    const out = await waitFor('nslookup hello-node', async () => {
      // busybox's nslookup asks every search domain and exits 1 when any of them is NXDOMAIN
      // (as it does in any Kubernetes cluster); the answer for the first one is what counts.
      const r = await board.kubectl(['exec', podName, '--', 'nslookup', 'hello-node']);
      return r.stdout.includes(svc.spec.clusterIP) && r.stdout;
    }, 20_000);
    assert.match(out, /hello-node\.default\.svc\.cluster\.local/);
    // And over HTTP by name, from inside the pod (busybox nc; the name goes through the resolver).
    const r = await board.kubectl(['exec', podName, '--', 'sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 3 hello-node 8080']);
    assert.match(r.stdout, /Hello World!/, r.stderr);
  });

  it('kubectl logs shows the requests; logs -f follows new ones', async () => {
    const logs = await waitFor('a logged request', async () => {
      const out = await board.k(['logs', `deployment/hello-node`]);
      return /GET \/|url:\//.test(out) && out;
    }, 15_000);
    assert.ok(logs.length > 0);
    const follow = board.spawnIn(['/usr/bin/kubectl', '--kubeconfig', board.kubeconfig, 'logs', '-f', '--tail=0', podName]);
    let followed = '';
    follow.stdout!.on('data', (d) => (followed += d));
    await new Promise((r) => setTimeout(r, 1000));
    await httpGet(podIP, 8080);
    await waitFor('the new request in logs -f', async () => /GET \/|url:\//.test(followed), 15_000);
    follow.kill('SIGINT');
  });

  it('kubectl exec -it … -- sh works in a terminal (tmux)', async () => {
    const cmd = [...board.enter, '/usr/bin/kubectl', '--kubeconfig', board.kubeconfig, 'exec', '-it', podName, '--', 'sh'].join(' ');
    const tmux = (...a: string[]) => spawnSync('tmux', ['-L', tmuxSocket, ...a], { encoding: 'utf8' });
    assert.equal(tmux('new-session', '-d', '-s', 'exec', '-x', '120', '-y', '30', cmd).status, 0);
    const pane = () => tmux('capture-pane', '-p', '-t', 'exec').stdout;
    await waitFor('a shell prompt', async () => /[#$] ?$/m.test(pane()), 20_000);
    tmux('send-keys', '-t', 'exec', 'echo inside-$((6*7)) $(hostname)', 'Enter');
    await waitFor('the command output', async () => new RegExp(`inside-42 ${podName}`).test(pane()), 10_000);
    tmux('send-keys', '-t', 'exec', 'exit', 'Enter');
    await waitFor('the session to end', async () => tmux('has-session', '-t', 'exec').status !== 0, 10_000);
  });

  it('kubectl exec passes the exit code back', async () => {
    const r = await board.kubectl(['exec', podName, '--', 'sh', '-c', 'echo out; exit 3']);
    assert.equal(r.code, 3);
    assert.match(r.stdout, /^out$/m);
  });

  it('kubectl port-forward serves a local port', async () => {
    const pf = board.spawnIn(['/usr/bin/kubectl', '--kubeconfig', board.kubeconfig, 'port-forward', `deployment/hello-node`, '18080:8080']);
    let out = '';
    pf.stdout!.on('data', (d) => (out += d));
    await waitFor('port-forward listening', async () => /Forwarding from 127\.0\.0\.1:18080/.test(out), 20_000);
    assert.match(await httpGet('127.0.0.1', 18080), /200 OK[\s\S]*Hello World!/);
    pf.kill('SIGINT');
  });

  it('kubectl top shows the node\'s and the pod\'s figures', async () => {
    const pods = await waitFor('kubectl top pod', async () => {
      const r = await board.kubectl(['top', 'pod', podName, '--no-headers']);
      return r.code === 0 && r.stdout;
    }, 30_000);
    assert.match(pods, new RegExp(`^${podName}\\s+\\d+m\\s+\\d+Mi`));
    assert.match(await board.k(['top', 'node', '--no-headers']), /^pi-hello\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/);
  });

  it('kubectl delete deployment removes the pod and its containers', async () => {
    await board.k(['delete', 'deployment,service', 'hello-node']);
    await board.kubectl(['delete', 'service', 'hello-np']);
    await waitFor('no hello-node pods', async () => (await json(['get', 'pods', '-l', 'app=hello-node'])).items.length === 0);
    const cri = connectCri(board.criSocket);
    try {
      await waitFor('no containers or sandboxes left', async () => {
        const [cs, sbs] = await Promise.all([cri.runtime.listContainers(), cri.runtime.listPodSandbox()]);
        return cs.filter((c) => c.labels?.['io.kubernetes.pod.name'] === podName).length === 0 && sbs.filter((s) => s.metadata?.name === podName).length === 0;
      }, 30_000);
    } finally {
      cri.close();
    }
  });
});
