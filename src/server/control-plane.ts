import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { admissionController } from '../controllers/admission-controller.js';
import { CONTROLLERS_LEASE, ControllerManager } from '../controllers/controller.js';
import { nodeLifecycleController } from '../controllers/node-lifecycle.js';
import { sortForApply } from '../model/manifests.js';
import { burstController } from '../providers/cloud/burst-controller.js';
import { kubernetesProviderController } from '../providers/kubernetes/kubernetes-controller.js';
import { localProviderController } from '../providers/local/local-provider.js';
import { PodLogStore } from '../providers/local/pod-log-store.js';
import { simulatedProviderController } from '../providers/simulated/simulated-provider-controller.js';
import { writeFileAtomic } from '../runtime/atomic-file.js';
import { type Clock, systemClock } from '../runtime/clock.js';
import { LeaderElector } from '../runtime/leader-elector.js';
import { readManifests } from '../runtime/manifest-files.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { type AppContext, buildApp } from './app.js';
import { type BootstrapResult, bootstrap, systemContext } from './bootstrap.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { LOCAL_NODE, localNodeSpec, registerLocalFleet } from './local-node.js';
import { registerLogRoutes } from './routes/log-routes.js';
import { ensureTls } from './tls.js';

/** Failover takes at most the TTL plus a third of it (the retry interval): under the 10 s goal. */
const DEFAULT_LEASE_TTL_MS = 6_000;
/**
 * A node agent heartbeats every 5 s; this much silence (6 missed beats) means its node is gone. With
 * a sweep every 2 s its work is requeued at most 32 s after its last heartbeat (issue 6: ≤ 40 s).
 */
export const DEFAULT_NODE_GRACE_MS = 30_000;
const NODE_SWEEP_MS = 2_000;
/** An admission round runs this often, and shortly after every commit. */
const ADMISSION_INTERVAL_MS = 2_000;
/** The demo's simulated pods run this many virtual seconds per second, so its workloads finish in minutes. */
const DEMO_SIMULATION_ACCELERATION = 10;

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
  /** This replica's name in leader election; host, pid and a random suffix by default. */
  readonly replicaId?: string;
  /** How long the controllers lease lasts unrenewed: failover takes at most this plus a third of it. */
  readonly leaseTtlMs?: number;
  /** Run the admission controller (default true); API tests that count writes turn it off. */
  readonly admission?: boolean;
  /** How long a node may go without a heartbeat before it is NotReady and its work requeued (default 40 s). */
  readonly nodeGraceMs?: number;
  /**
   * Register this machine as the `local` node (with a `default` tenant, project and queue) and run
   * its pods as child processes (default true); API tests that count objects turn it off.
   */
  readonly localNode?: boolean;
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
    const replica = options.replicaId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    const logs = new PodLogStore(join(dataDir, 'logs'));
    const localProvider =
      options.localNode === false ? undefined : localProviderController({ node: LOCAL_NODE, logs });
    const controllers = new ControllerManager(store, clock, [
      ...(localProvider ? [localProvider] : []),
      nodeLifecycleController({
        graceMs: options.nodeGraceMs ?? DEFAULT_NODE_GRACE_MS,
        intervalMs: Math.min(NODE_SWEEP_MS, options.nodeGraceMs ?? NODE_SWEEP_MS),
      }),
      // Runs the pods placed on the nodes of Kubernetes clusters that have a kubeconfig, as Jobs.
      kubernetesProviderController(),
      // The demo fleet has no node agents: its unreported nodes count as (simulated) Ready for admission.
      ...(options.admission === false
        ? []
        : [
            admissionController({
              intervalMs: ADMISSION_INTERVAL_MS,
              assumeUnreportedNodesReady: options.demo,
            }),
            // Runs the pods of simulated and cloud nodes, and under --demo of the nodes no agent reports.
            simulatedProviderController({
              unreportedNodes: options.demo,
              acceleration: options.demo ? DEMO_SIMULATION_ACCELERATION : 1,
            }),
            // Rents simulated cloud nodes for admissible work that cannot be placed, when its queue bursts.
            burstController(),
          ]),
    ]);
    let onLeadership: (leading: boolean) => void = () => {};
    const elector = new LeaderElector(
      store,
      { lease: CONTROLLERS_LEASE, holder: replica, ttlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS },
      {
        elected: (fence) => {
          controllers.elected(fence);
          onLeadership(true);
        },
        deposed: () => {
          controllers.deposed();
          onLeadership(false);
        },
      },
    );
    const { app, ctx } = await buildApp({
      store,
      clock,
      logger: options.logger ?? false,
      leadership: { replica, elector },
      ...(tls !== undefined && { https: { key: tls.key, cert: tls.cert } }),
      // `strata simulate` writes sim-out/ where it runs: the data dir's first, then the working dir's.
      dashboard: { simulationDirs: [join(dataDir, 'sim-out'), resolve('sim-out')] },
    });
    onLeadership = (leading) => ctx.metrics.leader.set(leading ? 1 : 0);
    registerLogRoutes(app, ctx, logs);
    const boot = await bootstrap(ctx, dataDir);
    if (localProvider) await registerLocalFleet(ctx, (await localNodeSpec()).spec);
    const demo = options.demo ? await loadDemo(ctx) : undefined;
    await app.listen({ port: options.port, host: options.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : options.port;
    const url = `${tls ? 'https' : 'http'}://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
    const kubeconfigFile = join(dataDir, 'kubeconfig');
    elector.start();
    await writeFileAtomic(
      kubeconfigFile,
      kubeconfigYaml({
        server: url,
        token: boot.adminToken,
        user: 'admin',
        ...(tls !== undefined && { ca: tls.ca }),
      }),
      0o600,
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
        await elector.stop();
        await localProvider?.closed();
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
