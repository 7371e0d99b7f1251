import {
  type GpuCell,
  gpuShare,
  type HeatMode,
  heat,
  MIG_MEMORY_SLICES,
  NO_REPORT,
} from '../model/fleet-view.js';

function holderText(holders: readonly { workload: string }[]): string {
  return holders.length === 0 ? 'free' : holders.map((h) => h.workload).join(', ');
}

function utilizationText(gpu: GpuCell): string {
  return gpu.utilization === undefined
    ? 'no utilisation reported'
    : `${Math.round(gpu.utilization * 100)}% utilised`;
}

/**
 * One GPU: a heat-coloured tile, or its MIG instances as bands along its 8 memory slices. By
 * allocation a tile shows its booked share and each MIG instance whether it is booked; by
 * utilisation the whole GPU shows what its node reports (nodes report per GPU, not per instance),
 * hatched grey where nothing is reported.
 */
export function GpuCellView({ gpu, mode }: { gpu: GpuCell; mode: HeatMode }) {
  const share = gpuShare(gpu, mode);
  const fill = share === undefined ? NO_REPORT : heat(share);
  if (gpu.slices.length === 0) {
    return (
      <div
        className="gpu"
        data-testid="gpu"
        data-utilization={gpu.utilization}
        style={{ background: fill }}
        title={`GPU ${gpu.index} ${gpu.model}: ${holderText(gpu.holders)} · ${utilizationText(gpu)}`}
      >
        <span>{gpu.index}</span>
      </div>
    );
  }
  return (
    <div
      className="gpu mig"
      data-testid="gpu"
      data-utilization={gpu.utilization}
      title={`GPU ${gpu.index} ${gpu.model} (MIG) · ${utilizationText(gpu)}`}
    >
      {gpu.slices.map((slice) => (
        <div
          key={slice.start}
          className="slice"
          data-testid="mig-slice"
          style={{
            left: `${(slice.start / MIG_MEMORY_SLICES) * 100}%`,
            width: `${(slice.size / MIG_MEMORY_SLICES) * 100}%`,
            background: mode === 'allocation' ? heat(slice.holder ? 1 : 0) : fill,
          }}
          title={`${slice.profile} @${slice.start}: ${slice.holder?.workload ?? 'free'}`}
        >
          <span>{slice.size >= 2 ? slice.profile : slice.profile.split('.')[0]}</span>
        </div>
      ))}
    </div>
  );
}
