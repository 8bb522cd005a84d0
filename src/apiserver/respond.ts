/**
 * Writing responses: JSON bodies, Status errors, and the headers the real
 * apiserver sends (kubectl ignores most, but some clients look).
 */
import { ApiError, errors, type Status } from '../api/errors.ts';
import type { HttpResponse } from './http.ts';
import { logger } from '../util/log.ts';

const log = logger('apiserver');

export function writeJSON(res: HttpResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, {
    'content-type': contentType,
    'cache-control': 'no-cache, private',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function writeText(res: HttpResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache, private', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Any thrown value becomes a Status; unexpected ones are logged as 500s. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  log.error('internal error', { err: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  return errors.internal(e);
}

export function writeError(res: HttpResponse, e: unknown): Status {
  const err = toApiError(e);
  const status = err.toStatus();
  if (res.headersSent) {
    res.end();
    return status;
  }
  if (err.details?.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(err.details.retryAfterSeconds));
  writeJSON(res, err.code, status);
  return status;
}

/** `Warning: 299 - "text"` headers, escaped as kubectl requires. */
export function addWarning(res: HttpResponse, text: string): void {
  const value = `299 - "${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const prev = res.getHeader('warning');
  const list = prev === undefined ? [] : Array.isArray(prev) ? (prev as string[]) : [String(prev)];
  res.setHeader('warning', [...list, value]);
}
