/**
 * /healthz, /livez, /readyz and their per-check paths, answered as the real
 * apiserver does: `ok`, or with `?verbose` one `[+]name ok` line per check.
 */
import type { RequestContext } from './http.ts';
import { writeText } from './respond.ts';

export interface HealthCheck {
  name: string;
  check(): boolean;
}

export function serveHealth(ctx: RequestContext, endpoint: string, checks: HealthCheck[]): void {
  const sub = ctx.url.pathname.split('/')[2];
  const selected = sub ? checks.filter((c) => c.name === sub) : checks;
  if (sub && selected.length === 0) {
    writeText(ctx.res, 404, '404 page not found\n');
    return;
  }
  const results = selected.map((c) => ({ name: c.name, ok: safe(c) }));
  const ok = results.every((r) => r.ok);
  if (!ctx.url.searchParams.has('verbose') && ok) {
    writeText(ctx.res, 200, 'ok');
    return;
  }
  const lines = results.map((r) => (r.ok ? `[+]${r.name} ok` : `[-]${r.name} failed: reason withheld`));
  lines.push(ok ? `${endpoint} check passed` : `${endpoint} check failed`);
  writeText(ctx.res, ok ? 200 : 503, lines.join('\n') + '\n');
}

function safe(c: HealthCheck): boolean {
  try {
    return c.check();
  } catch {
    return false;
  }
}
