/**
 * The sandbox ("pause") program, as a tiny static Linux executable for
 * amd64 and arm64, assembled here from a dozen instructions, and the
 * image around it.
 *
 * Why not a shell: a `sh -c 'trap … ; while sleep'` pause needs busybox
 * (2 MB) in the image and two processes per pod. Why not upstream's
 * pause.c: building it needs a C toolchain and a static libc per
 * architecture. This program is 248 bytes, needs nothing, and does what a
 * pause must:
 *   - blocks SIGINT and SIGTERM and waits for either with
 *     rt_sigtimedwait, then exits 0 (a blocked signal is queued even for a
 *     namespace's PID 1, which ignores unhandled signals);
 *   - sets SIGCHLD to SIG_IGN, so the kernel reaps orphans re-parented to
 *     it when the pod shares one PID namespace;
 *   - otherwise sleeps, costing one process and a few kB.
 * So the agent can also write this image itself on a node without any
 * image archive.
 */
import { buildImageLayout, hostPlatform, type ImageLayout, type Platform } from './oci-layout.ts';
import { writeTar } from './tar.ts';

/** The sandbox image's name (the containerd config's `sandbox_image`). */
export const PAUSE_IMAGE = 'bramble.local/pause:3.9';

/** Load address of the single segment (64 KiB aligned: arm64 kernels may use 64 KiB pages). */
const BASE = 0x400000;
const EHDR = 64;
const PHDR = 56;
const CODE_AT = EHDR + PHDR;

const SIGSET = 0x4002n; // bits for SIGINT (2) and SIGTERM (15)
/** sigaction for SIGCHLD: handler SIG_IGN (1), no flags, no restorer, empty mask. */
const IGNORE_ACTION = [1n, 0n, 0n, 0n];

/** The pause executable for an architecture (`amd64` or `arm64`). */
export function pauseBinary(architecture: string): Uint8Array {
  switch (architecture) {
    case 'amd64':
      return elf(62, amd64Code());
    case 'arm64':
      return elf(183, arm64Code());
    default:
      throw new Error(`no pause program for architecture ${architecture}`);
  }
}

/** The pause image for the given platforms (both boards we support by default). */
export function pauseImage(platforms: Platform[] = [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }]): ImageLayout {
  return buildImageLayout(
    PAUSE_IMAGE,
    platforms.map((platform) => ({
      platform,
      layers: [writeTar([{ name: 'pause', type: 'file', mode: 0o755, data: pauseBinary(platform.architecture) }])],
      // Unprivileged, as upstream's pause image runs.
      config: { entrypoint: ['/pause'], user: '65535:65535' },
    })),
  );
}

/** True when this host can run the pause program. */
export function hostHasPause(): boolean {
  return ['amd64', 'arm64'].includes(hostPlatform().architecture);
}

/** A minimal ELF64 executable: header, one read+execute PT_LOAD segment covering the file. */
function elf(machine: number, code: Uint8Array): Uint8Array {
  const size = CODE_AT + code.length;
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2 /* 64-bit */, 1 /* little endian */, 1 /* version */, 0 /* System V ABI */]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, machine, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(24, BigInt(BASE + CODE_AT), true); // entry
  v.setBigUint64(32, BigInt(EHDR), true); // program headers follow the ELF header
  v.setUint16(52, EHDR, true);
  v.setUint16(54, PHDR, true);
  v.setUint16(56, 1, true);
  v.setUint16(58, 64, true); // section header size, though there are none
  const p = EHDR;
  v.setUint32(p, 1, true); // PT_LOAD
  v.setUint32(p + 4, 5, true); // PF_R | PF_X
  v.setBigUint64(p + 8, 0n, true);
  v.setBigUint64(p + 16, BigInt(BASE), true);
  v.setBigUint64(p + 24, BigInt(BASE), true);
  v.setBigUint64(p + 32, BigInt(size), true);
  v.setBigUint64(p + 40, BigInt(size), true);
  v.setBigUint64(p + 48, 0x10000n, true);
  b.set(code, CODE_AT);
  return b;
}

function quads(values: bigint[]): number[] {
  const b = new Uint8Array(values.length * 8);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setBigUint64(i * 8, x, true));
  return [...b];
}

