/**
 * The machine `strata up` runs on, as a fleet of one (issue 6): Site, Cluster and Node `local`, whose
 * pods the local provider runs as child processes, plus a `default` tenant, project and queue so a
 * fresh control plane can run work at once. The fleet objects are applied on every start (a changed
 * machine updates its Node); the tenancy and queue objects only when missing, so an edited quota stays.
 */
import { cpus, totalmem } from 'node:os';
import { discoverHardware } from '../hardware/discovery/discover-hardware.js';
import { nodeSpecFrom } from '../hardware/discovery/node-spec-from.js';
import type { NodeSpec } from '../model/fleet.js';
import { API_VERSION, type ObjectInput } from '../model/object.js';
import type { AppContext } from './app.js';
import { systemContext } from './bootstrap.js';

export const LOCAL_NODE = 'local';
/** The label that selects the local node (the `local` resource class uses it). */
export const LOCAL_NODE_LABEL = 'strata.dev/provider';
const DEFAULT = 'default';

/** This machine as a Node spec: hardware discovery (CPUs, NUMA, memory, GPUs via nvidia-smi), else os. */
export async function localNodeSpec(): Promise<{ spec: NodeSpec; warnings: readonly string[] }> {
  try {
    const hardware = await discoverHardware();
    return { spec: nodeSpecFrom(hardware, LOCAL_NODE, LOCAL_NODE), warnings: hardware.warnings };
  } catch (error) {
    // Not Linux, or /proc unreadable: CPUs and memory as Node sees them, no GPUs.
    return {
      spec: {
        cluster: LOCAL_NODE,
        cpu: { cores: Math.max(1, cpus().length), numaNodes: 1 },
        memory: totalmem(),
        accelerators: [],
        nics: [],
        taints: [],
        unschedulable: false,
      },
      warnings: [`hardware discovery failed, using Node's os module: ${(error as Error).message}`],
    };
  }
}

/** The objects of the local fleet; `timeZone` is this machine's (Intl's resolved zone). */
export function localFleet(
  node: NodeSpec,
  timeZone: string,
): { always: ObjectInput[]; ifMissing: ObjectInput[] } {
  const object = (kind: string, name: string, spec: unknown, metadata: Record<string, unknown> = {}) =>
    ({ apiVersion: API_VERSION, kind, metadata: { name, ...metadata }, spec }) as ObjectInput;
  const labels = { [LOCAL_NODE_LABEL]: LOCAL_NODE };
  const gpus = node.accelerators.length;
  return {
    always: [
      object(
        'Site',
        LOCAL_NODE,
        {
          description:
            'The machine `strata up` runs on. Jurisdiction ZZ/LOCAL (unknown), power budget and tariff are placeholders: apply your own Site local to set them.',
          region: 'local',
          jurisdiction: { country: 'ZZ', regime: 'LOCAL' },
          provider: 'on-prem',
          timeZone,
          powerBudgetKW: 1,
          tariff: { currency: 'EUR', pricePerKWh: 0 },
        },
        { labels },
      ),
      object(
        'Cluster',
        LOCAL_NODE,
        {
          site: LOCAL_NODE,
          provider: 'local',
          description: 'Pods run as child processes of the control plane.',
        },
        { labels },
      ),
      object('Node', LOCAL_NODE, node, { labels }),
      object(
        'ResourceClass',
        LOCAL_NODE,
        { description: 'The local node: the machine the control plane runs on.', nodeSelector: labels },
        { labels },
      ),
    ],
    ifMissing: [
      object('Tenant', DEFAULT, { displayName: 'Default tenant (created by strata up)' }),
      object(
        'Project',
        DEFAULT,
        { displayName: 'Default project (created by strata up)' },
        { tenant: DEFAULT },
      ),
      object('Queue', DEFAULT, {
        description: 'Runs work on the local node; its quota is the machine (created by strata up).',
        resources: [
          {
            resourceClass: LOCAL_NODE,
            nominal: { cpu: node.cpu.cores, memory: node.memory, ...(gpus > 0 && { gpus }) },
          },
        ],
      }),
    ],
  };
}

/** Applies the local fleet as the system; idempotent (unchanged objects are not rewritten). */
export async function registerLocalFleet(ctx: AppContext, node: NodeSpec): Promise<void> {
  const system = systemContext('system:local-node', `local-node-${ctx.ids()}`);
  const { always, ifMissing } = localFleet(node, Intl.DateTimeFormat().resolvedOptions().timeZone);
  for (const object of always) await ctx.resources.apply(system, object);
  for (const object of ifMissing) {
    const exists = await ctx.store.get({ kind: object.kind, name: object.metadata.name });
    if (!exists) await ctx.resources.apply(system, object);
  }
}
