/**
 * `bramble lab`: a virtual multi-board cluster on one Linux machine (root),
 * for trying bramble before owning Pis and for multi-node tests. The work
 * is in src/lab/; this file parses `lab <up|status|kill|start|down>`.
 */
import { UsageError, type CommandSpec, type FlagValues } from './flags.ts';

export const spec: CommandSpec = {
  name: 'lab',
  summary: `Run a virtual cluster of boards on this machine: each board is a network namespace on a shared bridge (the LAN) running its own containerd and bramble

Subcommands:
  up      Create the LAN and N boards; board-1 runs 'bramble server', the others 'bramble agent'; waits until all nodes are Ready
  status  List the boards: name, IP, role, process alive, link, node Ready
  kill    Cut a board's power: its bramble, containerd and containers die (SIGKILL) and its link goes down
  start   Bring a killed board back: link up, bramble started again on its data
  down    Remove everything the lab created (processes, containers, mounts, cgroups, namespaces, links, bridge, board files); safe to repeat`,
  usage: `bramble lab up --dir DIR --nodes N [--servers M] [--subnet CIDR] [--images DIR] [--server-flag=--FLAG=VALUE]…
  bramble lab status --dir DIR
  bramble lab kill --dir DIR BOARD
  bramble lab start --dir DIR BOARD [--wait]
  bramble lab down --dir DIR`,
  flags: [
    { name: 'dir', kind: 'string', arg: 'DIR', env: 'BRAMBLE_LAB_DIR', help: 'Folder of the lab: lab.json, kubeconfig.yaml, boards/<name>/{data,log}' },
    { name: 'nodes', kind: 'int', arg: 'N', default: 3, help: 'up: number of boards (board-1 … board-N)' },
    { name: 'servers', kind: 'int', arg: 'M', default: 1, help: 'up: boards running a server; more than 1 makes an HA cluster (board-1 --cluster-init, the others join with --server; use an odd number: etcd needs a majority)' },
    { name: 'subnet', kind: 'string', arg: 'CIDR', help: 'up: the LAN; the host gets .1, boards .2 … (default: 10.231.0.0/24, or the next /24 no host route uses)' },
    { name: 'images', kind: 'string', arg: 'DIR', help: 'up: image archives (*.tar) to side-load onto every board (default: build the test images)' },
    { name: 'server-flag', kind: 'list', arg: 'FLAG', default: [], help: "up: a flag passed to every server, one per use, in '=' form: --server-flag=--node-monitor-grace-period=15s (no commas)" },
    { name: 'timeout', kind: 'int', arg: 'SECONDS', default: 300, help: 'up, start --wait: how long to wait for nodes to be Ready' },
    { name: 'wait', kind: 'bool', help: 'start: wait until the board\'s node is Ready' },
  ],
};

export async function run(values: FlagValues, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const dir = values['dir'] as string | undefined;
  if (!sub) throw new UsageError('missing subcommand: up, status, kill, start or down');
  if (!dir) throw new UsageError('--dir is required');
  const lab = await import('../lab/lab.ts');
  const say = (line: string) => process.stdout.write(line + '\n');
  const timeoutMs = Number(values['timeout']) * 1000;
  const board = () => {
    if (rest.length !== 1) throw new UsageError(`lab ${sub} takes one board name, e.g. board-2`);
    return rest[0]!;
  };
  if (process.getuid?.() !== 0) throw new Error('the lab creates namespaces, links and cgroups: run it as root');
  switch (sub) {
    case 'up': {
      if (rest.length) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
      const nodes = Number(values['nodes']);
      const servers = Number(values['servers']);
      if (!(servers >= 1 && servers <= nodes)) throw new UsageError('--servers must be between 1 and --nodes');
      // Refused rather than quietly built with one server: a script asking for three would test something else.
      try {
        await lab.up({ dir, nodes, servers, subnet: values['subnet'] as string | undefined, images: values['images'] as string | undefined, serverFlags: (values['server-flag'] as string[]) ?? [], timeoutMs, say });
      } catch (e) {
        process.stderr.write(`bramble lab up failed; the lab is left for inspection: 'bramble lab status --dir ${dir}', logs under ${dir}/boards, then 'bramble lab down --dir ${dir}'\n`);
        throw e;
      }
      return 0;
    }
    case 'status': {
      const rows = await lab.status(dir);
      const table = [['NAME', 'IP', 'ROLE', 'PROCESS', 'LINK', 'READY'], ...rows.map((r) => [r.name, r.ip, r.role, r.running ? 'running' : 'dead', r.link ? 'up' : 'down', r.ready])];
      const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)) + 3);
      for (const row of table) say(row.map((c, i) => c.padEnd(widths[i]!)).join('').trimEnd());
      return 0;
    }
    case 'kill':
      await lab.killOne(dir, board());
      say(`${rest[0]} killed (power cut)`);
      return 0;
    case 'start':
      await lab.startOne(dir, board(), { wait: values['wait'] === true, timeoutMs, say });
      return 0;
    case 'down':
      await lab.down(dir, say);
      return 0;
    default:
      throw new UsageError(`unknown subcommand "${sub}" (up, status, kill, start, down)`);
  }
}
