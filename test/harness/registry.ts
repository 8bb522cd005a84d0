/**
 * An in-process registry over a temporary SQLite store, with the real
 * hooks (schema decoding, defaulting, validation, patches, managed fields),
 * for tests of in-process clients and controllers.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Registry } from '../../src/registry/registry.ts';
import { createHooks } from '../../src/server/hooks.ts';
import { openSqliteBackend } from '../../src/storage/sqlite/sqlite.ts';
import type { UserInfo } from '../../src/apiserver/http.ts';
import { InProcessClient } from '../../src/client/in-process.ts';
import { after, before } from 'node:test';

export const systemUser: UserInfo = { name: 'system:admin', groups: ['system:masters', 'system:authenticated'], via: 'x509' };

export async function openTestRegistry(): Promise<{ registry: Registry; close(): Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bramble-registry-'));
  const backend = await openSqliteBackend({ path: path.join(dir, 'state.db'), writer: 'inline', compactIntervalMs: 0 });
  const registry = new Registry(backend, createHooks());
  await registry.bootstrap({ user: systemUser, warnings: [] });
  return {
    registry,
    async close() {
      await backend.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A test registry and a system client for the enclosing `describe`: opened
 * in its `before`, closed in its `after`. Read the fields inside tests.
 */
export function useTestRegistry(): { registry: Registry; client: InProcessClient } {
  const env = {} as { registry: Registry; client: InProcessClient; close?: () => Promise<void> };
  before(async () => {
    const r = await openTestRegistry();
    env.registry = r.registry;
    env.close = r.close;
    env.client = new InProcessClient(r.registry, systemUser);
  });
  after(async () => env.close?.());
  return env;
}
