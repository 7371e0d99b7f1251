/**
 * The fleet as the dashboard draws it: which GPU (or MIG slice) each admitted workload holds,
 * per-node cells, and per-site/per-model aggregates. Pure functions over the listed objects.
 */
import { type Accelerator, type Cluster, HOLDING_PHASES, type Node, type Workload } from './objects.js';

/** MIG memory slices of a GPU (nvidia-smi mig -lgipp: every profile spans a run of them). */
export const MIG_MEMORY_SLICES = 8;

export interface Holder {
  /** project/name of the workload. */
  readonly workload: string;
  readonly tenant: string | undefined;
  /** Share of the GPU it books: 1, or milli / 1000 for a fractional pod. */
  readonly share: number;
}

export interface SliceCell {
  readonly profile: string;
  readonly start: number;
  readonly size: number;
  readonly holder: Holder | undefined;
}

export interface GpuCell {
  readonly index: number;
  readonly model: string;
  /** Holders of the whole GPU or of fractional shares of it; empty when free or carved into MIG slices. */
  readonly holders: readonly Holder[];
  /** MIG instances, in start order; empty when MIG is off. */
  readonly slices: readonly SliceCell[];
  /** Booked share of the GPU, 0–1: 1 when held whole, the fractional shares' sum, or used memory slices / 8 under MIG. */
  readonly allocation: number;
  /** Busy share the node reports for it (0–1); undefined when the node reports no utilisation. */
  readonly utilization: number | undefined;
}

export interface NodeView {
  readonly name: string;
  readonly cluster: string;
  readonly site: string;
  readonly state: string;
  readonly simulated: boolean;
  readonly models: readonly string[];
  readonly gpus: readonly GpuCell[];
  readonly allocated: number;
  /** Mean utilisation of its GPUs that report one; undefined when none does. */
  readonly utilization: number | undefined;
  readonly tenants: ReadonlySet<string>;
}

export interface Aggregate {
  readonly site: string;
  readonly model: string;
  readonly nodes: readonly NodeView[];
  readonly gpus: number;
  readonly allocated: number;
  /** GPUs with a utilisation report, and the sum of their figures. */
  readonly reporting: number;
  readonly utilized: number;
}

/** What the heatmap colours by: booked share, or the utilisation nodes report. */
export type HeatMode = 'allocation' | 'utilization';

interface GpuBooking {
  readonly whole: Holder[];
  /** MIG instances held, by start slice. */
  readonly mig: Map<number, Holder>;
}

type Bookings = Map<string, Map<number, GpuBooking>>;

/** What every holding workload has booked, by node and GPU index (MIG slices by start). */
export function bookings(
  workloads: Iterable<Workload>,
  tenantOfProject: (project: string) => string | undefined,
): Bookings {
  const out: Bookings = new Map();
  for (const w of workloads) {
    const status = w.status;
    if (!status?.admission || !HOLDING_PHASES.has(status.phase)) continue;
    const project = w.metadata.project ?? '';
    const workload = `${project}/${w.metadata.name}`;
    const tenant = w.metadata.tenant ?? tenantOfProject(project);
    const milliOf = new Map(
      (w.spec.podSets ?? []).map((set) => [set.name, set.resources?.accelerators?.milli]),
    );
    for (const pod of status.admission.pods) {
      const node = out.get(pod.node) ?? new Map<number, GpuBooking>();
      out.set(pod.node, node);
      const gpuOf = (index: number) => {
        const gpu: GpuBooking = node.get(index) ?? { whole: [], mig: new Map() };
        node.set(index, gpu);
        return gpu;
      };
      const milli = milliOf.get(podSetName(pod.pod));
      const holder: Holder = { workload, tenant, share: milli === undefined ? 1 : milli / 1000 };
      if (pod.mig) gpuOf(pod.mig.gpu).mig.set(pod.mig.start, holder);
      else for (const index of pod.gpus) gpuOf(index).whole.push(holder);
    }
  }
  return out;
}

/** The pod set a booked pod belongs to: pods are named `[…/]<pod set>-<index>`. */
export function podSetName(pod: string): string {
  return pod.slice(pod.lastIndexOf('/') + 1).replace(/-\d+$/, '');
}

/**
 * Memory slices a MIG profile spans, from its memory and the GPU's ("3g.40gb" on an 80 GB GPU:
 * 4 of 8), read from the names so no catalog request is needed; the compute count when the
 * model's name carries no memory size.
 */
export function migSize(profile: string, model: string): number {
  const profileGb = /\.(\d+)gb$/i.exec(profile);
  const modelGb = /(\d+)GB/i.exec(model);
  if (profileGb && modelGb) {
    const size = Math.round((Number(profileGb[1]) / Number(modelGb[1])) * MIG_MEMORY_SLICES);
    return Math.min(MIG_MEMORY_SLICES, Math.max(1, size));
  }
  const compute = Number(/^(\d+)g/.exec(profile)?.[1] ?? 1);
  return compute >= 7 ? 8 : compute >= 3 ? 4 : compute;
}

