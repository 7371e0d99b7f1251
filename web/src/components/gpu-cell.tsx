import { type GpuCell, heat, MIG_MEMORY_SLICES } from '../model/fleet-view.js';

function holderText(holders: readonly { workload: string }[]): string {
  return holders.length === 0 ? 'free' : holders.map((h) => h.workload).join(', ');
}

/** One GPU: a heat-coloured tile, or its MIG instances as bands along its 8 memory slices. */
export function GpuCellView({ gpu }: { gpu: GpuCell }) {
  if (gpu.slices.length === 0) {
    return (
      <div
        className="gpu"
        data-testid="gpu"
        style={{ background: heat(gpu.allocation) }}
        title={`GPU ${gpu.index} ${gpu.model}: ${holderText(gpu.holders)}`}
      >
        <span>{gpu.index}</span>
      </div>
    );
  }
  return (
    <div className="gpu mig" data-testid="gpu" title={`GPU ${gpu.index} ${gpu.model} (MIG)`}>
      {gpu.slices.map((slice) => (
        <div
          key={slice.start}
          className="slice"
          data-testid="mig-slice"
          style={{
            left: `${(slice.start / MIG_MEMORY_SLICES) * 100}%`,
            width: `${(slice.size / MIG_MEMORY_SLICES) * 100}%`,
            background: heat(slice.holder ? 1 : 0),
          }}
          title={`${slice.profile} @${slice.start}: ${slice.holder?.workload ?? 'free'}`}
        >
          <span>{slice.size >= 2 ? slice.profile : slice.profile.split('.')[0]}</span>
        </div>
      ))}
    </div>
  );
}
