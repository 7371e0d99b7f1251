/**
 * The cloud catalog (issue 6 item 6): instance types a burst autoscaler may rent, with what each
 * holds (accelerators, CPU, memory), where it is (region, jurisdiction) and what it costs per
 * second. Strata's built-in cloud is simulated (examples/demo/40-cloud.yaml); a real cloud plug-in
 * publishes its own InstanceTypes through the same kind.
 */
import { z } from 'zod';
import { findAcceleratorModel } from '../hardware/accelerator-models.js';
import { findMigProfile } from '../hardware/mig.js';
import { siteSpec } from './fleet.js';
import { bytes, count, positiveCount } from './quantity-schema.js';
import type { FieldIssue } from './validation.js';

export const instanceTypeSpec = z.strictObject({
  /** Who rents it out: "simcloud" for the built-in simulated cloud, or a plug-in's name. */
  cloud: z.string().min(1),
  region: z.string().min(1),
  jurisdiction: siteSpec.shape.jurisdiction,
  timeZone: siteSpec.shape.timeZone,
  accelerator: z.strictObject({
    /** A catalog model id or alias (`strata catalog`). */
    model: z.string().min(1),
    count: positiveCount,
    /** The instance's GPUs come in MIG mode, carved into slices of this profile on demand. */
    migProfile: z.string().min(1).optional(),
  }),
  cpu: z.strictObject({ cores: positiveCount, numaNodes: positiveCount.default(1) }),
  memory: bytes,
  pricePerSecond: z.strictObject({
    onDemand: z.number().positive(),
    spot: z.number().positive().optional(),
  }),
  currency: siteSpec.shape.tariff.shape.currency,
  /** Time from the request to a Ready node. */
  provisioningSeconds: count,
  description: z.string().optional(),
});
export type InstanceTypeSpec = z.infer<typeof instanceTypeSpec>;

/** Rules that need the accelerator catalog: a type whose GPUs Strata does not know cannot be placed on. */
export function checkInstanceType(spec: InstanceTypeSpec): FieldIssue[] {
  const model = findAcceleratorModel(spec.accelerator.model);
  if (!model) {
    return [
      {
        field: 'spec.accelerator.model',
        message: `unknown accelerator model "${spec.accelerator.model}"; \`strata catalog\` lists the known models`,
      },
    ];
  }
  const profile = spec.accelerator.migProfile;
  if (profile === undefined) return [];
  if (!model.mig)
    return [{ field: 'spec.accelerator.migProfile', message: `${model.id} does not support MIG` }];
  if (!findMigProfile(model, profile)) {
    return [{ field: 'spec.accelerator.migProfile', message: `${model.id} has no MIG profile "${profile}"` }];
  }
  return [];
}

/** What one node of this type costs per hour, spot when asked for and offered. */
export function pricePerHour(spec: InstanceTypeSpec, spot: boolean): number {
  return (
    (spot && spec.pricePerSecond.spot !== undefined
      ? spec.pricePerSecond.spot
      : spec.pricePerSecond.onDemand) * 3600
  );
}
