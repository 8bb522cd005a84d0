/**
 * `/version`. kubectl on these machines is a dispatcher that picks a bundled
 * kubectl by the server's minor version, so this must say 1.32.
 */
const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };

export const kubernetesVersion = { major: '1', minor: '32', patch: '4' };

export function versionInfo(brambleVersion: string) {
  return {
    major: kubernetesVersion.major,
    minor: kubernetesVersion.minor,
    gitVersion: `v${kubernetesVersion.major}.${kubernetesVersion.minor}.${kubernetesVersion.patch}+bramble`,
    gitCommit: brambleVersion,
    gitTreeState: 'clean',
    buildDate: '2026-11-22T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'node',
    platform: `${process.platform}/${arch[process.arch] ?? process.arch}`,
  };
}
