/**
 * How the proxy reaches the kernel: one `nft -f -` per transaction (nft
 * applies a whole file atomically). Injectable so tests can run nft inside
 * a network namespace of their own.
 */
import { spawn } from 'node:child_process';

/** Applies an nft script atomically; rejects with nft's message on failure. */
export type NftRunner = (script: string) => Promise<void>;

/** Runs `cmd… -f -` (default `nft -f -`) with the script on stdin. */
export function nftCommand(cmd: string[] = ['nft']): NftRunner {
  return (script) =>
    new Promise((resolve, reject) => {
      const child = spawn(cmd[0]!, [...cmd.slice(1), '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`nft exited ${code}: ${err.trim()}`))));
      child.stdin.end(script);
    });
}

export const defaultNft: NftRunner = nftCommand();
