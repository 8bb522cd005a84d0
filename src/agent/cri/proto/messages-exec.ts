/**
 * Running commands in containers: synchronous exec (probes), and the
 * streaming exec and attach requests whose answers are URLs of the
 * runtime's streaming server.
 */

export interface ExecSyncRequest {
  containerId: string;
  cmd: string[];
  /** Seconds; 0 waits for ever. */
  timeout: number;
}

export interface ExecSyncResponse {
  stdout: Uint8Array;
  stderr: Uint8Array;
  exitCode: number;
}

export interface ExecRequest {
  containerId: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface AttachRequest {
  containerId: string;
  stdin: boolean;
  tty: boolean;
  stdout: boolean;
  stderr: boolean;
}

export const execSchema = `
ExecSyncRequest
  containerId 1 string
  cmd 2 []string
  timeout 3 int64
ExecSyncResponse
  stdout 1 bytes
  stderr 2 bytes
  exitCode 3 int32
ExecRequest
  containerId 1 string
  cmd 2 []string
  tty 3 bool
  stdin 4 bool
  stdout 5 bool
  stderr 6 bool
AttachRequest
  containerId 1 string
  stdin 2 bool
  tty 3 bool
  stdout 4 bool
  stderr 5 bool
`;
