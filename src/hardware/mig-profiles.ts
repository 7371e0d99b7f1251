/**
 * NVIDIA Multi-Instance GPU (MIG) profile geometry, as published by NVIDIA.
 *
 * Sources (checked, not guessed):
 * - NVIDIA MIG User Guide, "Supported MIG Profiles" (docs.nvidia.com/datacenter/tesla/mig-user-guide/
 *   supported-mig-profiles.html, v580): Table 6 "GPU Instance Profiles on A100" (A100-SXM4-40GB, with the
 *   note that A100-SXM4-80GB only renames the profiles to 1g.10gb … 7g.80gb), Table 7 "… on H100" (80GB),
 *   Table 8 "… on H200" (141GB), Table 9 "… on B200" (180GB). These give, per profile, the fraction of
 *   memory (eighths), the fraction of SMs (sevenths) and the "Number of Instances Available".
 * - NVIDIA MIG User Guide, "Getting Started with MIG" → `nvidia-smi mig -lgipp`, which prints the placements
 *   as `{start,…}:size` in memory-slice units:
 *       Profile ID 19 (1g, 1 memory slice)    Placements: {0,1,2,3,4,5,6}:1
 *       Profile ID 20 (1g+me)                 Placements: {0,1,2,3,4,5,6}:1
 *       Profile ID 15 (1g, 2 memory slices)   Placements: {0,2,4,6}:2
 *       Profile ID 14 (2g)                    Placements: {0,2,4}:2
 *       Profile ID  9 (3g)                    Placements: {0,4}:4
 *       Profile ID  5 (4g)                    Placement : {0}:4
 *       Profile ID  0 (7g)                    Placement : {0}:8
 *   The guide prints it for an A100 40GB; NVIDIA's H100 NVL technical blog prints the identical list for
 *   Hopper, as do field reports for H100 80GB. Placement spans equal the memory fraction of each profile
 *   (3g takes 4/8 memory, hence a span of 4 even though it has only 3 compute slices).
 *
 * What could not be checked against text: the H200 and B200 placement lists. The guide shows them only as
 * diagrams. Both GPUs publish the same memory fractions and the same seven-profile shape as H100 (1/8, 1/8,
 * 2/8, 2/8, 4/8, 4/8, full), so this module gives them the same placements; revisit if
 * `nvidia-smi mig -lgipp` on real hardware says otherwise.
 */

/** A GPU in MIG mode has 8 memory slices (positions 0..7) and 7 compute (SM) slices. */
export const MIG_MEMORY_SLICES = 8;
export const MIG_COMPUTE_SLICES = 7;

/** One GPU instance profile of one GPU model, with where nvidia-smi lets it be placed. */
export interface MigProfile {
  /** Profile name without the "MIG " prefix, e.g. '1g.10gb', '1g.10gb+me'. */
  readonly name: string;
  /** Compute slices (the "Ng" part): sevenths of the SMs. */
  readonly computeSlices: number;
  /** Memory slices out of 8 (the "Fraction of Memory" column). */
  readonly memorySlices: number;
  /**
   * Memory as published in the profile name (e.g. 10 for 1g.10gb). nvidia-smi reports slightly less
   * usable memory (9.75 GiB for 1g.10gb on H100); schedulers should treat this as the nominal size.
   */
  readonly memoryGiB: number;
  /** "Number of Instances Available" for this profile on one GPU. */
  readonly maxInstances: number;
  /** True for +me profiles: they carry the GPU's media engines (NVJPG/OFA), so only one can exist. */
  readonly mediaExtensions: boolean;
  /** Placement start indices in memory-slice units, as `nvidia-smi mig -lgipp` lists them. */
  readonly allowedStarts: readonly number[];
  /** Placement size (span) in memory-slice units; an instance occupies [start, start + size). */
  readonly size: number;
}

/** The MIG geometry of one GPU model: its profiles in the order NVIDIA's table lists them. */
export interface MigGeometry {
  readonly memorySlices: number;
  readonly computeSlices: number;
  readonly profiles: readonly MigProfile[];
}

