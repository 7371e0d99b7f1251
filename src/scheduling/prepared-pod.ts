/**
 * A PodRequest resolved against one snapshot, ready for the hot loop: quantities in GpuFleet units,
 * the GpuFleet CompiledPod, the shared constraint signature (static eligibility), the isolation
 * unit, and the capacity-grid groups to walk. Preparing costs a signature lookup (one JSON key);
 * the preparer keeps each request's prepared pod and hands it out again while nothing it was derived
 * from changed (see PodPreparer.prepare), so a workload retried every cycle is prepared once.
 */

import { type BindablePod, canonicalModel, type FleetSnapshot, MIB } from './fleet-snapshot.js';
import { type CompiledPod, MILLI_PER_GPU } from './gpu-fleet.js';
import type { PodRequest } from './placement-request.js';
import {
  ConstraintSignature,
  type GpuKind,
  type SignatureSpec,
  signatureKey,
} from './placement-signature.js';

export interface PreparedPod extends BindablePod {
  readonly request: PodRequest;
  readonly compiled: CompiledPod;
  readonly sig: ConstraintSignature;
  readonly gpuKind: GpuKind;
  /** GPUs the pod takes: count for whole GPUs, 1 for a fraction or a MIG slice, 0 otherwise. */
  readonly gpuCount: number;
  readonly memoryMib: number;
  /** Largest memory-slice count of the MIG profile over the fleet's models (power estimate). */
  readonly migSlices: number;
  readonly nvlinkRequired: boolean;
  readonly nvlinkPreferred: boolean;
  readonly numaAligned: boolean;
  /** True when every candidate needs a per-GPU choice (topology, NVLink preference, MIG). */
  readonly needsChoice: boolean;
  /** Capacity-grid groups whose nodes may host the pod. */
  readonly groups: Int32Array;
  readonly unitHard: boolean;
}

/**
 * Prepares pods and keeps the constraint signatures they share, least recently used first out once
 * there are more than `maxSignatures` (each costs about 3 bytes per node plus its eligible list).
 * An evicted signature stays valid for the pods that hold it; it is just no longer shared.
 */
export class PodPreparer {
  readonly #snapshot: FleetSnapshot;
  readonly #signatures = new Map<string, ConstraintSignature>();
  readonly #prepared = new WeakMap<PodRequest, Prepared>();
  readonly #maxSignatures: number;
  /** The key last moved to the back of #signatures (its most recently used). */
  #latest: string | undefined;

  constructor(snapshot: FleetSnapshot, maxSignatures = 512) {
    this.#snapshot = snapshot;
    this.#maxSignatures = Math.max(1, maxSignatures);
  }

  get signatureCount(): number {
    return this.#signatures.size;
  }

  signature(spec: SignatureSpec): ConstraintSignature {
    return this.#signature(signatureKey(spec), spec);
  }

  #signature(key: string, spec: SignatureSpec): ConstraintSignature {
    let sig = this.#signatures.get(key);
    if (sig && key === this.#latest) {
      // Already the most recent (a run of pods of one signature): the LRU order stands.
      sig.refresh();
      return sig;
    }
    if (sig) {
      // Map order is recency order: move the hit to the back.
      this.#signatures.delete(key);
    } else {
      sig = new ConstraintSignature(this.#snapshot, spec);
      if (this.#signatures.size >= this.#maxSignatures) {
        this.#signatures.delete(this.#signatures.keys().next().value!);
      }
    }
    this.#signatures.set(key, sig);
    this.#latest = key;
    sig.refresh();
    return sig;
  }

  /**
   * The request resolved against the snapshot. A request prepared before (requests are immutable) gets
   * the same prepared pod while the tenancy is unchanged and its signature is still the one shared
   * under its key; the signature is touched in the LRU as a fresh preparation would. Nodes are fixed
   * for a snapshot's life (hardware changes rebuild it), so the models, groups and compiled shape hold.
   */
  prepare(request: PodRequest): PreparedPod {
    const known = this.#prepared.get(request);
    if (
      known !== undefined &&
      known.tenancy === this.#snapshot.tenancyVersion &&
      this.#signatures.get(known.key) === known.pod.sig
    ) {
      this.#signature(known.key, known.pod.sig.spec);
      return known.pod;
    }
    const tenancy = this.#snapshot.tenancyVersion;
    const { key, pod } = this.#prepare(request);
    this.#prepared.set(request, { tenancy, key, pod });
    return pod;
  }

