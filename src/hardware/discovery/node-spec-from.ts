/**
 * The Node spec a machine declares for itself from what discovery found. Pure.
 *
 * GPUs the catalog does not know are left out (discovery warns about each): a Node naming an unknown
 * model would be refused as a whole. NVLink domains are named after the node because the scheduler
 * compares them across the fleet; PCIe switch names only matter within a node.
 */
import type { NodeSpec } from '../../model/fleet.js';
import type { DiscoveredHardware } from './discover-hardware.js';

export function nodeSpecFrom(
  hardware: DiscoveredHardware,
  cluster: string,
  nodeName: string = hardware.hostname,
): NodeSpec {
  const numaNodes = Math.max(1, ...hardware.numaNodes.map((node) => node.id + 1));
  const accelerators = hardware.gpus.flatMap((gpu): NodeSpec['accelerators'] => {
    if (gpu.model === undefined) return [];
    return [
      {
        index: gpu.index,
        model: gpu.model,
        uuid: gpu.uuid,
        memory: `${gpu.memoryMiB}Mi`,
        numaNode: gpu.numaNode,
        ...(gpu.pcieSwitch !== undefined && { pcieSwitch: `pcie-${gpu.pcieSwitch}` }),
        ...(gpu.nvlinkDomain !== undefined && { nvlinkDomain: `${nodeName}-nvl${gpu.nvlinkDomain}` }),
        ...(gpu.migMode !== undefined && {
          mig: {
            mode: gpu.migMode,
            layout: gpu.migDevices.map((device) => ({ profile: device.profile, uuid: device.uuid })),
          },
        }),
      },
    ];
  });
  return {
    cluster,
    cpu: {
      cores: Math.max(1, hardware.cpu.logicalCpus),
      numaNodes,
      ...(hardware.cpu.model !== undefined && { model: hardware.cpu.model }),
    },
    memory: `${Math.floor(hardware.memoryBytes / 1024)}Ki`,
    accelerators,
    nics: [],
    taints: [],
    unschedulable: false,
  };
}
