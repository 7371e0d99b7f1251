/**
 * Which GPUs (or which MIG slice) of one node a pod gets, honouring its topology constraints:
 * - every GPU must qualify (not MIG, accepted model, enough memory, enough free milli-GPU);
 * - `nvlink: required` (2+ whole GPUs): all GPUs in one NVLink domain; `preferred`: same, when one
 *   domain has room, else any GPUs (the scorer rewards the shared domain);
 * - `numaAligned`: GPUs, the CPU (fits in that NUMA node's free CPU) and a NIC on one NUMA node
 *   (nodes without NICs need none);
 * - MIG: an idle declared instance of the profile if there is one (no reconfiguration), else the
 *   first start NVIDIA's placement rules leave free (`freeMigStarts`), on the GPU with the most
 *   slices in use (packing).
 * Among groups that fit, the one with the fewest qualifying GPUs wins (best fit keeps big groups
 * whole for big pods); within a group, whole GPUs go lowest index first and a fraction goes to the
 * qualifying GPU with the least free milli-GPU. A node has few GPUs, so the O(GPUs²) grouping is
 * cheaper than any allocation. Pure read of the snapshot.
 */
import { freeMigStarts } from '../hardware/mig.js';
import type { FleetSnapshot, GpuAssignment } from './fleet-snapshot.js';
import { DYNAMIC_CODE } from './placement-reasons.js';
import type { PreparedPod } from './prepared-pod.js';

/** Mutable scratch filled by chooseGpus; copy it (toAssignment) before choosing again. */
export class GpuChoice {
  gpus: number[] = [];
  migGpu = -1;
  migStart = -1;
  migProfile = '';
  /** Memory slices in use on the chosen MIG GPU before this pod. */
  migUsedSlices = 0;
  numa = -1;
  nvlinkShared = false;

  reset(): void {
    this.gpus.length = 0;
    this.migGpu = -1;
    this.migStart = -1;
    this.migProfile = '';
    this.migUsedSlices = 0;
    this.numa = -1;
    this.nvlinkShared = false;
  }

  toAssignment(): GpuAssignment {
    return {
      gpus: [...this.gpus],
      ...(this.migGpu >= 0
        ? { mig: { gpu: this.migGpu, profile: this.migProfile, start: this.migStart } }
        : {}),
      numa: this.numa,
    };
  }

  copyFrom(other: GpuChoice): void {
    this.gpus = [...other.gpus];
    this.migGpu = other.migGpu;
    this.migStart = other.migStart;
    this.migProfile = other.migProfile;
    this.migUsedSlices = other.migUsedSlices;
    this.numa = other.numa;
    this.nvlinkShared = other.nvlinkShared;
  }
}

const eligible = new Int32Array(256);

function numaFits(s: FleetSnapshot, i: number, u: number, cpu: number): boolean {
  if (u >= s.nodeNumaCount[i]!) return false;
  if (s.numaCpuFree[s.numaStart[i]! + u]! < cpu) return false;
  return s.nodeNicCount[i] === 0 || (s.nodeNicNumaMask[i]! & (1 << u)) !== 0;
}

/** 0 when a choice was written to `out`, else the DYNAMIC_CODE of why not. */
export function chooseGpus(s: FleetSnapshot, pod: PreparedPod, i: number, out: GpuChoice): number {
  out.reset();
  if (pod.gpuKind === 'mig') return chooseMig(s, pod, i, out);
  if (pod.gpuKind === 'none') {
    if (!pod.numaAligned) return 0;
    // Best fit: the NUMA node with the least free CPU that still fits.
    let best = -1;
    for (let u = 0; u < s.nodeNumaCount[i]!; u++) {
      if (!numaFits(s, i, u, pod.cpuMilli)) continue;
      if (best < 0 || s.numaCpuFree[s.numaStart[i]! + u]! < s.numaCpuFree[s.numaStart[i]! + best]!) best = u;
    }
    if (best < 0) return DYNAMIC_CODE.numa;
    out.numa = best;
    return 0;
  }
  const f = s.fleet;
  const start = f.gpuStart[i]!;
  const count = f.gpuCount[i]!;
  const need = pod.gpuMilli;
  const bits = pod.sig.modelBits;
  const minMem = pod.sig.spec.minGpuMemoryMib;
  let n = 0;
  for (let g = 0; g < count; g++) {
    const G = start + g;
    if (s.gpuMig[G] === 1 || (bits & (1 << s.gpuModel[G]!)) === 0) continue;
    if (s.gpuMemMib[G]! < minMem || f.gpuFree[G]! < need) continue;
    eligible[n++] = g;
  }
  const k = pod.gpuCount;
  if (n < k) return DYNAMIC_CODE.gpu;
  if (!pod.numaAligned && !pod.nvlinkRequired && !pod.nvlinkPreferred) {
    pickWithin(s, pod, start, n, -1, -1, out);
    return 0;
  }
  const byNvlink = pod.nvlinkRequired || pod.nvlinkPreferred;
  let code = pickGroup(s, pod, i, n, byNvlink, pod.numaAligned, out);
  if (code === 0) return 0;
  if (pod.nvlinkPreferred) code = pickGroup(s, pod, i, n, false, pod.numaAligned, out);
  return code;
}

