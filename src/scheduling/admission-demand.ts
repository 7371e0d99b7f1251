/**
 * What a Workload asks of its queue's quota (issue 5 item 1): one ResourceClass and an amount per
 * quota dimension. Pure: derived from the Workload spec, the Queue spec and the ResourceClasses.
 *
 * Dimensions (keys of `Amounts`):
 * - `gpus`: whole GPUs (count × pods); `milliGpus`: fractional shares (milli × pods), kept apart from
 *   whole GPUs as the Queue schema does; `mig:<profile>`: MIG slices of that profile;
 * - `cpu`: cores; `memory`: bytes;
 * - `gpuHours`: (whole GPUs + milliGpus / 1000) × maxRuntimeSeconds / 3600, only when the workload
 *   states a maximum runtime (a workload without one books no GPU-hours). GPU-hours quota bounds the
 *   GPU-hours committed by admitted, unfinished workloads.
 *
 * ResourceClass of a workload: the first entry of the queue's `resources` whose ResourceClass lists
 * an accelerator model one of the workload's pod sets asks for (`accelerators.models`, compared
 * case-insensitively) or whose MIG profile a pod set asks for; otherwise the queue's first entry.
 * A queue with no resources has no class: every dimension is then unmetered (see the ledger).
 */
import type { ApiObject } from '../model/object.js';
import { bytesOf, coresOf } from '../model/quantity-schema.js';
import type { QueueSpec, ResourceClassSpec, WorkloadSpec } from '../model/scheduling.js';

/** A quota dimension: 'gpus' | 'milliGpus' | 'cpu' | 'memory' | 'gpuHours' | `mig:${profile}`. */
export type Dimension = string;
/** Amounts per dimension; a missing key is zero. */
export type Amounts = ReadonlyMap<Dimension, number>;

export interface Demand {
  /** The ResourceClass whose quota the workload books; undefined when the queue lists none. */
  readonly resourceClass: string | undefined;
  readonly amounts: Amounts;
  /** GPUs (whole + milli/1000) the workload holds while it runs, for GPU-time accounting. */
  readonly gpus: number;
}

/** Converts a Queue's `resourceAmounts` into dimension amounts (only the dimensions it names). */
export function amountsOf(
  spec: QueueSpec['resources'][number]['nominal'] | undefined,
): Map<Dimension, number> {
  const out = new Map<Dimension, number>();
  if (!spec) return out;
  if (spec.gpus !== undefined) out.set('gpus', spec.gpus);
  if (spec.milliGpus !== undefined) out.set('milliGpus', spec.milliGpus);
  for (const [profile, n] of Object.entries(spec.migProfiles ?? {})) out.set(`mig:${profile}`, n);
  if (spec.cpu !== undefined) out.set('cpu', coresOf(spec.cpu));
  if (spec.memory !== undefined) out.set('memory', bytesOf(spec.memory));
  if (spec.gpuHours !== undefined) out.set('gpuHours', spec.gpuHours);
  return out;
}

/** The ResourceClass the workload books on its queue (see the module comment for the rule). */
export function resourceClassOf(
  workload: WorkloadSpec,
  queue: QueueSpec,
  classes: ReadonlyMap<string, ResourceClassSpec>,
): string | undefined {
  const models = new Set<string>();
  const profiles = new Set<string>();
  for (const set of workload.podSets) {
    const acc = set.resources.accelerators;
    for (const m of acc?.models ?? []) models.add(m.toLowerCase());
    if (acc?.migProfile !== undefined) profiles.add(acc.migProfile);
  }
  if (models.size > 0 || profiles.size > 0) {
    for (const entry of queue.resources) {
      const acc = classes.get(entry.resourceClass)?.accelerator;
      if (!acc) continue;
      if (acc.models.some((m) => models.has(m.toLowerCase()))) return entry.resourceClass;
      if (acc.migProfile !== undefined && profiles.has(acc.migProfile)) return entry.resourceClass;
    }
  }
  return queue.resources[0]?.resourceClass;
}

export function demandOf(
  workload: ApiObject<WorkloadSpec>,
  queue: QueueSpec,
  classes: ReadonlyMap<string, ResourceClassSpec>,
): Demand {
  const spec = workload.spec;
  const amounts = new Map<Dimension, number>();
  const add = (d: Dimension, v: number) => {
    if (v !== 0) amounts.set(d, (amounts.get(d) ?? 0) + v);
  };
  for (const set of spec.podSets) {
    const acc = set.resources.accelerators;
    add('cpu', coresOf(set.resources.cpu) * set.count);
    add('memory', bytesOf(set.resources.memory) * set.count);
    if (acc?.count !== undefined) add('gpus', acc.count * set.count);
    else if (acc?.milli !== undefined) add('milliGpus', acc.milli * set.count);
    else if (acc?.migProfile !== undefined) add(`mig:${acc.migProfile}`, set.count);
  }
  const gpus = (amounts.get('gpus') ?? 0) + (amounts.get('milliGpus') ?? 0) / 1000;
  if (spec.maxRuntimeSeconds !== undefined && gpus > 0)
    add('gpuHours', (gpus * spec.maxRuntimeSeconds) / 3600);
  return { resourceClass: resourceClassOf(spec, queue, classes), amounts, gpus };
}

/** How a dimension reads in a message: "GPUs", "milli-GPU", "MIG 1g.10gb", "CPU cores", "GPU-hours". */
export function dimensionLabel(d: Dimension): string {
  if (d.startsWith('mig:')) return `MIG ${d.slice(4)} slices`;
  return (
    {
      gpus: 'GPUs',
      milliGpus: 'milli-GPU',
      cpu: 'CPU cores',
      memory: 'bytes of memory',
      gpuHours: 'GPU-hours',
    }[d] ?? d
  );
}

/** Formats an amount of a dimension for a message (memory in binary units, others to 3 decimals). */
export function formatAmount(d: Dimension, v: number): string {
  if (d === 'memory') {
    const gi = v / 2 ** 30;
    return Number.isInteger(gi) ? `${gi}Gi` : `${Math.round(gi * 1000) / 1000}Gi`;
  }
  return String(Math.round(v * 1000) / 1000);
}

/** "2 GPUs", "16Gi memory". */
export function describeAmount(d: Dimension, v: number): string {
  return `${formatAmount(d, v)} ${dimensionLabel(d)}`;
}
