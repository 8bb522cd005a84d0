/**
 * The HTTP surface shared by HTTP/1.1 and HTTP/2 requests. Node's two
 * compatibility APIs differ in types but not in the parts used here, so the
 * handlers see one small interface.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface UserInfo {
  name: string;
  groups: string[];
  /** How the user authenticated, for logs. */
  via: 'x509' | 'token' | 'anonymous';
}

export interface HttpRequest extends AsyncIterable<Buffer> {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
  httpVersion: string;
}

export interface HttpResponse {
  statusCode: number;
  setHeader(name: string, value: string | number | string[]): unknown;
  getHeader(name: string): unknown;
  writeHead(status: number, headers?: Record<string, string | number | string[]>): unknown;
  write(chunk: string | Uint8Array): boolean;
  end(chunk?: string | Uint8Array): unknown;
  flushHeaders(): void;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  on(event: 'close' | 'drain' | 'finish', cb: () => void): unknown;
  once(event: 'close' | 'drain' | 'finish', cb: () => void): unknown;
}

/** Per-request state the handler chain fills in. */
export interface RequestContext {
  req: HttpRequest;
  res: HttpResponse;
  url: URL;
  user: UserInfo;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  started: number;
}
