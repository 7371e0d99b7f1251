/**
 * What a cloud plug-in implements for the burst autoscaler (issue 6 item 6). The autoscaler decides
 * what to rent and writes the Site, Cluster and Node objects itself (so every step is audited and
 * the nodes are in the fleet from the first moment); the cloud only rents machines and gives them
 * back. Strata's built-in cloud is simulated: it rents nothing, and hands a node over once the
 * instance type's provisioning time has passed on the clock.
 */
import type { InstanceTypeSpec } from '../../model/cloud.js';

export interface ProvisionRequest {
  /** The Node's name: the plug-in tags the machine with it. */
  readonly node: string;
  readonly instanceType: string;
  readonly spec: InstanceTypeSpec;
  readonly spot: boolean;
  readonly now: Date;
}

export interface CloudProvider {
  /** The `spec.cloud` of the InstanceTypes it rents out. */
  readonly cloud: string;
  /** True when its nodes are digital twins: their pods run on the simulated provider. */
  readonly simulated: boolean;
  /** Asks for a machine; resolves with when the cloud expects to hand it over. */
  provision(request: ProvisionRequest): Promise<{ readonly readyAt: Date }>;
  /** Whether the machine asked for is handed over (running, reachable) now. */
  handedOver(node: string, readyAt: Date, now: Date): Promise<boolean>;
  /** Gives the machine back; releasing one already gone does nothing. */
  release(node: string): Promise<void>;
}

/** The built-in simulated cloud, serving instance types of the given `spec.cloud`. */
export function simulatedCloud(cloud: string): CloudProvider {
  return {
    cloud,
    simulated: true,
    provision: async ({ spec, now }) => ({
      readyAt: new Date(now.getTime() + spec.provisioningSeconds * 1000),
    }),
    handedOver: async (_node, readyAt, now) => now.getTime() >= readyAt.getTime(),
    release: async () => {},
  };
}
