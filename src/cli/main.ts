/**
 * `bramble` entry point: dispatches to a subcommand. Each subcommand module
 * exports a `CommandSpec` and `run(values, args)`; usage errors exit 2,
 * runtime failures exit 1.
 */
import { helpText, parseFlags, UsageError, type CommandSpec, type FlagValues } from './flags.ts';
import { parseLevel, setLogLevel } from '../util/log.ts';

interface Subcommand {
  spec: CommandSpec;
  run(values: FlagValues, args: string[]): Promise<number | void>;
}

const commands: Record<string, () => Promise<Subcommand>> = {
  server: async () => await import('./server.ts'),
  agent: async () => await import('./agent.ts'),
  sim: async () => await import('./sim.ts'),
  lab: async () => await import('./lab.ts'),
};

import { version } from './version.ts';

function topHelp(): string {
  return `bramble ${version}: a lightweight Kubernetes-compatible orchestrator for small edge clusters

Usage:
  bramble <command> [flags]

Commands:
  server    Run the control plane (API server on an embedded SQLite store)
  agent     Run a node agent: join a server with its token and run pods on containerd (or simulate a node)
  sim       Simulate many nodes in one process (scale tests)
  lab       Run a virtual cluster of boards on this machine (network namespaces)
  version   Print the version

Run 'bramble <command> --help' for a command's flags.
`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(topHelp());
    return name ? 0 : 2;
  }
  if (name === 'version' || name === '--version') {
    process.stdout.write(`bramble version v${version}\n`);
    return 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`bramble: unknown command "${name}"\n\n${topHelp()}`);
    return 2;
  }
  const cmd = await load();
  try {
    const parsed = parseFlags(cmd.spec, rest);
    if (parsed.help) {
      process.stdout.write(helpText(cmd.spec));
      return 0;
    }
    const level = parsed.values['log-level'];
    if (typeof level === 'string') {
      const l = parseLevel(level);
      if (!l) throw new UsageError(`invalid --log-level "${level}" (error, warn, info, debug, trace)`);
      setLogLevel(l);
    }
    if (parsed.values['debug'] === true) setLogLevel('debug');
    return (await cmd.run(parsed.values, parsed.args)) ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bramble ${name}: ${e.message}\n\n${helpText(cmd.spec)}`);
      return 2;
    }
    process.stderr.write(`bramble ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`bramble: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
