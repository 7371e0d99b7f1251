/**
 * MIG layout checking and placement: can this list of GPU instances live on one GPU, and where?
 *
 * Model (NVIDIA MIG User Guide, "Concepts" and `nvidia-smi mig -lgipp`): a GPU in MIG mode is 8 memory-slice
 * positions 0..7. An instance of a profile starts at one of the profile's allowed starts and occupies
 * [start, start + size). Two instances conflict exactly when those ranges overlap; on top of that each profile
 * has a per-GPU instance limit ("Number of Instances Available").
 *
 * Compute slices need no separate check: every published profile has computeSlices <= size, and the only
 * placements that reach memory slice 7 (1g with 2 memory slices at 6, 3g at 4, 7g at 0) each take one more
 * memory slice than compute slices, so any non-overlapping layout uses at most 7 compute slices. The tests
 * enumerate every valid layout to keep that argument honest.
 *
 * Pure functions over the catalog; no I/O. A layout has at most 7 instances, so an exhaustive search over
 * starts (memoised on the 8-bit occupancy mask) is cheap and finds an assignment whenever one exists.
 */
import type { AcceleratorModel } from './accelerator-models.js';
import type { MigProfile } from './mig-profiles.js';

/** One requested GPU instance; `start` pins it, otherwise a start is chosen. */
export interface MigInstanceRequest {
  readonly profile: string;
  readonly start?: number;
}

/** Where an instance sits: memory slices [start, start + size). */
export interface MigPlacement {
  readonly profile: string;
  readonly start: number;
  readonly size: number;
}

export interface MigLayoutIssue {
  /** Position of the offending entry in the requested layout. */
  readonly index: number;
  readonly field: 'profile' | 'start';
  readonly message: string;
}

export type MigPlacementResult =
  | { readonly ok: true; readonly placements: readonly MigPlacement[] }
  | { readonly ok: false; readonly issues: readonly MigLayoutIssue[] };

/** The MIG profiles of a model in NVIDIA's table order; empty when the model has no MIG. */
export function migProfiles(model: AcceleratorModel): readonly MigProfile[] {
  return model.mig?.profiles ?? [];
}

/** Finds a profile by name, case-insensitively, with or without nvidia-smi's "MIG " prefix. */
export function findMigProfile(model: AcceleratorModel, name: string): MigProfile | undefined {
  const wanted = normalizeProfileName(name);
  return migProfiles(model).find((profile) => profile.name === wanted);
}

/**
 * Checks a whole-GPU layout and assigns the omitted starts.
 *
 * Reports, per entry: a model without MIG, an unknown profile, a start the profile may not use, a pinned
 * instance overlapping an earlier pinned one, more instances of a profile than the GPU allows, and — only
 * when no assignment of the omitted starts fits at all — "no room left" on the first entry that cannot fit.
 */
export function placeMigLayout(
  model: AcceleratorModel,
  layout: readonly MigInstanceRequest[],
): MigPlacementResult {
  if (!model.mig) {
    if (layout.length === 0) return { ok: true, placements: [] };
    return {
      ok: false,
      issues: layout.map((request, index) => ({
        index,
        field: 'profile',
        message: `${model.displayName} does not support MIG, so it cannot hold a "${request.profile}" instance`,
      })),
    };
  }

  const issues: MigLayoutIssue[] = [];
  const profiles = layout.map((request, index) => {
    const profile = findMigProfile(model, request.profile);
    if (!profile) {
      issues.push({
        index,
        field: 'profile',
        message:
          `"${request.profile}" is not a MIG profile of ${model.displayName}; ` +
          `valid profiles: ${migProfiles(model)
            .map((p) => p.name)
            .join(', ')}`,
      });
    }
    return profile;
  });

  issues.push(...instanceLimitIssues(model, profiles));

  const pinned: PinnedInstance[] = [];
  layout.forEach((request, index) => {
    const profile = profiles[index];
    if (!profile || request.start === undefined) return;
    if (!profile.allowedStarts.includes(request.start)) {
      issues.push({
        index,
        field: 'start',
        message:
          `${profile.name} cannot start at memory slice ${request.start} on ${model.displayName}; ` +
          `allowed starts: ${profile.allowedStarts.join(', ')}`,
      });
      return;
    }
    const instance: PinnedInstance = { index, profile, start: request.start };
    const clash = pinned.find((other) => overlaps(instance, other));
    if (clash) {
      issues.push({
        index,
        field: 'start',
        message: `${profile.name} at ${describeSlices(instance)} overlaps instance #${clash.index} (${clash.profile.name} at ${describeSlices(clash)})`,
      });
      return;
    }
    pinned.push(instance);
  });

  if (issues.length > 0) return { ok: false, issues: sortIssues(issues) };

  // Every entry now has a known profile; the pinned ones are valid and disjoint.
  const resolved = profiles.filter((profile): profile is MigProfile => profile !== undefined);
  const pinnedMask = pinned.reduce(
    (mask, instance) => mask | spanMask(instance.start, instance.profile.size),
    0,
  );
  const floating = layout.flatMap((request, index) => (request.start === undefined ? [index] : []));

  const starts = assignStarts(
    floating.map((index) => resolved[index]!),
    pinnedMask,
  );
  if (starts) {
    const chosen = new Map(floating.map((index, k) => [index, starts[k]!]));
    return {
      ok: true,
      placements: layout.map((request, index) => {
        const profile = resolved[index]!;
        return { profile: profile.name, start: request.start ?? chosen.get(index)!, size: profile.size };
      }),
    };
  }

  return { ok: false, issues: [noRoomIssue(model, layout, resolved, pinned, floating, pinnedMask)] };
}

