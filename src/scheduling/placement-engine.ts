/**
 * The live placement cycle for one pod (issue 4): prepare → filter → score → choose GPUs → bind,
 * over the incremental FleetSnapshot. Pure: no I/O, no clock; the shell applies the returned
 * bindings to the store and writes the decision records to the audit trail.
 *
 * Candidates come from indexes, never from a scan of every node:
 * - bounded profiles (BestFit): the capacity grid of the pod's model groups is walked best-first
 *   (rows of free milli-GPU, columns of free CPU, both ascending from the pod's request). A cell's
 *   nodes have at least (cell minimum − request) left after placing, so the profile's summed bound
 *   caps their score; a row stops at the first cell whose bound cannot beat the current K-th best
 *   candidate, the walk stops at the first row whose first cell cannot, and a node whose own bound
 *   (from its exact free CPU and GPU) cannot is skipped before any filter runs. Exact up to ties:
 *   the winner has the highest total of all feasible nodes; among equal totals the node found first
 *   wins (grid order, then list order — deterministic for a given history of binds and releases;
 *   the full scans below find the lowest node index first).
 * - unbounded profiles and MIG pods: the signature's list of statically eligible nodes.
 * The default profile is Strata's own policy, `strata` (placement-scorers.ts).
 * Only when nothing fits does the engine look at every node, to count rejections per filter and to
 * tell "never fits" from "not now".
 */
import { freeMigStarts } from '../hardware/mig.js';
import {
  type Binding,
  CELLS_PER_GROUP,
  CPU_CELL_MILLI,
  CPU_LEVELS,
  type FleetSnapshot,
  GPU_CELL_MILLI,
  GPU_LEVELS,
  gpuLevelMin,
} from './fleet-snapshot.js';
import { chooseGpus, GpuChoice } from './gpu-choice.js';
import { OverCommitError } from './gpu-fleet.js';
import type {
  CandidateScore,
  FilterRejection,
  PlacedPod,
  PodDecision,
  PodPlan,
  Unschedulable,
} from './placement-decision.js';
import { CycleState, DEFAULT_FILTERS, type FilterPlugin } from './placement-filters.js';
import {
  DYNAMIC_REASONS,
  REJECTION_MESSAGES,
  REQUEUE_EVENTS,
  REQUEUE_ON,
  STATIC_REASONS,
} from './placement-reasons.js';
import type { PodRequest } from './placement-request.js';
import { isBounded, type PlacementProfile, placementProfile, profileBound } from './placement-scorers.js';
import { PodPreparer, type PreparedPod } from './prepared-pod.js';

/** An allocation that exists already: the pod and where it is bound. */
export interface Allocation {
  readonly request: PodRequest;
  readonly binding: Pick<Binding, 'node' | 'gpus'> & Partial<Pick<Binding, 'mig' | 'numa'>>;
}

export interface RestoreConflict {
  readonly pod: string;
  readonly node: string;
  readonly reason: string;
}

export interface RestoreResult {
  readonly restored: readonly Binding[];
  readonly conflicts: readonly RestoreConflict[];
}

export class PlacementEngine {
  readonly snapshot: FleetSnapshot;
  readonly profile: PlacementProfile;
  readonly filters: readonly FilterPlugin[];
  readonly preparer: PodPreparer;
  readonly #cycle: CycleState;
  readonly #bounded: boolean;
  readonly #topNode: Int32Array;
  readonly #topScore: Float64Array;
  readonly #topChoice: GpuChoice[];
  readonly #topHasChoice: Uint8Array;
  #topCount = 0;

  constructor(
    snapshot: FleetSnapshot,
    profile: PlacementProfile = placementProfile('strata'),
    filters: readonly FilterPlugin[] = DEFAULT_FILTERS,
  ) {
    this.snapshot = snapshot;
    this.profile = profile;
    this.filters = filters;
    this.preparer = new PodPreparer(snapshot);
    this.#cycle = new CycleState(snapshot);
    this.#bounded = isBounded(profile);
    const k = Math.max(1, profile.topK);
    this.#topNode = new Int32Array(k);
    this.#topScore = new Float64Array(k);
    this.#topChoice = Array.from({ length: k }, () => new GpuChoice());
    this.#topHasChoice = new Uint8Array(k);
  }

