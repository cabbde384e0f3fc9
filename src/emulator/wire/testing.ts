// A minimal app around apiRoutes with a permissive authorize, and a helper that serves it on
// 127.0.0.1 (a free port) for tests over real HTTP. Not the emulator server (server.ts).

import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { createCore, type Core, type Region } from '../core/index.js';
import { apiRoutes, type ApiDeps } from './api.js';

export function createApiApp(core: Core, authorize?: ApiDeps['authorize']): Hono {
  const app = new Hono();
  app.route('/', apiRoutes({ core, authorize: authorize ?? (() => undefined) }));
  return app;
}

export interface TestServer {
  url: string;
  core: Core;
  realmId: string;
  /** `${url}/v3/company/${realmId}` */
  base: string;
  /** Moves the injected clock forward. */
  advance(ms: number): void;
  close(): Promise<void>;
}

/** Serves a fresh core with one company over real HTTP. */
export async function startTestServer(opts: { region?: Region; start?: string; seed?: number } = {}): Promise<TestServer> {
  let now = Date.parse(opts.start ?? '2026-03-02T12:00:00Z');
  const core = createCore({ clock: () => new Date(now), seed: opts.seed ?? 1 });
  const company = core.createCompany({ name: 'Test Company', region: opts.region ?? 'US' });
  const app = createApiApp(core);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s: ServerType = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    core,
    realmId: company.realmId,
    base: `${url}/v3/company/${company.realmId}`,
    advance: (ms) => {
      now += ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
