/**
 * Static eligibility per constraint signature (issue 4 item 1): the label, taint, residency, model
 * and GPU-memory checks depend only on the pod's constraints and on the node's spec, so they are
 * computed once per distinct signature and per node change — never per decision. A signature is
 * (nodeSelector, tolerations, residency, tenant, accelerator models, request kind, MIG profile,
 * minimum GPU memory); every pod of a workload shares one, and so do most workloads of a queue.
 *
 * Per node a signature holds: 0 = ineligible (with the static reason code), 1 = eligible and every
 * non-MIG GPU qualifies (the aggregate GPU fit of GpuFleet is exact), 2 = eligible but only some
 * GPUs qualify (the GPU choice must look at each GPU); plus the number of untolerated
 * PreferNoSchedule taints (a score penalty) and the list of eligible nodes for full scans.
 */

import { findMigProfile } from '../hardware/mig.js';
import type { MigProfile } from '../hardware/mig-profiles.js';
import type { Taint } from '../model/fleet.js';
import type { FleetSnapshot } from './fleet-snapshot.js';
import { STATIC_CODE } from './placement-reasons.js';
import type { Toleration } from './placement-request.js';

export type GpuKind = 'none' | 'whole' | 'milli' | 'mig';

export interface SignatureSpec {
  readonly nodeSelector: readonly (readonly [string, string])[];
  readonly tolerations: readonly Toleration[];
  readonly residency: readonly string[];
  /** The tenant's allowed jurisdictions; empty = anywhere. */
  readonly tenantJurisdictions: readonly string[];
  /** Canonical model ids; empty = any. */
  readonly models: readonly string[];
  readonly gpuKind: GpuKind;
  readonly migProfile: string | undefined;
  readonly minGpuMemoryMib: number;
}

export function signatureKey(spec: SignatureSpec): string {
  return JSON.stringify(spec);
}

