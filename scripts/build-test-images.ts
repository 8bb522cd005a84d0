/**
 * Builds the offline test images as OCI image-layout archives, for
 * `ctr images import` (src/agent/images/import.ts) on machines with no
 * registry:
 *
 *   bramble.local/busybox:latest  Debian's static busybox with its applet
 *                                 links (sh, httpd, nc, sleep, cat…); cmd `sh`.
 *                                 The host's architecture only (it is the
 *                                 host's binary).
 *   bramble.local/hello-node:1.0  seed 000's hello-node as a busybox httpd: the
 *                                 busybox layer plus /var/www/index.html, serving
 *                                 port 8080 in the foreground and logging each
 *                                 request (a tag other than `latest`, so the
 *                                 pull policy is IfNotPresent as in the seed).
 *   bramble.local/pause:3.9       the sandbox image: a 248-byte static pause
 *                                 program (src/agent/images/pause.ts), for
 *                                 amd64 and arm64 in one index.
 *
 * Same inputs, same bytes: fixed mtimes and owners, sorted entries,
 * uncompressed layers.
 *
 *   node_modules/.bin/node scripts/build-test-images.ts [--out DIR] [--busybox PATH]
 *
 * DIR defaults to tmp/test-images in the repository (git-ignored).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildImageLayout, hostPlatform, type Descriptor } from '../src/agent/images/oci-layout.ts';
import { pauseImage, PAUSE_IMAGE } from '../src/agent/images/pause.ts';
import { writeTar, type TarEntry } from '../src/agent/images/tar.ts';

export const BUSYBOX_IMAGE = 'bramble.local/busybox:latest';
export const HELLO_NODE_IMAGE = 'bramble.local/hello-node:1.0';
export { PAUSE_IMAGE };

export interface BuiltImage {
  name: string;
  file: string;
  target: Descriptor;
}

/** Writes busybox.tar and pause.tar into `outDir`; returns what it wrote. */
export function buildTestImages(outDir: string, busyboxPath = '/bin/busybox'): BuiltImage[] {
  fs.mkdirSync(outDir, { recursive: true });
  const busybox = buildImageLayout(BUSYBOX_IMAGE, [{ platform: hostPlatform(), layers: [busyboxLayer(busyboxPath)], config: { cmd: ['sh'] } }]);
  const site = writeTar([
    { name: 'var', type: 'dir', mode: 0o755 },
    { name: 'var/www', type: 'dir', mode: 0o755 },
    { name: 'var/www/index.html', type: 'file', data: new TextEncoder().encode('Hello World!\n') },
  ]);
  const helloNode = buildImageLayout(HELLO_NODE_IMAGE, [
    {
      platform: hostPlatform(),
      layers: [busyboxLayer(busyboxPath), site],
      config: { cmd: ['httpd', '-f', '-vv', '-p', '8080', '-h', '/var/www'] },
    },
  ]);
  const pause = pauseImage();
  const out: BuiltImage[] = [];
  for (const [name, file, layout] of [
    [BUSYBOX_IMAGE, 'busybox.tar', busybox],
    [HELLO_NODE_IMAGE, 'hello-node.tar', helloNode],
    [PAUSE_IMAGE, 'pause.tar', pause],
  ] as const) {
    const dest = path.join(outDir, file);
    // Write then rename: a test importing a half-written archive would fail obscurely.
    fs.writeFileSync(dest + '.tmp', layout.tar);
    fs.renameSync(dest + '.tmp', dest);
    out.push({ name, file: dest, target: layout.target });
  }
  return out;
}

/** A root filesystem of one static busybox, its applet links, and the files programs expect. */
function busyboxLayer(busyboxPath: string): Uint8Array {
  const binary = fs.readFileSync(busyboxPath);
  // `--list-full` gives each applet's install path (bin/sh, usr/sbin/httpd…).
  const applets = execFileSync(busyboxPath, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && l !== 'bin/busybox');
  const dirs = new Set(['bin', 'dev', 'etc', 'home', 'proc', 'root', 'sys', 'tmp', 'usr', 'var', 'var/www']);
  for (const a of applets) for (let d = path.posix.dirname(a); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
  const text = (s: string) => new TextEncoder().encode(s);
  const entries: TarEntry[] = [
    ...[...dirs].sort().map((d): TarEntry => ({ name: d, type: 'dir', mode: d === 'tmp' ? 0o1777 : d === 'root' ? 0o700 : 0o755 })),
    { name: 'bin/busybox', type: 'file', mode: 0o755, data: binary },
    { name: 'etc/passwd', type: 'file', data: text('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n') },
    { name: 'etc/group', type: 'file', data: text('root:x:0:\nnobody:x:65534:\n') },
    ...applets.sort().map((a): TarEntry => ({ name: a, type: 'symlink', target: '/bin/busybox' })),
  ];
  return writeTar(entries);
}

function main(argv: string[]): void {
  let out = path.join(path.dirname(import.meta.dirname), 'tmp', 'test-images');
  let busybox = '/bin/busybox';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = argv[++i];
    else if (argv[i] === '--busybox') busybox = argv[++i];
    else {
      process.stderr.write(`usage: build-test-images.ts [--out DIR] [--busybox PATH]\n`);
      process.exit(2);
    }
  }
  if (!fs.existsSync(busybox)) {
    process.stderr.write(`${busybox} not found: install busybox-static (scripts/install-deps.sh)\n`);
    process.exit(1);
  }
  for (const img of buildTestImages(out, busybox)) {
    process.stdout.write(`${img.name}\t${img.target.digest}\t${img.file}\n`);
  }
}

if (import.meta.main) main(process.argv.slice(2));