/** x86-64, syscall numbers from the x86-64 table. Labels are resolved once every size is known. */
function amd64Code(): Uint8Array {
  const out: number[] = [];
  const labels = new Map<string, number>();
  const fixups: { at: number; end: number; label: string; width: 1 | 4 }[] = [];
  const emit = (...bytes: number[]) => out.push(...bytes);
  const movEax = (n: number) => emit(0xb8, n & 0xff, (n >> 8) & 0xff, 0, 0);
  const syscall4 = () => emit(0x31, 0xd2, 0x41, 0xba, 8, 0, 0, 0, 0x0f, 0x05); // xor edx,edx; mov r10d,8; syscall
  const lea = (modrm: number, label: string) => {
    emit(0x48, 0x8d, modrm, 0, 0, 0, 0); // lea r64, [rip + rel32]
    fixups.push({ at: out.length - 4, end: out.length, label, width: 4 });
  };

  movEax(14); // rt_sigprocmask(SIG_BLOCK, &set, NULL, 8)
  emit(0x31, 0xff); // xor edi, edi
  lea(0x35, 'set'); // rsi
  syscall4();
  movEax(13); // rt_sigaction(SIGCHLD, &ignore, NULL, 8)
  emit(0xbf, 17, 0, 0, 0); // mov edi, 17
  lea(0x35, 'ignore'); // rsi
  syscall4();
  labels.set('wait', out.length);
  movEax(128); // rt_sigtimedwait(&set, NULL, NULL, 8)
  lea(0x3d, 'set'); // rdi
  emit(0x31, 0xf6); // xor esi, esi
  syscall4();
  emit(0x85, 0xc0); // test eax, eax: a signal number, or -EINTR after a stop/continue
  emit(0x7e, 0); // jle wait
  fixups.push({ at: out.length - 1, end: out.length, label: 'wait', width: 1 });
  movEax(231); // exit_group(0)
  emit(0x31, 0xff, 0x0f, 0x05);
  while (out.length % 8) emit(0x90);
  labels.set('set', out.length);
  emit(...quads([SIGSET]));
  labels.set('ignore', out.length);
  emit(...quads(IGNORE_ACTION));

  for (const f of fixups) {
    const rel = labels.get(f.label)! - f.end;
    if (f.width === 1) out[f.at] = rel & 0xff;
    else out.splice(f.at, 4, rel & 0xff, (rel >> 8) & 0xff, (rel >> 16) & 0xff, (rel >>> 24) & 0xff);
  }
  return Uint8Array.from(out);
}

/** AArch64, syscall numbers from the generic table. Every instruction is one 32-bit word. */
function arm64Code(): Uint8Array {
  const words: (number | ((pc: number) => number))[] = [];
  const labels = new Map<string, number>();
  const movz = (rd: number, imm: number) => words.push(0xd2800000 | (imm << 5) | rd);
  const svc = () => words.push(0xd4000001);
  const adr = (rd: number, label: string) =>
    words.push((pc) => {
      const off = labels.get(label)! - pc;
      return (0x10000000 | ((off & 3) << 29) | (((off >> 2) & 0x7ffff) << 5) | rd) >>> 0;
    });

  movz(0, 0); // rt_sigprocmask(SIG_BLOCK, &set, NULL, 8)
  adr(1, 'set');
  movz(2, 0);
  movz(3, 8);
  movz(8, 135);
  svc();
  movz(0, 17); // rt_sigaction(SIGCHLD, &ignore, NULL, 8)
  adr(1, 'ignore');
  movz(2, 0);
  movz(3, 8);
  movz(8, 134);
  svc();
  labels.set('wait', words.length * 4);
  adr(0, 'set'); // rt_sigtimedwait(&set, NULL, NULL, 8)
  movz(1, 0);
  movz(2, 0);
  movz(3, 8);
  movz(8, 137);
  svc();
  words.push(0xf100001f); // cmp x0, #0
  words.push((pc) => (0x54000000 | ((((labels.get('wait')! - pc) >> 2) & 0x7ffff) << 5) | 0xd) >>> 0); // b.le wait
  movz(0, 0); // exit_group(0)
  movz(8, 94);
  svc();
  if (words.length % 2) words.push(0xd503201f); // nop, to align the data
  labels.set('set', words.length * 4);
  labels.set('ignore', words.length * 4 + 8);

  const code = new Uint8Array(words.length * 4);
  const v = new DataView(code.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, typeof w === 'number' ? w : w(i * 4), true));
  return Uint8Array.from([...code, ...quads([SIGSET]), ...quads(IGNORE_ACTION)]);
}