/** The issues of `placeMigLayout`, or `[]` when the layout fits. */
export function checkMigLayout(
  model: AcceleratorModel,
  layout: readonly MigInstanceRequest[],
): MigLayoutIssue[] {
  const result = placeMigLayout(model, layout);
  return result.ok ? [] : [...result.issues];
}

/** True when instances of these profiles (starts chosen freely) fit together on one GPU of this model. */
export function canFitMigProfiles(model: AcceleratorModel, profileNames: readonly string[]): boolean {
  return placeMigLayout(
    model,
    profileNames.map((profile) => ({ profile })),
  ).ok;
}

/**
 * Starts at which one more instance of `profile` could be created next to `existing` instances, ascending.
 * Empty when the model has no MIG, the profile is unknown, or the profile's instance limit is reached.
 */
export function freeMigStarts(
  model: AcceleratorModel,
  existing: readonly MigPlacement[],
  profile: string,
): number[] {
  const wanted = findMigProfile(model, profile);
  if (!wanted) return [];
  const sameProfile = existing.filter((placement) => normalizeProfileName(placement.profile) === wanted.name);
  if (sameProfile.length >= wanted.maxInstances) return [];
  const used = existing.reduce((mask, placement) => mask | spanMask(placement.start, placement.size), 0);
  return wanted.allowedStarts.filter((start) => (spanMask(start, wanted.size) & used) === 0);
}

interface PinnedInstance {
  readonly index: number;
  readonly profile: MigProfile;
  readonly start: number;
}

function normalizeProfileName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/^mig[\s-]+/, '');
}

/** Bit i set ⇔ memory slice i is covered by [start, start + size). */
function spanMask(start: number, size: number): number {
  return ((1 << size) - 1) << start;
}

function overlaps(a: PinnedInstance, b: PinnedInstance): boolean {
  return a.start < b.start + b.profile.size && b.start < a.start + a.profile.size;
}

function describeSlices(instance: PinnedInstance): string {
  const last = instance.start + instance.profile.size - 1;
  return last === instance.start ? `memory slice ${last}` : `memory slices ${instance.start}-${last}`;
}

/** One issue on every instance beyond a profile's per-GPU limit, counted in layout order. */
function instanceLimitIssues(
  model: AcceleratorModel,
  profiles: readonly (MigProfile | undefined)[],
): MigLayoutIssue[] {
  const counts = new Map<string, number>();
  const issues: MigLayoutIssue[] = [];
  profiles.forEach((profile, index) => {
    if (!profile) return;
    const count = (counts.get(profile.name) ?? 0) + 1;
    counts.set(profile.name, count);
    if (count <= profile.maxInstances) return;
    const why = profile.mediaExtensions ? ' (the media engines can go to a single instance only)' : '';
    issues.push({
      index,
      field: 'profile',
      message: `more than ${profile.maxInstances} × ${profile.name} on one ${model.displayName}: NVIDIA allows at most ${profile.maxInstances}${why}`,
    });
  });
  return issues;
}

/**
 * Chooses a start for each profile so that none overlaps another or `occupied`; undefined when impossible.
 * Depth-first over starts, biggest spans first (they have the fewest choices); failed (depth, mask) states are
 * remembered, so the work is bounded by instances × 2^8 whatever the input.
 */
function assignStarts(profiles: readonly MigProfile[], occupied: number): number[] | undefined {
  const order = profiles.map((_, k) => k).sort((a, b) => profiles[b]!.size - profiles[a]!.size || a - b);
  const chosen: number[] = new Array<number>(profiles.length).fill(0);
  const failed = new Set<string>();

  const search = (depth: number, mask: number): boolean => {
    if (depth === order.length) return true;
    const key = `${depth}:${mask}`;
    if (failed.has(key)) return false;
    const k = order[depth]!;
    const profile = profiles[k]!;
    for (const start of profile.allowedStarts) {
      const span = spanMask(start, profile.size);
      if ((span & mask) !== 0) continue;
      chosen[k] = start;
      if (search(depth + 1, mask | span)) return true;
    }
    failed.add(key);
    return false;
  };

  return search(0, occupied) ? chosen : undefined;
}

/**
 * Explains an infeasible layout: the first floating entry (in layout order) that cannot be added to the
 * pinned entries and the floating entries before it, whichever starts those take.
 */
function noRoomIssue(
  model: AcceleratorModel,
  layout: readonly MigInstanceRequest[],
  profiles: readonly MigProfile[],
  pinned: readonly PinnedInstance[],
  floating: readonly number[],
  pinnedMask: number,
): MigLayoutIssue {
  let blocked = floating.length - 1;
  for (let k = 0; k < floating.length; k++) {
    const prefix = floating.slice(0, k + 1).map((index) => profiles[index]!);
    if (!assignStarts(prefix, pinnedMask)) {
      blocked = k;
      break;
    }
  }
  const index = floating[blocked]!;
  const profile = profiles[index]!;
  const others = [...pinned.map((instance) => instance.index), ...floating.slice(0, blocked)]
    .sort((a, b) => a - b)
    .map(
      (other) =>
        `#${other} (${profiles[other]!.name}${layout[other]!.start === undefined ? '' : ` at ${layout[other]!.start}`})`,
    );
  const arrangement = blocked > 0 ? ', however the omitted starts are chosen' : '';
  return {
    index,
    field: 'start',
    message:
      `no room left for ${profile.name} (instance #${index}) on ${model.displayName}: with ` +
      `${others.length === 1 ? 'instance' : 'instances'} ` +
      `${others.join(', ')} in place${arrangement}, none of its allowed starts (${profile.allowedStarts.join(', ')}) is free`,
  };
}

function sortIssues(issues: readonly MigLayoutIssue[]): MigLayoutIssue[] {
  return [...issues].sort((a, b) => a.index - b.index);
}