function gpuCell(
  accelerator: Accelerator,
  booked: GpuBooking | undefined,
  utilization: number | undefined,
): GpuCell {
  const layout = accelerator.mig?.mode === 'enabled' ? (accelerator.mig.layout ?? []) : [];
  let next = 0;
  const slices = layout
    .map((instance) => {
      const size = migSize(instance.profile, accelerator.model);
      // Starts left out of a manifest are chosen by the server; lay those out in order.
      const start = instance.start ?? next;
      next = start + size;
      return { profile: instance.profile, start, size, holder: booked?.mig.get(start) };
    })
    .sort((a, b) => a.start - b.start);
  const holders = booked?.whole ?? [];
  const allocation =
    holders.length > 0
      ? Math.min(
          1,
          holders.reduce((sum, h) => sum + h.share, 0),
        )
      : slices.reduce((used, s) => used + (s.holder ? s.size : 0), 0) / MIG_MEMORY_SLICES;
  return { index: accelerator.index, model: accelerator.model, holders, slices, allocation, utilization };
}

export function nodeViews(
  nodes: Iterable<Node>,
  clusters: ReadonlyMap<string, Cluster>,
  booked: Bookings,
): NodeView[] {
  const views: NodeView[] = [];
  for (const node of nodes) {
    const cluster = clusters.get(node.spec.cluster);
    const onNode = booked.get(node.metadata.name);
    const measured = new Map(node.status?.accelerators?.map((a) => [a.index, a.utilization]));
    const gpus = (node.spec.accelerators ?? []).map((a) =>
      gpuCell(a, onNode?.get(a.index), measured.get(a.index)),
    );
    const reported = gpus.flatMap((g) => (g.utilization === undefined ? [] : [g.utilization]));
    const tenants = new Set<string>();
    for (const gpu of gpus) {
      for (const h of [...gpu.holders, ...gpu.slices.map((s) => s.holder)])
        if (h?.tenant) tenants.add(h.tenant);
    }
    views.push({
      name: node.metadata.name,
      cluster: node.spec.cluster,
      site: cluster?.spec.site ?? node.metadata.labels?.['strata.dev/site'] ?? '(no site)',
      state: node.status?.state ?? 'Unreported',
      simulated: node.status?.simulated === true || cluster?.spec.provider === 'simulated',
      models: [...new Set(gpus.map((g) => g.model))],
      gpus,
      allocated: gpus.reduce((sum, g) => sum + g.allocation, 0),
      utilization:
        reported.length === 0 ? undefined : reported.reduce((sum, u) => sum + u, 0) / reported.length,
      tenants,
    });
  }
  return views.sort((a, b) => a.site.localeCompare(b.site) || a.name.localeCompare(b.name));
}

/** One row per site and GPU model (CPU-only nodes under "CPU only"), nodes sorted by name. */
export function aggregate(views: readonly NodeView[]): Aggregate[] {
  const groups = new Map<
    string,
    {
      site: string;
      model: string;
      nodes: NodeView[];
      gpus: number;
      allocated: number;
      reporting: number;
      utilized: number;
    }
  >();
  for (const view of views) {
    const model = view.models.length === 0 ? 'CPU only' : view.models.join(' + ');
    const key = `${view.site}\u0000${model}`;
    const group = groups.get(key) ?? {
      site: view.site,
      model,
      nodes: [],
      gpus: 0,
      allocated: 0,
      reporting: 0,
      utilized: 0,
    };
    groups.set(key, group);
    group.nodes.push(view);
    group.gpus += view.gpus.length;
    group.allocated += view.allocated;
    for (const gpu of view.gpus) {
      if (gpu.utilization === undefined) continue;
      group.reporting++;
      group.utilized += gpu.utilization;
    }
  }
  return [...groups.values()].sort((a, b) => a.site.localeCompare(b.site) || a.model.localeCompare(b.model));
}

/** A GPU's share in `mode`: undefined for utilisation the node does not report. */
export function gpuShare(gpu: GpuCell, mode: HeatMode): number | undefined {
  return mode === 'allocation' ? gpu.allocation : gpu.utilization;
}

/** A node's share in `mode`, over its GPUs (0 without GPUs); undefined for unreported utilisation. */
export function nodeShare(node: NodeView, mode: HeatMode): number | undefined {
  if (mode === 'utilization') return node.utilization;
  return node.gpus.length === 0 ? 0 : node.allocated / node.gpus.length;
}

/** The colour of a GPU or node whose utilisation is not reported: neither free nor busy. */
export const NO_REPORT = 'repeating-linear-gradient(45deg, #d8d8d8 0 3px, #f2f2f2 3px 6px)';
/** The same for a canvas, which draws flat colours. */
export const NO_REPORT_FLAT = '#d0d0d0';

/** The heatmap's colour for a booked share: free is a cool grey-green, full a warm red. */
export function heat(share: number): string {
  const s = Math.min(1, Math.max(0, share));
  const hue = 140 - 140 * s;
  return `hsl(${hue.toFixed(0)} ${(45 + 30 * s).toFixed(0)}% ${(78 - 28 * s).toFixed(0)}%)`;
}