/** Group key parts of a GPU: NVLink domain and NUMA node (-1 where not grouped by it). */
function pickGroup(
  s: FleetSnapshot,
  pod: PreparedPod,
  i: number,
  n: number,
  byNvlink: boolean,
  byNuma: boolean,
  out: GpuChoice,
): number {
  const start = s.fleet.gpuStart[i]!;
  const k = pod.gpuCount;
  let best = -1;
  let bestSize = 0;
  let bigEnough = false;
  for (let a = 0; a < n; a++) {
    const G = start + eligible[a]!;
    const nvl = byNvlink ? s.gpuNvlink[G]! : -1;
    if (byNvlink && nvl < 0) continue;
    const numa = byNuma ? s.gpuNuma[G]! : -1;
    let first = true;
    for (let b = 0; b < a && first; b++) {
      const H = start + eligible[b]!;
      if ((!byNvlink || s.gpuNvlink[H] === nvl) && (!byNuma || s.gpuNuma[H] === numa)) first = false;
    }
    if (!first) continue;
    let size = 0;
    for (let b = a; b < n; b++) {
      const H = start + eligible[b]!;
      if ((!byNvlink || s.gpuNvlink[H] === nvl) && (!byNuma || s.gpuNuma[H] === numa)) size++;
    }
    if (size < k) continue;
    bigEnough = true;
    if (byNuma && !numaFits(s, i, numa, pod.cpuMilli)) continue;
    if (best < 0 || size < bestSize) {
      best = a;
      bestSize = size;
    }
  }
  if (best < 0) return byNvlink && !bigEnough ? DYNAMIC_CODE.nvlink : DYNAMIC_CODE.numa;
  const G = start + eligible[best]!;
  pickWithin(s, pod, start, n, byNvlink ? s.gpuNvlink[G]! : -1, byNuma ? s.gpuNuma[G]! : -1, out);
  out.numa = byNuma ? s.gpuNuma[G]! : -1;
  return 0;
}

function pickWithin(
  s: FleetSnapshot,
  pod: PreparedPod,
  start: number,
  n: number,
  nvl: number,
  numa: number,
  out: GpuChoice,
): void {
  const free = s.fleet.gpuFree;
  const nvlink = s.gpuNvlink;
  const gpuNuma = s.gpuNuma;
  if (pod.gpuKind === 'milli') {
    let chosen = -1;
    for (let a = 0; a < n; a++) {
      const g = eligible[a]!;
      if (nvl >= 0 && nvlink[start + g] !== nvl) continue;
      if (numa >= 0 && gpuNuma[start + g] !== numa) continue;
      if (chosen < 0 || free[start + g]! < free[start + chosen]!) chosen = g;
    }
    out.gpus.push(chosen);
  } else {
    for (let a = 0; a < n && out.gpus.length < pod.gpuCount; a++) {
      const g = eligible[a]!;
      if (nvl >= 0 && nvlink[start + g] !== nvl) continue;
      if (numa >= 0 && gpuNuma[start + g] !== numa) continue;
      out.gpus.push(g);
    }
  }
  const d = nvlink[start + out.gpus[0]!]!;
  let shared = d >= 0;
  for (let k = 1; k < out.gpus.length && shared; k++) shared = nvlink[start + out.gpus[k]!] === d;
  out.nvlinkShared = shared;
}

function chooseMig(s: FleetSnapshot, pod: PreparedPod, i: number, out: GpuChoice): number {
  const start = s.fleet.gpuStart[i]!;
  const count = s.fleet.gpuCount[i]!;
  const bits = pod.sig.modelBits;
  const minMem = pod.sig.spec.minGpuMemoryMib;
  let numaBlocked = false;
  let bestExisting = false;
  for (let g = 0; g < count; g++) {
    const G = start + g;
    const modelId = s.gpuModel[G]!;
    if (s.gpuMig[G] !== 1 || (bits & (1 << modelId)) === 0) continue;
    const profile = pod.sig.migByModel[modelId];
    if (!profile || profile.memoryGiB * 1024 < minMem) continue;
    if (pod.numaAligned && !numaFits(s, i, s.gpuNuma[G]!, pod.cpuMilli)) {
      numaBlocked = true;
      continue;
    }
    const instances = s.migInstances[G]!;
    let used = 0;
    let startAt = -1;
    for (const x of instances) {
      if (x.inUse) used += x.size;
      else if (startAt < 0 && x.profile === profile.name) startAt = x.start;
    }
    const existing = startAt >= 0;
    if (!existing) {
      const starts = freeMigStarts(s.catalogModels[modelId]!, instances, profile.name);
      if (starts.length === 0) continue;
      startAt = starts[0]!;
    }
    const better =
      out.migGpu < 0 ||
      (existing && !bestExisting) ||
      (existing === bestExisting && used > out.migUsedSlices);
    if (!better) continue;
    out.migGpu = g;
    out.migStart = startAt;
    out.migProfile = profile.name;
    out.migUsedSlices = used;
    out.numa = pod.numaAligned ? s.gpuNuma[G]! : -1;
    bestExisting = existing;
  }
  if (out.migGpu < 0) return numaBlocked ? DYNAMIC_CODE.numa : DYNAMIC_CODE.mig;
  return 0;
}