  #prepare(request: PodRequest): { key: string; pod: PreparedPod } {
    const snap = this.#snapshot;
    const acc = request.accelerators;
    const gpuKind: GpuKind = acc.kind;
    const models = [...new Set((request.models ?? []).map(canonicalModel))].sort();
    const tenant = snap.tenantSpec(request.tenant);
    const spec: SignatureSpec = {
      nodeSelector: Object.entries(request.nodeSelector ?? {}).sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      tolerations: (request.tolerations ?? []).map((t) => ({
        ...(t.key !== undefined ? { key: t.key } : {}),
        operator: t.operator ?? 'Equal',
        ...(t.value !== undefined ? { value: t.value } : {}),
        ...(t.effect !== undefined ? { effect: t.effect } : {}),
      })),
      residency: [...(request.residency ?? [])].sort(),
      tenantJurisdictions: [...(tenant?.allowedJurisdictions ?? [])].sort(),
      models: gpuKind === 'none' ? [] : models,
      gpuKind,
      migProfile: acc.kind === 'mig' ? acc.profile : undefined,
      minGpuMemoryMib: gpuKind === 'none' ? 0 : Math.ceil((request.minGpuMemoryBytes ?? 0) / MIB),
    };
    const key = signatureKey(spec);
    const sig = this.#signature(key, spec);
    const numGpu = acc.kind === 'whole' ? acc.count : acc.kind === 'milli' ? 1 : 0;
    const gpuMilli = acc.kind === 'whole' ? MILLI_PER_GPU : acc.kind === 'milli' ? acc.milli : 0;
    const memoryMib = Math.ceil(request.memoryBytes / MIB);
    const compiled = snap.fleet.compile({
      cpuMilli: request.cpuMilli,
      memoryMib,
      numGpu,
      gpuMilli,
      // Model eligibility is the signature's job (per GPU, aliases resolved); GpuFleet sees "any".
      models: [],
    });
    const gpuCount = acc.kind === 'whole' ? acc.count : acc.kind === 'none' ? 0 : 1;
    const nvlinkRequired = request.nvlink === 'required' && gpuCount > 1 && acc.kind === 'whole';
    const nvlinkPreferred = request.nvlink === 'preferred' && gpuCount > 1 && acc.kind === 'whole';
    const numaAligned = request.numaAligned === true;
    let migSlices = 0;
    for (const p of sig.migByModel) if (p && p.memorySlices > migSlices) migSlices = p.memorySlices;
    const fleetModels = snap.fleet.models.length;
    const groups: number[] = [];
    if (gpuKind === 'none') {
      for (let g = 0; g < snap.groupCount; g++) groups.push(g);
    } else {
      for (let m = 0; m < fleetModels; m++) {
        const id = snap.models.find(snap.fleet.models[m]!);
        if (id >= 0 && (sig.modelBits & (1 << id)) !== 0) groups.push(m);
      }
      groups.push(fleetModels + 1); // mixed-model nodes
    }
    const unit = snap.isolationUnitOf(request.tenant, request.project);
    const pod: PreparedPod = {
      id: request.id,
      request,
      compiled,
      sig,
      gpuKind,
      gpuCount,
      cpuMilli: request.cpuMilli,
      memoryMib,
      gpuMilli,
      migProfile: spec.migProfile,
      migSlices,
      nvlinkRequired,
      nvlinkPreferred,
      numaAligned,
      needsChoice: nvlinkRequired || nvlinkPreferred || numaAligned || gpuKind === 'mig',
      groups: Int32Array.from(groups),
      unit,
      unitHard: unit >= 0 && snap.unitHard[unit] === 1,
    };
    return { key, pod };
  }
}

interface Prepared {
  readonly tenancy: number;
  /** The signature's key. */
  readonly key: string;
  readonly pod: PreparedPod;
}
