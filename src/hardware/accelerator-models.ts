/**
 * Built-in catalog of accelerator models: what the scheduler, the power rules and the price books know about
 * a GPU/TPU model before any node reports in.
 *
 * Sources (vendor figures; "dense" 16-bit tensor throughput is the datasheet's with-sparsity figure halved
 * where the datasheet prints only that one):
 * - NVIDIA H100 datasheet (SXM5: 80GB HBM3, up to 700 W, NVLink 900 GB/s, FP16 tensor 1,979 TFLOPS sparse;
 *   PCIe: 80GB HBM2e, 300–350 W, PCIe Gen5 128 GB/s, optional NVLink bridge 600 GB/s, 1,513 TFLOPS sparse)
 *   and the H100 PCIe product brief PB-11133-001 (350 W maximum TDP).
 * - NVIDIA H200 datasheet (141GB HBM3e, 4.8 TB/s, up to 700 W, NVLink 900 GB/s, FP16 1,979 TFLOPS sparse).
 * - NVIDIA HGX B200 / DGX B200 specifications (1,440 GB across 8 GPUs = 180 GB usable per GPU of the 192 GB
 *   physical HBM3e, 1,000 W, NVLink 5 1.8 TB/s, FP16/BF16 36 PFLOPS sparse per 8 GPUs = 2,250 dense per GPU).
 * - NVIDIA A100 datasheet (SXM4 40GB HBM2 / 80GB HBM2e, 400 W, NVLink 600 GB/s, FP16 tensor 312 TFLOPS).
 * - NVIDIA L40S datasheet (48GB GDDR6, 350 W, PCIe Gen4 x16 64 GB/s, FP16 tensor 362.05 TFLOPS dense).
 * - NVIDIA L4 datasheet (24GB GDDR6, 72 W, PCIe Gen4 x16 64 GB/s, FP16 tensor 242 TFLOPS sparse).
 * - NVIDIA T4 datasheet (16GB GDDR6, 70 W, PCIe Gen3 x16 32 GB/s, FP16/FP32 mixed 65 TFLOPS; no sparsity).
 * - AMD Instinct MI300X datasheet (192GB HBM3, 750 W OAM, FP16 1,307.4 TFLOPS dense, 7 Infinity Fabric
 *   links × 128 GB/s = 896 GB/s peer bandwidth).
 * - Google Cloud TPU v5e documentation (16 GB HBM2, 197 bf16 TFLOPS, 400 GB/s bidirectional ICI per chip).
 *   Google publishes no per-chip TDP, so `tdpWatts` is left out rather than invented.
 * - NVIDIA MIG User Guide, "Supported GPUs" (which of these models support MIG); the geometry itself is in
 *   `mig-profiles.ts`.
 *
 * Aliases are the names other systems write: `nvidia-smi --query-gpu=name` ("NVIDIA H100 80GB HBM3"), the
 * GPU feature discovery `nvidia.com/gpu.product` label (spaces become dashes), GKE accelerator labels
 * ("nvidia-tesla-t4"), rocm-smi product names, and the short names people type ("H100", "h100-80gb").
 */
import {
  A100_40GB_MIG,
  A100_80GB_MIG,
  B200_180GB_MIG,
  H100_80GB_MIG,
  H200_141GB_MIG,
  type MigGeometry,
} from './mig-profiles.js';

export type AcceleratorVendor = 'nvidia' | 'amd' | 'google';
export type AcceleratorFormFactor = 'sxm' | 'pcie' | 'oam' | 'tpu';
export type AcceleratorMemoryType = 'HBM2' | 'HBM2e' | 'HBM3' | 'HBM3e' | 'GDDR6';
export type InterconnectKind = 'nvlink' | 'pcie' | 'infinity-fabric' | 'ici';

export interface AcceleratorInterconnect {
  readonly kind: InterconnectKind;
  /** Generation as the vendor names it: NVLink '4', PCIe 'Gen5', … */
  readonly version?: string;
  /** Per-device bidirectional peer bandwidth in GB/s (what a collective between two devices can use). */
  readonly bandwidthGBps: number;
}

