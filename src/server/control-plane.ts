import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { sortForApply } from '../model/manifests.js';
import { type Clock, systemClock } from '../runtime/clock.js';
import { readManifests } from '../runtime/manifest-files.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { type AppContext, buildApp } from './app.js';
import { type BootstrapResult, bootstrap, systemContext } from './bootstrap.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { ensureTls } from './tls.js';

/** The demo fleet ships with the package, beside dist/. */
export const DEMO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/demo');

export interface ControlPlaneOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly host: string;
  /** A store URL (`postgres://…`); the embedded SQLite file under dataDir when absent. */
  readonly storeUrl?: string;
  readonly demo: boolean;
  readonly clock?: Clock;
  readonly logger?: boolean;
  /** Serve HTTPS with a certificate from a CA kept in the data dir (the default); false serves plain HTTP. */
  readonly tls?: boolean;
}

export interface DemoReport {
  readonly applied: number;
  readonly failed: readonly string[];
}

export interface ControlPlane {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly ctx: AppContext;
  readonly store: Store;
  readonly bootstrap: BootstrapResult;
  readonly kubeconfigFile: string;
  /** The PEM of the CA that signed the server certificate, when serving HTTPS. */
  readonly ca?: string;
  readonly caFile?: string;
  readonly demo?: DemoReport;
  close(): Promise<void>;
}

/** Opens the store, bootstraps security, optionally loads the demo fleet, and listens. */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const clock = options.clock ?? systemClock;
  const store = await openStore(options.storeUrl, { dataDir, clock });
  try {
    const tls = options.tls === false ? undefined : await ensureTls(dataDir, options.host);
    const { app, ctx } = await buildApp({
      store,
      clock,
      logger: options.logger ?? false,
      ...(tls !== undefined && { https: { key: tls.key, cert: tls.cert } }),
    });
    const boot = await bootstrap(ctx, dataDir);
    const demo = options.demo ? await loadDemo(ctx) : undefined;
    await app.listen({ port: options.port, host: options.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : options.port;
    const url = `${tls ? 'https' : 'http'}://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
    const kubeconfigFile = join(dataDir, 'kubeconfig');
    await writeFile(
      kubeconfigFile,
      kubeconfigYaml({
        server: url,
        token: boot.adminToken,
        user: 'admin',
        ...(tls !== undefined && { ca: tls.ca }),
      }),
      { mode: 0o600 },
    );
    return {
      url,
      app,
      ctx,
      store,
      bootstrap: boot,
      kubeconfigFile,
      ...(tls !== undefined && { ca: tls.ca, caFile: tls.caFile }),
      ...(demo !== undefined && { demo }),
      async close() {
        await app.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Applies examples/demo through the same path as `strata apply`, as the system; unchanged on a restart. */
async function loadDemo(ctx: AppContext): Promise<DemoReport> {
  const { documents, errors } = await readManifests(DEMO_DIR);
  const failed = errors.map((e) => `${e.source}#${e.index}: ${e.message}`);
  const system = systemContext('system:demo', `demo-${ctx.ids()}`);
  let applied = 0;
  for (const doc of sortForApply(documents)) {
    try {
      await ctx.resources.apply(system, doc.value);
      applied++;
    } catch (error) {
      failed.push(`${doc.source}#${doc.index}: ${(error as Error).message}`);
    }
  }
  return { applied, failed };
}