  prepare(request: PodRequest): PreparedPod {
    return this.preparer.prepare(request);
  }

  /**
   * Chooses a node and GPUs for the pod without booking anything. `restrict` (1 = allowed) limits
   * the candidates, e.g. to one gang domain; `within` lists those nodes, and when given the engine
   * visits just them instead of walking the index.
   */
  decide(pod: PreparedPod, restrict: Uint8Array | null = null, within?: readonly number[]): PodPlan {
    return this.#search(pod, restrict, within) ? this.#plan(pod) : this.explain(pod, restrict);
  }

  /**
   * place() without the explanation: the placement, or null when nothing fits (nothing booked).
   * For callers that try many alternatives (gang domains) and explain only the one they report.
   */
  tryPlace(
    pod: PreparedPod,
    restrict: Uint8Array | null = null,
    within?: readonly number[],
  ): PlacedPod | null {
    return this.#search(pod, restrict, within) ? this.#book(pod, this.#plan(pod)) : null;
  }

  /**
   * Whether the pod passes every filter on one of `nodes` now; nothing is scored or booked. A caller
   * that knows the pod fitted nowhere and that only these nodes changed since (node-local state:
   * a changed site power draw reaches every node of the site) learns whether a full search can
   * succeed without walking the index.
   */
  fitsAny(pod: PreparedPod, nodes: readonly number[]): boolean {
    pod.sig.refresh();
    const cycle = this.#cycle;
    cycle.begin(pod, null);
    const filters = this.filters;
    scan: for (let k = 0; k < nodes.length; k++) {
      const i = nodes[k]!;
      if (pod.sig.mask[i] === 0) continue;
      cycle.choiceNode = -1;
      for (let f = 0; f < filters.length; f++) if (filters[f]!.filter(cycle, i) !== 0) continue scan;
      return true;
    }
    return false;
  }

  /** Fills the top-K candidates; false when no node passes every filter. */
  #search(pod: PreparedPod, restrict: Uint8Array | null, within: readonly number[] | undefined): boolean {
    pod.sig.refresh();
    this.#cycle.begin(pod, restrict);
    this.#topCount = 0;
    if (within) {
      for (const i of within) this.#visit(i);
    } else if (this.#bounded && pod.gpuKind !== 'mig') this.#gridScan(pod);
    else {
      const list = pod.sig.eligible;
      for (let k = 0; k < list.length; k++) this.#visit(list[k]!);
    }
    return this.#topCount > 0;
  }

  /** The plan for the best candidate of the last #search (which found one). */
  #plan(pod: PreparedPod): Extract<PodPlan, { outcome: 'fits' }> {
    const cycle = this.#cycle;
    const node = this.#topNode[0]!;
    const choice = cycle.choice;
    if (this.#topHasChoice[0] === 1) choice.copyFrom(this.#topChoice[0]!);
    else {
      if (chooseGpus(this.snapshot, pod, node, choice) !== 0) {
        throw new Error(
          `internal: node ${this.snapshot.names[node]} passed the filters but has no GPU choice`,
        );
      }
      // No filter chose (every GPU qualifies): a profile may pick the fraction's GPU (FGD, strata).
      const pick = this.profile.fractionalGpu;
      if (pick && pod.gpuKind === 'milli') {
        cycle.choiceNode = -1;
        const g = pick(cycle, node);
        if (g >= 0) {
          choice.gpus[0] = g;
          choice.nvlinkShared = this.snapshot.gpuNvlink[this.snapshot.fleet.gpuStart[node]! + g]! >= 0;
        }
      }
    }
    const assignment = choice.toAssignment();
    const candidates = this.#breakdown();
    return {
      outcome: 'fits',
      pod: pod.id,
      node: this.snapshot.names[node]!,
      nodeIndex: node,
      assignment,
      score: this.#topScore[0]!,
      candidates,
    };
  }