export interface AcceleratorModel {
  /** Canonical id, e.g. 'H100-SXM-80GB': model, form factor, memory. */
  readonly id: string;
  readonly vendor: AcceleratorVendor;
  readonly displayName: string;
  /** Other spellings that resolve to this model (matched case-insensitively). */
  readonly aliases: readonly string[];
  /** Device memory usable by workloads, in GiB as the vendor states it. */
  readonly memoryGiB: number;
  readonly memoryType: AcceleratorMemoryType;
  /** Maximum board power; absent when the vendor does not publish one (Google TPUs). */
  readonly tdpWatts?: number;
  readonly interconnect: AcceleratorInterconnect;
  readonly formFactor: AcceleratorFormFactor;
  /** Dense 16-bit floating-point tensor throughput (FP16, or BF16 where that is the native format). */
  readonly fp16Tflops?: number;
  /** Present only for models that support NVIDIA MIG. */
  readonly mig?: MigGeometry;
}

export const ACCELERATOR_MODELS: readonly AcceleratorModel[] = [
  {
    id: 'H100-SXM-80GB',
    vendor: 'nvidia',
    displayName: 'NVIDIA H100 SXM 80GB',
    aliases: [
      'NVIDIA H100 80GB HBM3',
      'NVIDIA-H100-80GB-HBM3',
      'H100',
      'H100-SXM',
      'H100-SXM5',
      'H100-SXM5-80GB',
      'h100-80gb',
      'nvidia-h100-80gb',
    ],
    memoryGiB: 80,
    memoryType: 'HBM3',
    tdpWatts: 700,
    interconnect: { kind: 'nvlink', version: '4', bandwidthGBps: 900 },
    formFactor: 'sxm',
    fp16Tflops: 989.5,
    mig: H100_80GB_MIG,
  },
  {
    id: 'H100-PCIE-80GB',
    vendor: 'nvidia',
    displayName: 'NVIDIA H100 PCIe 80GB',
    aliases: ['NVIDIA H100 PCIe', 'NVIDIA-H100-PCIe', 'H100-PCIe'],
    memoryGiB: 80,
    memoryType: 'HBM2e',
    tdpWatts: 350,
    // Peers talk over PCIe unless a pair is bridged with NVLink (600 GB/s); the catalog states the default.
    interconnect: { kind: 'pcie', version: 'Gen5', bandwidthGBps: 128 },
    formFactor: 'pcie',
    fp16Tflops: 756.5,
    mig: H100_80GB_MIG,
  },
  {
    id: 'H200-SXM-141GB',
    vendor: 'nvidia',
    displayName: 'NVIDIA H200 SXM 141GB',
    aliases: [
      'NVIDIA H200',
      'NVIDIA-H200',
      'H200',
      'H200-SXM',
      'H200-SXM5',
      'h200-141gb',
      'nvidia-h200-141gb',
    ],
    memoryGiB: 141,
    memoryType: 'HBM3e',
    tdpWatts: 700,
    interconnect: { kind: 'nvlink', version: '4', bandwidthGBps: 900 },
    formFactor: 'sxm',
    fp16Tflops: 989.5,
    mig: H200_141GB_MIG,
  },
  {
    id: 'B200-SXM-180GB',
    vendor: 'nvidia',
    displayName: 'NVIDIA B200 180GB',
    // 192 GB is the physical HBM3e; NVIDIA's DGX/HGX specs and the MIG guide state 180 GB usable.
    aliases: ['NVIDIA B200', 'NVIDIA-B200', 'B200', 'B200-SXM', 'B200-192GB', 'b200-180gb'],
    memoryGiB: 180,
    memoryType: 'HBM3e',
    tdpWatts: 1000,
    interconnect: { kind: 'nvlink', version: '5', bandwidthGBps: 1800 },
    formFactor: 'sxm',
    fp16Tflops: 2250,
    mig: B200_180GB_MIG,
  },
  {
    id: 'A100-SXM-40GB',
    vendor: 'nvidia',
    displayName: 'NVIDIA A100 SXM4 40GB',
    // Plain "A100" means the original 40GB part, as GKE's "nvidia-tesla-a100" label does.
    aliases: [
      'NVIDIA A100-SXM4-40GB',
      'NVIDIA-A100-SXM4-40GB',
      'A100-SXM4-40GB',
      'A100',
      'A100-40GB',
      'nvidia-tesla-a100',
    ],
    memoryGiB: 40,
    memoryType: 'HBM2',
    tdpWatts: 400,
    interconnect: { kind: 'nvlink', version: '3', bandwidthGBps: 600 },
    formFactor: 'sxm',
    fp16Tflops: 312,
    mig: A100_40GB_MIG,
  },
  {
    id: 'A100-SXM-80GB',
    vendor: 'nvidia',
    displayName: 'NVIDIA A100 SXM4 80GB',
    aliases: [
      'NVIDIA A100-SXM4-80GB',
      'NVIDIA-A100-SXM4-80GB',
      'A100-SXM4-80GB',
      'A100-80GB',
      'nvidia-a100-80gb',
    ],
    memoryGiB: 80,
    memoryType: 'HBM2e',
    tdpWatts: 400,
    interconnect: { kind: 'nvlink', version: '3', bandwidthGBps: 600 },
    formFactor: 'sxm',
    fp16Tflops: 312,
    mig: A100_80GB_MIG,
  },
  {
    id: 'L40S-PCIE-48GB',
    vendor: 'nvidia',
    displayName: 'NVIDIA L40S',
    aliases: ['NVIDIA L40S', 'NVIDIA-L40S', 'L40S'],
    memoryGiB: 48,
    memoryType: 'GDDR6',
    tdpWatts: 350,
    interconnect: { kind: 'pcie', version: 'Gen4', bandwidthGBps: 64 },
    formFactor: 'pcie',
    fp16Tflops: 362.05,
  },
  {
    id: 'L4-PCIE-24GB',
    vendor: 'nvidia',
    displayName: 'NVIDIA L4',
    aliases: ['NVIDIA L4', 'NVIDIA-L4', 'L4'],
    memoryGiB: 24,
    memoryType: 'GDDR6',
    tdpWatts: 72,
    interconnect: { kind: 'pcie', version: 'Gen4', bandwidthGBps: 64 },
    formFactor: 'pcie',
    fp16Tflops: 121,
  },
  {
    id: 'T4-PCIE-16GB',
    vendor: 'nvidia',
    displayName: 'NVIDIA T4',
    aliases: ['Tesla T4', 'NVIDIA Tesla T4', 'Tesla-T4', 'T4', 'nvidia-tesla-t4'],
    memoryGiB: 16,
    memoryType: 'GDDR6',
    tdpWatts: 70,
    interconnect: { kind: 'pcie', version: 'Gen3', bandwidthGBps: 32 },
    formFactor: 'pcie',
    fp16Tflops: 65,
  },
  {
    id: 'MI300X-OAM-192GB',
    vendor: 'amd',
    displayName: 'AMD Instinct MI300X',
    aliases: ['AMD Instinct MI300X', 'AMD Instinct MI300X OAM', 'MI300X', 'mi300x-192gb'],
    memoryGiB: 192,
    memoryType: 'HBM3',
    tdpWatts: 750,
    interconnect: { kind: 'infinity-fabric', bandwidthGBps: 896 },
    formFactor: 'oam',
    fp16Tflops: 1307.4,
  },
  {
    id: 'TPU-V5E-16GB',
    vendor: 'google',
    displayName: 'Google Cloud TPU v5e',
    aliases: ['TPU v5e', 'TPU-v5e', 'v5e', 'v5litepod', 'tpu-v5-lite-podslice'],
    memoryGiB: 16,
    memoryType: 'HBM2',
    interconnect: { kind: 'ici', bandwidthGBps: 400 },
    formFactor: 'tpu',
    fp16Tflops: 197,
  },
];

/** Lower-cased id and alias → model. Built once; the catalog is static. */
const BY_NAME: ReadonlyMap<string, AcceleratorModel> = new Map(
  ACCELERATOR_MODELS.flatMap((model) =>
    [model.id, ...model.aliases].map((name) => [name.trim().toLowerCase(), model] as const),
  ),
);

/** Resolves a canonical id or any alias, case-insensitively and ignoring surrounding spaces. */
export function findAcceleratorModel(idOrAlias: string): AcceleratorModel | undefined {
  return BY_NAME.get(idOrAlias.trim().toLowerCase());
}

/** Canonical ids of every built-in model, in catalog order. */
export function acceleratorModelIds(): readonly string[] {
  return ACCELERATOR_MODELS.map((model) => model.id);
}