/** Kubernetes toleration semantics: Exists with no key tolerates every taint; no effect = any effect. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== taint.effect) return false;
  const op = t.operator ?? 'Equal';
  if (t.key === undefined || t.key === '') return op === 'Exists';
  if (t.key !== taint.key) return false;
  return op === 'Exists' || (t.value ?? '') === (taint.value ?? '');
}

export class ConstraintSignature {
  readonly key: string;
  readonly spec: SignatureSpec;
  /** Bit m set = snapshot model m is accepted (all bits when any model will do). */
  readonly modelBits: number;
  /** The MIG profile per snapshot model id (MIG pods only). */
  readonly migByModel: (MigProfile | undefined)[] = [];
  readonly mask: Uint8Array;
  readonly reason: Uint8Array;
  readonly penalty: Uint8Array;
  readonly #snapshot: FleetSnapshot;
  readonly #seenVersion: Uint32Array;
  #list: Int32Array | undefined;
  #checkedUpTo: number;

  constructor(snapshot: FleetSnapshot, spec: SignatureSpec) {
    this.#snapshot = snapshot;
    this.spec = spec;
    this.key = signatureKey(spec);
    let bits = 0;
    if (spec.models.length === 0) bits = 0x7fffffff;
    else {
      for (const m of spec.models) {
        const id = snapshot.models.find(m);
        if (id >= 0) bits |= 1 << id;
      }
    }
    this.modelBits = bits;
    if (spec.migProfile !== undefined) {
      snapshot.catalogModels.forEach((model, id) => {
        this.migByModel[id] = model ? findMigProfile(model, spec.migProfile!) : undefined;
      });
    }
    const n = snapshot.size;
    this.mask = new Uint8Array(n);
    this.reason = new Uint8Array(n);
    this.penalty = new Uint8Array(n);
    this.#seenVersion = new Uint32Array(n);
    this.#checkedUpTo = snapshot.nodeChangeLog.length;
    for (let i = 0; i < n; i++) this.#evaluate(i);
  }

  /** Re-evaluates nodes whose static attributes changed since the last call (O(changes)). */
  refresh(): void {
    const log = this.#snapshot.nodeChangeLog;
    if (this.#checkedUpTo === log.length) return;
    for (let k = this.#checkedUpTo; k < log.length; k++) {
      const i = log[k]!;
      if (this.#seenVersion[i] !== this.#snapshot.nodeStaticVersion[i]) {
        const before = this.mask[i];
        this.#evaluate(i);
        if (before !== this.mask[i]) this.#list = undefined;
      }
    }
    this.#checkedUpTo = log.length;
  }

  /** Statically eligible nodes in index order (rebuilt lazily after a node change flips one). */
  get eligible(): Int32Array {
    if (!this.#list) {
      let count = 0;
      for (let i = 0; i < this.mask.length; i++) if (this.mask[i] !== 0) count++;
      const list = new Int32Array(count);
      let k = 0;
      for (let i = 0; i < this.mask.length; i++) if (this.mask[i] !== 0) list[k++] = i;
      this.#list = list;
    }
    return this.#list;
  }

  /** Static rejections per STATIC_CODE (index 0 = eligible nodes). */
  staticCounts(): number[] {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < this.reason.length; i++) counts[this.reason[i]!]!++;
    return counts;
  }

  #evaluate(i: number): void {
    const s = this.#snapshot;
    this.#seenVersion[i] = s.nodeStaticVersion[i]!;
    let penalty = 0;
    const code = this.#check(i, (p) => {
      penalty = p;
    });
    this.reason[i] = code < 0 ? 0 : code;
    this.mask[i] = code < 0 ? -code : 0;
    this.penalty[i] = Math.min(255, penalty);
  }

  /** A STATIC_CODE (> 0) when ineligible, else -1 (all GPUs qualify) or -2 (some do). */
  #check(i: number, setPenalty: (p: number) => void): number {
    const s = this.#snapshot;
    const spec = this.spec;
    const labels = s.nodeLabels[i]!;
    for (const [k, v] of spec.nodeSelector) if (labels[k] !== v) return STATIC_CODE.selector;
    let penalty = 0;
    for (const taint of s.nodeTaints[i]!) {
      const ok = spec.tolerations.some((t) => tolerates(t, taint));
      if (ok) continue;
      if (taint.effect === 'PreferNoSchedule') penalty++;
      else return STATIC_CODE.taint;
    }
    setPenalty(penalty);
    if (spec.residency.length > 0 || spec.tenantJurisdictions.length > 0) {
      const site = s.nodeSite[i]!;
      if (site < 0) return STATIC_CODE.siteUnknown;
      const country = s.siteCountry[site]!;
      const regime = s.siteRegime[site]!;
      if (spec.residency.length > 0 && !spec.residency.includes(country) && !spec.residency.includes(regime))
        return STATIC_CODE.residency;
      if (
        spec.tenantJurisdictions.length > 0 &&
        !spec.tenantJurisdictions.includes(country) &&
        !spec.tenantJurisdictions.includes(regime)
      )
        return STATIC_CODE.tenantJurisdiction;
    }
    if (spec.gpuKind === 'none') return -1;
    const count = s.fleet.gpuCount[i]!;
    if (count === 0) return STATIC_CODE.noGpu;
    const start = s.fleet.gpuStart[i]!;
    let modelOk = 0;
    let qualifying = 0;
    let nonMig = 0;
    const wantMig = spec.gpuKind === 'mig';
    for (let g = start; g < start + count; g++) {
      const isMig = s.gpuMig[g] === 1;
      if (!isMig) nonMig++;
      if (isMig !== wantMig || (this.modelBits & (1 << s.gpuModel[g]!)) === 0) continue;
      if (wantMig) {
        const profile = this.migByModel[s.gpuModel[g]!];
        if (!profile) continue;
        modelOk++;
        if (profile.memoryGiB * 1024 >= spec.minGpuMemoryMib) qualifying++;
      } else {
        modelOk++;
        if (s.gpuMemMib[g]! >= spec.minGpuMemoryMib) qualifying++;
      }
    }
    if (modelOk === 0) {
      if (wantMig) {
        let anyModel = false;
        for (let g = start; g < start + count; g++)
          if ((this.modelBits & (1 << s.gpuModel[g]!)) !== 0) anyModel = true;
        return anyModel ? STATIC_CODE.noMig : STATIC_CODE.model;
      }
      return STATIC_CODE.model;
    }
    if (qualifying === 0) return STATIC_CODE.gpuMemory;
    return !wantMig && qualifying === nonMig ? -1 : -2;
  }
}