  /** decide() then bind: the pod is booked when the outcome is 'placed'. */
  place(pod: PreparedPod, restrict: Uint8Array | null = null, within?: readonly number[]): PodDecision {
    const plan = this.decide(pod, restrict, within);
    return plan.outcome === 'fits' ? this.#book(pod, plan) : plan;
  }

  #book(pod: PreparedPod, plan: Extract<PodPlan, { outcome: 'fits' }>): PlacedPod {
    const binding = this.snapshot.bind(plan.nodeIndex, pod, plan.assignment);
    this.profile.typicalPods?.recordPod(pod);
    return {
      outcome: 'placed',
      pod: plan.pod,
      node: plan.node,
      binding,
      score: plan.score,
      candidates: plan.candidates,
    };
  }

  release(podId: string): void {
    this.snapshot.release(podId);
  }

  /**
   * Books allocations that already exist (from the store, at start-up or after a snapshot rebuild)
   * exactly where they are, without filtering or scoring. An allocation that names an unknown node
   * or would over-commit is reported as a conflict, not booked: "no accelerator is ever booked
   * twice" holds even for inconsistent input.
   */
  restore(allocations: readonly Allocation[]): RestoreResult {
    const restored: Binding[] = [];
    const conflicts: RestoreConflict[] = [];
    for (const a of allocations) {
      const i = this.snapshot.indexOf(a.binding.node);
      if (i < 0) {
        conflicts.push({ pod: a.request.id, node: a.binding.node, reason: 'node is not in the snapshot' });
        continue;
      }
      try {
        const b = a.binding;
        const prepared = this.prepare(a.request);
        restored.push(
          this.snapshot.bind(i, prepared, {
            gpus: b.gpus,
            numa: b.numa ?? -1,
            ...(b.mig ? { mig: { gpu: b.mig.gpu, profile: b.mig.profile, start: b.mig.start } } : {}),
          }),
        );
        this.profile.typicalPods?.recordPod(prepared);
      } catch (e) {
        if (!(e instanceof OverCommitError)) throw e;
        conflicts.push({ pod: a.request.id, node: a.binding.node, reason: e.reason });
      }
    }
    return { restored, conflicts };
  }

  #gridScan(pod: PreparedPod): void {
    const s = this.snapshot;
    const bound = profileBound(this.profile, pod)!;
    const k = this.#topScore.length;
    const cpu = pod.cpuMilli;
    const gpu = pod.compiled.totalGpuMilli;
    const pc = Math.min(CPU_LEVELS - 1, Math.floor(cpu / CPU_CELL_MILLI));
    // GPU level L holds nodes with at most L × 250 free (the top level is open).
    const pg = Math.min(GPU_LEVELS - 1, Math.ceil(gpu / GPU_CELL_MILLI));
    const groups = pod.groups;
    const head = s.cellHead;
    const next = s.cellNext;
    const cpuFree = s.fleet.cpuFree;
    const gpuFree = s.fleet.gpuFreeTotal;
    for (let gi = pg; gi < GPU_LEVELS; gi++) {
      const gpuLeft = Math.max(0, gpuLevelMin(gi) - gpu);
      let ci = pc;
      for (; ci < CPU_LEVELS; ci++) {
        // Ties go to the node found first, so a cell that can at best tie is skipped.
        const cellBound = bound(Math.max(0, ci * CPU_CELL_MILLI - cpu), gpuLeft);
        if (this.#topCount === k && cellBound <= this.#topScore[k - 1]!) break;
        const offset = ci * GPU_LEVELS + gi;
        cell: for (let q = 0; q < groups.length; q++) {
          for (let i = head[groups[q]! * CELLS_PER_GROUP + offset]!; i >= 0; i = next[i]!) {
            if (pod.sig.mask[i] === 0) continue;
            if (this.#topCount === k) {
              const kth = this.#topScore[k - 1]!;
              if (cellBound <= kth) break cell;
              if (bound(cpuFree[i]! - cpu, gpuFree[i]! - gpu) <= kth) continue;
            }
            this.#visit(i);
          }
        }
      }
      if (ci === pc) break;
    }
  }

  #visit(i: number): void {
    const cycle = this.#cycle;
    if (cycle.pod.sig.mask[i] === 0) return;
    cycle.choiceNode = -1;
    const filters = this.filters;
    for (let f = 0; f < filters.length; f++) if (filters[f]!.filter(cycle, i) !== 0) return;
    const scorers = this.profile.scorers;
    let total = 0;
    for (let q = 0; q < scorers.length; q++) total += scorers[q]!.weight * scorers[q]!.score(cycle, i);
    this.#offer(i, total);
  }

  /** Keeps the K best (total desc, then first found), with the GPU choice made for each. */
  #offer(i: number, total: number): void {
    const k = this.#topScore.length;
    let pos = this.#topCount;
    while (pos > 0 && this.#topScore[pos - 1]! < total) pos--;
    if (pos >= k) return;
    const last = Math.min(this.#topCount, k - 1);
    const spare = this.#topChoice[last]!;
    for (let p = last; p > pos; p--) {
      this.#topNode[p] = this.#topNode[p - 1]!;
      this.#topScore[p] = this.#topScore[p - 1]!;
      this.#topChoice[p] = this.#topChoice[p - 1]!;
      this.#topHasChoice[p] = this.#topHasChoice[p - 1]!;
    }
    this.#topChoice[pos] = spare;
    this.#topNode[pos] = i;
    this.#topScore[pos] = total;
    const cycle = this.#cycle;
    if (cycle.choiceNode === i) {
      spare.copyFrom(cycle.choice);
      this.#topHasChoice[pos] = 1;
    } else this.#topHasChoice[pos] = 0;
    if (this.#topCount < k) this.#topCount++;
  }

  #breakdown(): CandidateScore[] {
    const cycle = this.#cycle;
    const out: CandidateScore[] = [];
    for (let p = 0; p < this.#topCount; p++) {
      const node = this.#topNode[p]!;
      if (this.#topHasChoice[p] === 1) {
        cycle.choice.copyFrom(this.#topChoice[p]!);
        cycle.choiceNode = node;
      } else cycle.choiceNode = -1;
      const scores: Record<string, number> = {};
      for (const s of this.profile.scorers) scores[s.name] = s.weight * s.score(cycle, node);
      out.push({ node: this.snapshot.names[node]!, total: this.#topScore[p]!, scores });
    }
    return out;
  }

  /**
   * Why the pod fits nowhere: every node counted under the first filter that rejects it, and
   * whether it could fit on some node with nothing bound (not now) or on none (never fits).
   */
  explain(pod: PreparedPod, restrict: Uint8Array | null = null): Unschedulable {
    pod.sig.refresh();
    const s = this.snapshot;
    const cycle = this.#cycle;
    cycle.begin(pod, restrict);
    const filters = this.filters;
    const staticCounts = new Array<number>(STATIC_REASONS.length).fill(0);
    const dynamicCounts = new Array<number>(DYNAMIC_REASONS.length).fill(0);
    let couldFitEmpty = false;
    for (let i = 0; i < s.size; i++) {
      if (pod.sig.mask[i] === 0) {
        staticCounts[pod.sig.reason[i]!]!++;
        continue;
      }
      if (!couldFitEmpty && fitsEmptyNode(s, pod, i)) couldFitEmpty = true;
      for (let f = 0; f < filters.length; f++) {
        const code = filters[f]!.filter(cycle, i);
        if (code !== 0) {
          dynamicCounts[code]!++;
          break;
        }
      }
    }
    const rejections: FilterRejection[] = [];
    const push = (table: typeof STATIC_REASONS, counts: number[]) => {
      const rows: FilterRejection[] = [];
      counts.forEach((nodes, code) => {
        if (code === 0 || nodes === 0) return;
        const [filter, reason] = table[code]!;
        rows.push({ filter, reason, message: REJECTION_MESSAGES[reason], nodes });
      });
      return rows;
    };
    rejections.push(...push(STATIC_REASONS, staticCounts), ...push(DYNAMIC_REASONS, dynamicCounts));
    const verdict = couldFitEmpty ? 'not-now' : 'never-fits';
    const summary = [...rejections]
      .sort((a, b) => b.nodes - a.nodes)
      .slice(0, 3)
      .map((r) => `${r.nodes} × ${r.message}`)
      .join('; ');
    return {
      outcome: 'unschedulable',
      pod: pod.id,
      verdict,
      rejections,
      nodesConsidered: s.size,
      // A never-fits pod still waits for the fleet to change (a node added or re-declared).
      requeueOn:
        verdict === 'never-fits'
          ? ['fleet-changed']
          : REQUEUE_EVENTS.filter((e) => rejections.some((r) => REQUEUE_ON[r.reason].includes(e))),
      message:
        (verdict === 'never-fits'
          ? `pod ${pod.id} fits no node of this fleet even with nothing else running`
          : `pod ${pod.id} fits no node now`) + (summary ? `: ${summary}` : ''),
    };
  }
}

/**
 * Could node i host the pod with nothing bound (declared MIG layouts stay)? Capacity, qualifying
 * GPUs and their topology groups, NUMA capacity and NICs, site power over idle draw. Readiness and
 * isolation are not capacity: a node that is down or held by a tenant can come back.
 */
export function fitsEmptyNode(s: FleetSnapshot, pod: PreparedPod, i: number): boolean {
  const f = s.fleet;
  if (f.cpuCapacity[i]! < pod.cpuMilli || s.nodeMemCapacityMib[i]! < pod.memoryMib) return false;
  const site = s.nodeSite[i]!;
  if (site >= 0) {
    const draw = s.podDrawWatts(i, pod.compiled.totalGpuMilli, pod.migSlices);
    if (draw > 0 && s.siteIdleW[site]! + draw > s.siteBudgetW[site]! + 1e-9) return false;
  }
  const numaOk = (u: number) =>
    u < s.nodeNumaCount[i]! &&
    s.numaCpuCapacity[s.numaStart[i]! + u]! >= pod.cpuMilli &&
    (s.nodeNicCount[i] === 0 || (s.nodeNicNumaMask[i]! & (1 << u)) !== 0);
  if (pod.gpuKind === 'none') {
    if (!pod.numaAligned) return true;
    for (let u = 0; u < s.nodeNumaCount[i]!; u++) if (numaOk(u)) return true;
    return false;
  }
  const start = f.gpuStart[i]!;
  const bits = pod.sig.modelBits;
  const minMem = pod.sig.spec.minGpuMemoryMib;
  if (pod.gpuKind === 'mig') {
    for (let G = start; G < start + f.gpuCount[i]!; G++) {
      const modelId = s.gpuModel[G]!;
      const profile = pod.sig.migByModel[modelId];
      if (s.gpuMig[G] !== 1 || (bits & (1 << modelId)) === 0 || !profile) continue;
      if (profile.memoryGiB * 1024 < minMem || (pod.numaAligned && !numaOk(s.gpuNuma[G]!))) continue;
      const declared = s.migInstances[G]!.filter((x) => x.declared);
      if (declared.some((x) => x.profile === profile.name)) return true;
      if (freeMigStarts(s.catalogModels[modelId]!, declared, profile.name).length > 0) return true;
    }
    return false;
  }
  const groups = new Map<string, number>();
  for (let G = start; G < start + f.gpuCount[i]!; G++) {
    if (s.gpuMig[G] === 1 || (bits & (1 << s.gpuModel[G]!)) === 0 || s.gpuMemMib[G]! < minMem) continue;
    if (pod.nvlinkRequired && s.gpuNvlink[G]! < 0) continue;
    if (pod.numaAligned && !numaOk(s.gpuNuma[G]!)) continue;
    const key = `${pod.nvlinkRequired ? s.gpuNvlink[G] : ''}/${pod.numaAligned ? s.gpuNuma[G] : ''}`;
    const size = (groups.get(key) ?? 0) + 1;
    if (size >= pod.gpuCount) return true;
    groups.set(key, size);
  }
  return false;
}