/** Placement shapes shared by every 7-compute/8-memory-slice GPU (see the `-lgipp` output above). */
const ONE_SLICE = { allowedStarts: [0, 1, 2, 3, 4, 5, 6], size: 1 } as const;
const TWO_SLICES_1G = { allowedStarts: [0, 2, 4, 6], size: 2 } as const;
const TWO_SLICES_2G = { allowedStarts: [0, 2, 4], size: 2 } as const;
const HALF_3G = { allowedStarts: [0, 4], size: 4 } as const;
const HALF_4G = { allowedStarts: [0], size: 4 } as const;
const WHOLE = { allowedStarts: [0], size: 8 } as const;

/**
 * Builds the seven profiles that A100, H100, H200 and B200 share, from the memory (in GB) of one memory
 * slice, two slices, four slices and the whole GPU as written in the profile names.
 * Instance limits are the "Number of Instances Available" column, identical in Tables 6–9.
 */
function sevenSliceGeometry(gb: {
  readonly one: number;
  readonly two: number;
  readonly four: number;
  readonly whole: number;
}): MigGeometry {
  const profiles: readonly MigProfile[] = [
    {
      name: `1g.${gb.one}gb`,
      computeSlices: 1,
      memorySlices: 1,
      memoryGiB: gb.one,
      maxInstances: 7,
      mediaExtensions: false,
      ...ONE_SLICE,
    },
    // "1 (A single 1g profile can include media extensions)" — the media engines exist once per GPU.
    {
      name: `1g.${gb.one}gb+me`,
      computeSlices: 1,
      memorySlices: 1,
      memoryGiB: gb.one,
      maxInstances: 1,
      mediaExtensions: true,
      ...ONE_SLICE,
    },
    {
      name: `1g.${gb.two}gb`,
      computeSlices: 1,
      memorySlices: 2,
      memoryGiB: gb.two,
      maxInstances: 4,
      mediaExtensions: false,
      ...TWO_SLICES_1G,
    },
    {
      name: `2g.${gb.two}gb`,
      computeSlices: 2,
      memorySlices: 2,
      memoryGiB: gb.two,
      maxInstances: 3,
      mediaExtensions: false,
      ...TWO_SLICES_2G,
    },
    {
      name: `3g.${gb.four}gb`,
      computeSlices: 3,
      memorySlices: 4,
      memoryGiB: gb.four,
      maxInstances: 2,
      mediaExtensions: false,
      ...HALF_3G,
    },
    {
      name: `4g.${gb.four}gb`,
      computeSlices: 4,
      memorySlices: 4,
      memoryGiB: gb.four,
      maxInstances: 1,
      mediaExtensions: false,
      ...HALF_4G,
    },
    {
      name: `7g.${gb.whole}gb`,
      computeSlices: 7,
      memorySlices: 8,
      memoryGiB: gb.whole,
      maxInstances: 1,
      mediaExtensions: false,
      ...WHOLE,
    },
  ];
  return { memorySlices: MIG_MEMORY_SLICES, computeSlices: MIG_COMPUTE_SLICES, profiles };
}

/** MIG User Guide Table 6 (A100-SXM4-40GB): 1g.5gb, 1g.5gb+me, 1g.10gb, 2g.10gb, 3g.20gb, 4g.20gb, 7g.40gb. */
export const A100_40GB_MIG: MigGeometry = sevenSliceGeometry({ one: 5, two: 10, four: 20, whole: 40 });

/** MIG User Guide note under Table 6: A100-SXM4-80GB renames the profiles to 1g.10gb … 7g.80gb. */
export const A100_80GB_MIG: MigGeometry = sevenSliceGeometry({ one: 10, two: 20, four: 40, whole: 80 });

/** MIG User Guide Table 7 (H100 80GB): 1g.10gb, 1g.10gb+me, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb. */
export const H100_80GB_MIG: MigGeometry = sevenSliceGeometry({ one: 10, two: 20, four: 40, whole: 80 });

/** MIG User Guide Table 8 (H200 141GB): 1g.18gb, 1g.18gb+me, 1g.35gb, 2g.35gb, 3g.71gb, 4g.71gb, 7g.141gb. */
export const H200_141GB_MIG: MigGeometry = sevenSliceGeometry({ one: 18, two: 35, four: 71, whole: 141 });

/** MIG User Guide Table 9 (B200 180GB): 1g.23gb, 1g.23gb+me, 1g.45gb, 2g.45gb, 3g.90gb, 4g.90gb, 7g.180gb. */
export const B200_180GB_MIG: MigGeometry = sevenSliceGeometry({ one: 23, two: 45, four: 90, whole: 180 });
