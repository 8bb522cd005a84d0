/** Failures of the streaming protocols, with a code callers can branch on. */
export type StreamErrorCode =
  | 'WsProtocol' // malformed WebSocket traffic
  | 'WsHandshake' // the peer did not upgrade as asked
  | 'SpdyProtocol' // malformed SPDY traffic
  | 'SpdyHandshake'
  | 'StreamReset' // the peer reset a stream
  | 'Closed'; // the session or socket is gone

export class StreamError extends Error {
  readonly code: StreamErrorCode;
  constructor(code: StreamErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StreamError';
    this.code = code;
  }
}
