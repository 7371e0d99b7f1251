import type { AcceleratorModel } from './accelerator-models.js';

/** The catalog as rows, shared by `strata catalog` and kubectl's view of /acceleratormodels. */
export const CATALOG_COLUMNS = ['Model', 'Vendor', 'Memory', 'TDP', 'Interconnect', 'MIG profiles'] as const;

export function catalogRow(model: AcceleratorModel): string[] {
  const link = model.interconnect;
  return [
    model.id,
    model.vendor,
    `${model.memoryGiB} GiB ${model.memoryType}`,
    model.tdpWatts === undefined ? '-' : `${model.tdpWatts} W`,
    `${link.kind}${link.version ? ` ${link.version}` : ''} ${link.bandwidthGBps} GB/s`,
    model.mig ? model.mig.profiles.map((p) => p.name).join(',') : '-',
  ];
}
