/**
 * Builds `bramble.local/nginx:bench`, a keep-alive HTTP backend for the
 * networking benchmarks, without a registry: the host's Debian nginx binary,
 * the shared libraries `ldd` says it loads (and the dynamic loader), a
 * minimal nginx.conf and a small static page, as one OCI image-layout
 * archive written with the same helpers as scripts/build-test-images.ts.
 *
 *   node_modules/.bin/node bench/images/nginx.ts [--out DIR] [--nginx PATH]
 *
 * Why not busybox httpd (bramble.local/hello-node): it forks a process and
 * closes the connection for every request, so a req/s figure through it
 * measures fork and TCP set-up on a busy 2-core machine rather than the
 * packet path under test. nginx with one worker, keep-alive connections
 * that last the whole run and no access log spends a few microseconds per
 * request, so differences in the network path show.
 *
 * Bench only: tests and `bramble lab` do not build it. The image is for the
 * host's architecture (it is the host's binary). Same inputs, same bytes
 * (tar.ts fixes owners and mtimes; entries are sorted).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildImageLayout, hostPlatform, type Descriptor } from '../../src/agent/images/oci-layout.ts';
import { writeTar, type TarEntry } from '../../src/agent/images/tar.ts';

export const NGINX_IMAGE = 'bramble.local/nginx:bench';
export const NGINX_PORT = 8080;
/** The page every request gets; small, so the figures are per-request costs, not bytes. */
export const PAGE = 'Hello from nginx\n';

// keepalive_requests: nginx 1.22 closes a connection after 1,000 requests by
// default; wrk would then reconnect every few milliseconds and the run would
// partly measure connection set-up (where the Service proxy's DNAT is
// decided). A bound far above what one run sends keeps each wrk connection
// open for the whole run; a separate figure can measure new connections.
const CONF = `# bramble.local/nginx:bench (bench/images/nginx.ts)
daemon off;
master_process on;
worker_processes 1;
user nobody nogroup;
pid /run/nginx.pid;
error_log stderr warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
    default_type text/plain;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 300s;
    keepalive_requests 10000000;
    client_body_temp_path /var/lib/nginx/body;
    proxy_temp_path /var/lib/nginx/proxy;
    fastcgi_temp_path /var/lib/nginx/fastcgi;
    uwsgi_temp_path /var/lib/nginx/uwsgi;
    scgi_temp_path /var/lib/nginx/scgi;
    server {
        listen ${NGINX_PORT} default_server;
        root /var/www;
        location / {
            index index.html;
        }
    }
}
`;

/** Absolute paths of the shared objects `binary` loads, from `ldd` (the loader included). */
export function sharedLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"; vdso has no file.
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]!);
    else if (/not found/.test(line)) throw new Error(`ldd ${binary}: ${line.trim()}`);
  }
  return libs;
}

/** The image's one layer: nginx, its libraries at the paths the loader looks in, config, page. */
export function nginxLayer(nginxPath = '/usr/sbin/nginx'): Uint8Array {
  const text = (s: string) => new TextEncoder().encode(s);
  const files = new Map<string, { data: Uint8Array; mode: number }>();
  // At the path ldd printed (what the loader searches), with the contents of the
  // real file behind any symlink: the image has no usrmerge links.
  for (const lib of sharedLibraries(nginxPath)) files.set(lib.slice(1), { data: fs.readFileSync(fs.realpathSync(lib)), mode: 0o755 });
  files.set('usr/sbin/nginx', { data: fs.readFileSync(nginxPath), mode: 0o755 });
  files.set('etc/nginx/nginx.conf', { data: text(CONF), mode: 0o644 });
  files.set('var/www/index.html', { data: text(PAGE), mode: 0o644 });
  // The master runs as root and switches its worker to nobody (getpwnam: glibc's built-in files NSS).
  files.set('etc/passwd', { data: text('root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'), mode: 0o644 });
  files.set('etc/group', { data: text('root:x:0:\nnogroup:x:65534:\n'), mode: 0o644 });
  files.set('etc/nsswitch.conf', { data: text('passwd: files\ngroup: files\nhosts: files dns\n'), mode: 0o644 });

  const dirs = new Set(['etc', 'proc', 'sys', 'dev', 'tmp', 'run', 'var', 'var/lib', 'var/lib/nginx', 'var/log', 'var/log/nginx', 'var/www']);
  for (const f of files.keys()) for (let d = path.posix.dirname(f); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
  const entries: TarEntry[] = [
    ...[...dirs].sort().map((d): TarEntry => ({ name: d, type: 'dir', mode: d === 'tmp' ? 0o1777 : 0o755 })),
    ...[...files.keys()].sort().map((f): TarEntry => ({ name: f, type: 'file', mode: files.get(f)!.mode, data: files.get(f)!.data })),
  ];
  return writeTar(entries);
}

/** Writes nginx.tar into `outDir`; returns its path and descriptor. */
export function buildNginxImage(outDir: string, nginxPath = '/usr/sbin/nginx'): { name: string; file: string; target: Descriptor } {
  fs.mkdirSync(outDir, { recursive: true });
  const layout = buildImageLayout(NGINX_IMAGE, [
    { platform: hostPlatform(), layers: [nginxLayer(nginxPath)], config: { cmd: ['/usr/sbin/nginx', '-c', '/etc/nginx/nginx.conf'] } },
  ]);
  const file = path.join(outDir, 'nginx.tar');
  fs.writeFileSync(file + '.tmp', layout.tar); // then rename: an importer never sees half a file
  fs.renameSync(file + '.tmp', file);
  return { name: NGINX_IMAGE, file, target: layout.target };
}

function main(argv: string[]): void {
  let out = path.join(path.dirname(path.dirname(import.meta.dirname)), 'tmp', 'bench-images');
  let nginx = '/usr/sbin/nginx';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = argv[++i]!;
    else if (argv[i] === '--nginx') nginx = argv[++i]!;
    else {
      process.stderr.write('usage: bench/images/nginx.ts [--out DIR] [--nginx PATH]\n');
      process.exit(2);
    }
  }
  if (!fs.existsSync(nginx)) {
    process.stderr.write(`${nginx} not found: apt-get install nginx-light (or nginx)\n`);
    process.exit(1);
  }
  const img = buildNginxImage(out, nginx);
  process.stdout.write(`${img.name}\t${img.target.digest}\t${img.file}\n`);
}

if (import.meta.main) main(process.argv.slice(2));
