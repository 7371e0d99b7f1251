import { describe, expect, it } from 'vitest';
import { type AcceleratorModel, findAcceleratorModel } from '../../src/hardware/accelerator-models.js';
import {
  canFitMigProfiles,
  checkMigLayout,
  findMigProfile,
  freeMigStarts,
  type MigInstanceRequest,
  type MigPlacement,
  migProfiles,
  placeMigLayout,
} from '../../src/hardware/mig.js';

function model(id: string): AcceleratorModel {
  const found = findAcceleratorModel(id);
  if (!found) throw new Error(`no model ${id}`);
  return found;
}

const H100 = model('H100-SXM-80GB');
const A100_40 = model('A100-SXM-40GB');
const A100_80 = model('A100-SXM-80GB');
const L4 = model('L4-PCIE-24GB');

/** `n` instances of `profile` with starts left to the planner. */
function times(n: number, profile: string): string[] {
  return Array.from({ length: n }, () => profile);
}

describe('which profile combinations fit on one GPU', () => {
  it.each([
    ['an H100 80GB holds 7 × 1g.10gb', H100, times(7, '1g.10gb'), true],
    ['an H100 80GB holds 1 × 4g.40gb + 1 × 3g.40gb', H100, ['4g.40gb', '3g.40gb'], true],
    ['an H100 80GB holds 2 × 3g.40gb', H100, times(2, '3g.40gb'), true],
    ['an H100 80GB holds 4 × 1g.20gb', H100, times(4, '1g.20gb'), true],
    ['an H100 80GB holds 3 × 2g.20gb + 1g.10gb', H100, [...times(3, '2g.20gb'), '1g.10gb'], true],
    ['an H100 80GB holds 1g.10gb+me next to 6 × 1g.10gb', H100, ['1g.10gb+me', ...times(6, '1g.10gb')], true],
    [
      'an H100 80GB holds 3g.40gb + 4 × 1g.10gb (3g must take the upper half)',
      H100,
      ['3g.40gb', ...times(4, '1g.10gb')],
      true,
    ],
    ['an H100 80GB holds 4g.40gb + 2 × 1g.20gb', H100, ['4g.40gb', '1g.20gb', '1g.20gb'], true],
    ['an H100 80GB holds 7g.80gb alone', H100, ['7g.80gb'], true],
    ['an H100 80GB never holds 2 × 4g.40gb', H100, times(2, '4g.40gb'), false],
    ['an H100 80GB never holds 8 × 1g.10gb', H100, times(8, '1g.10gb'), false],
    ['an H100 80GB never holds 3 × 3g.40gb', H100, times(3, '3g.40gb'), false],
    ['an H100 80GB never holds 2 × 1g.10gb+me', H100, times(2, '1g.10gb+me'), false],
    ['an H100 80GB never holds 7g.80gb with anything else', H100, ['7g.80gb', '1g.10gb'], false],
    [
      'an H100 80GB never holds 4g.40gb + 2 × 2g.20gb (2g cannot start at 6)',
      H100,
      ['4g.40gb', '2g.20gb', '2g.20gb'],
      false,
    ],
    [
      'an H100 80GB never holds 3g.40gb + 5 × 1g.10gb (1g cannot start at 7)',
      H100,
      ['3g.40gb', ...times(5, '1g.10gb')],
      false,
    ],
    ['an A100 80GB holds 2g.20gb + 2g.20gb + 3g.40gb', A100_80, ['2g.20gb', '2g.20gb', '3g.40gb'], true],
    [
      'an A100 40GB holds 4g.20gb + 3g.20gb (allowed since driver R510)',
      A100_40,
      ['4g.20gb', '3g.20gb'],
      true,
    ],
    ['an A100 40GB holds 7 × 1g.5gb', A100_40, times(7, '1g.5gb'), true],
    ['an A100 40GB never holds 5 × 1g.10gb', A100_40, times(5, '1g.10gb'), false],
    ['an H200 holds 3g.71gb + 4g.71gb', model('H200-SXM-141GB'), ['3g.71gb', '4g.71gb'], true],
    ['a B200 holds 2 × 3g.90gb', model('B200-SXM-180GB'), times(2, '3g.90gb'), true],
    ['a B200 never holds 2 × 4g.90gb', model('B200-SXM-180GB'), times(2, '4g.90gb'), false],
    ['a GPU without MIG (L4) holds no MIG instance', L4, ['1g.10gb'], false],
  ] as const)('%s', (_rule, gpu, profiles, fits) => {
    expect(canFitMigProfiles(gpu, profiles)).toBe(fits);
  });
});

describe('placeMigLayout', () => {
  it('assigns starts automatically when they are omitted', () => {
    const result = placeMigLayout(H100, [{ profile: '3g.40gb' }, { profile: '4g.40gb' }]);
    expect(result).toEqual({
      ok: true,
      placements: [
        { profile: '3g.40gb', start: 4, size: 4 },
        { profile: '4g.40gb', start: 0, size: 4 },
      ],
    });
  });

  it('backtracks: 3g.40gb moves to the upper half so that four 1g.10gb fit below it', () => {
    const result = placeMigLayout(H100, [
      { profile: '3g.40gb' },
      ...times(4, '1g.10gb').map((profile) => ({ profile })),
    ]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.placements[0]).toEqual({ profile: '3g.40gb', start: 4, size: 4 });
    expect(
      result.placements
        .slice(1)
        .map((p) => p.start)
        .sort(),
    ).toEqual([0, 1, 2, 3]);
  });

  it('keeps pinned starts and places the others around them', () => {
    const result = placeMigLayout(A100_80, [
      { profile: '2g.20gb', start: 2 },
      { profile: '3g.40gb' },
      { profile: '2g.20gb' },
    ]);
    expect(result).toEqual({
      ok: true,
      placements: [
        { profile: '2g.20gb', start: 2, size: 2 },
        { profile: '3g.40gb', start: 4, size: 4 },
        { profile: '2g.20gb', start: 0, size: 2 },
      ],
    });
  });

  it('accepts nvidia-smi spellings and returns the canonical profile name', () => {
    const result = placeMigLayout(H100, [{ profile: 'MIG 1G.10GB' }]);
    expect(result).toEqual({ ok: true, placements: [{ profile: '1g.10gb', start: 0, size: 1 }] });
  });

  it('accepts an empty layout on any GPU', () => {
    expect(placeMigLayout(H100, [])).toEqual({ ok: true, placements: [] });
    expect(placeMigLayout(L4, [])).toEqual({ ok: true, placements: [] });
  });

  it('never places two instances on the same memory slice', () => {
    const result = placeMigLayout(
      H100,
      ['1g.10gb+me', '2g.20gb', '1g.20gb', '1g.10gb', '1g.10gb'].map((profile) => ({ profile })),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const used = result.placements.flatMap((p) => Array.from({ length: p.size }, (_, i) => p.start + i));
    expect(new Set(used).size).toBe(used.length);
  });
});

describe('checkMigLayout issues', () => {
  it.each([0, 1, 2, 3, 4, 5, 6, 7])('3g.40gb only starts at 0 and 4 (start %i)', (start) => {
    const issues = checkMigLayout(H100, [{ profile: '3g.40gb', start }]);
    if (start === 0 || start === 4) {
      expect(issues).toEqual([]);
    } else {
      expect(issues).toEqual([
        {
          index: 0,
          field: 'start',
          message: `3g.40gb cannot start at memory slice ${start} on NVIDIA H100 SXM 80GB; allowed starts: 0, 4`,
        },
      ]);
    }
  });

  it('rejects any layout on a GPU without MIG (L4), naming the GPU and the profile', () => {
    expect(checkMigLayout(L4, [{ profile: '1g.10gb' }, { profile: '7g.80gb', start: 0 }])).toEqual([
      {
        index: 0,
        field: 'profile',
        message: 'NVIDIA L4 does not support MIG, so it cannot hold a "1g.10gb" instance',
      },
      {
        index: 1,
        field: 'profile',
        message: 'NVIDIA L4 does not support MIG, so it cannot hold a "7g.80gb" instance',
      },
    ]);
  });

  it('names an unknown profile and lists the valid ones for the model', () => {
    expect(checkMigLayout(A100_40, [{ profile: '1g.10gb' }, { profile: '3g.40gb' }])).toEqual([
      {
        index: 1,
        field: 'profile',
        message:
          '"3g.40gb" is not a MIG profile of NVIDIA A100 SXM4 40GB; valid profiles: ' +
          '1g.5gb, 1g.5gb+me, 1g.10gb, 2g.10gb, 3g.20gb, 4g.20gb, 7g.40gb',
      },
    ]);
  });

  it('reports the pinned instance that overlaps an earlier one', () => {
    const issues = checkMigLayout(H100, [
      { profile: '4g.40gb', start: 0 },
      { profile: '2g.20gb', start: 2 },
    ]);
    expect(issues).toEqual([
      {
        index: 1,
        field: 'start',
        message: '2g.20gb at memory slices 2-3 overlaps instance #0 (4g.40gb at memory slices 0-3)',
      },
    ]);
  });

  it('never 2 × 4g.40gb: the second one exceeds the instance limit', () => {
    expect(
      checkMigLayout(
        H100,
        times(2, '4g.40gb').map((profile) => ({ profile })),
      ),
    ).toEqual([
      {
        index: 1,
        field: 'profile',
        message: 'more than 1 × 4g.40gb on one NVIDIA H100 SXM 80GB: NVIDIA allows at most 1',
      },
    ]);
  });

  it('never 8 × 1g.10gb: the eighth one exceeds the instance limit', () => {
    const issues = checkMigLayout(
      H100,
      times(8, '1g.10gb').map((profile) => ({ profile })),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ index: 7, field: 'profile' });
    expect(issues[0]?.message).toContain('more than 7 × 1g.10gb');
  });

  it('allows at most one media-extension instance and says why', () => {
    const issues = checkMigLayout(
      H100,
      times(2, '1g.10gb+me').map((profile) => ({ profile })),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]?.index).toBe(1);
    expect(issues[0]?.message).toContain('1g.10gb+me');
    expect(issues[0]?.message).toContain('media engines');
  });

  it('says "no room left" when a pinned layout leaves no allowed start free', () => {
    const issues = checkMigLayout(H100, [
      { profile: '3g.40gb', start: 0 },
      { profile: '3g.40gb', start: 4 },
      { profile: '1g.10gb' },
    ]);
    expect(issues).toEqual([
      {
        index: 2,
        field: 'start',
        message:
          'no room left for 1g.10gb (instance #2) on NVIDIA H100 SXM 80GB: with instances ' +
          '#0 (3g.40gb at 0), #1 (3g.40gb at 4) in place, none of its allowed starts (0, 1, 2, 3, 4, 5, 6) is free',
      },
    ]);
  });

  it('blames the first omitted start that no arrangement can satisfy', () => {
    const issues = checkMigLayout(H100, [
      { profile: '1g.10gb', start: 0 },
      { profile: '3g.40gb' },
      { profile: '3g.40gb' },
    ]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ index: 2, field: 'start' });
    expect(issues[0]?.message).toContain('no room left for 3g.40gb (instance #2)');
    expect(issues[0]?.message).toContain('however the omitted starts are chosen');
    expect(issues[0]?.message).toContain('allowed starts (0, 4)');
  });

  it('reports only when no assignment of the omitted starts exists', () => {
    // A greedy planner would put 2g.20gb at 0 and then fail the pinned-free 4g.40gb; a search does not.
    expect(
      checkMigLayout(H100, [{ profile: '2g.20gb' }, { profile: '4g.40gb' }, { profile: '1g.20gb' }]),
    ).toEqual([]);
  });

  it('reports every independent problem, in layout order', () => {
    const issues = checkMigLayout(H100, [
      { profile: '9g.99gb' },
      { profile: '3g.40gb', start: 2 },
      { profile: '7g.80gb' },
      { profile: '7g.80gb' },
    ]);
    expect(issues.map((issue) => [issue.index, issue.field])).toEqual([
      [0, 'profile'],
      [1, 'start'],
      [3, 'profile'],
    ]);
  });
});

describe('freeMigStarts', () => {
  const at = (profile: string, start: number): MigPlacement => {
    const size = findMigProfile(H100, profile)?.size;
    if (size === undefined) throw new Error(profile);
    return { profile, start, size };
  };

  it.each([
    ['an empty H100 offers 3g.40gb both halves', [], '3g.40gb', [0, 4]],
    ['a 4g.40gb at 0 leaves 3g.40gb only the upper half', [at('4g.40gb', 0)], '3g.40gb', [4]],
    ['a 1g.10gb at 5 leaves 3g.40gb only the lower half', [at('1g.10gb', 5)], '3g.40gb', [0]],
    ['slice 7 is never a 1g.10gb start', [at('3g.40gb', 0)], '1g.10gb', [4, 5, 6]],
    ['an existing +me instance uses up the media engines', [at('1g.10gb+me', 0)], '1g.10gb+me', []],
    ['a full GPU has no start left', [at('7g.80gb', 0)], '1g.10gb', []],
    ['an unknown profile has no start', [], '5g.50gb', []],
  ] as const)('%s', (_rule, existing, profile, starts) => {
    expect(freeMigStarts(H100, existing, profile)).toEqual(starts);
  });

  it('offers nothing on a GPU without MIG', () => {
    expect(freeMigStarts(L4, [], '1g.10gb')).toEqual([]);
  });
});

describe('placement engine agrees with an exhaustive enumeration', () => {
  /** Every reachable set of placements on an empty GPU, built one instance at a time via freeMigStarts. */
  function reachableLayouts(gpu: AcceleratorModel): MigPlacement[][] {
    const seen = new Set<string>();
    const layouts: MigPlacement[][] = [];
    const key = (layout: readonly MigPlacement[]) =>
      layout
        .map((p) => `${p.profile}@${p.start}`)
        .sort()
        .join(',');
    const visit = (layout: MigPlacement[]) => {
      if (seen.has(key(layout))) return;
      seen.add(key(layout));
      layouts.push(layout);
      for (const profile of migProfiles(gpu)) {
        for (const start of freeMigStarts(gpu, layout, profile.name)) {
          visit([...layout, { profile: profile.name, start, size: profile.size }]);
        }
      }
    };
    visit([]);
    return layouts;
  }

  it.each([
    'A100-SXM-40GB',
    'H100-SXM-80GB',
    'H200-SXM-141GB',
    'B200-SXM-180GB',
  ])('%s: every valid layout uses at most 7 compute slices and is accepted with its starts pinned', (id) => {
    const gpu = model(id);
    const layouts = reachableLayouts(gpu);
    expect(layouts.length).toBeGreaterThan(100);
    for (const layout of layouts) {
      const compute = layout.reduce(
        (sum, p) => sum + (findMigProfile(gpu, p.profile)?.computeSlices ?? 99),
        0,
      );
      expect(compute).toBeLessThanOrEqual(7);
      const pinned: MigInstanceRequest[] = layout.map(({ profile, start }) => ({ profile, start }));
      expect(checkMigLayout(gpu, pinned)).toEqual([]);
    }
  });

  it('H100: canFitMigProfiles is true exactly for the multisets some valid layout realises', () => {
    const layouts = reachableLayouts(H100);
    const multiset = (names: readonly string[]) => [...names].sort().join(',');
    const feasible = new Set(layouts.map((layout) => multiset(layout.map((p) => p.profile))));
    const names = migProfiles(H100).map((p) => p.name);
    // Every feasible multiset plus one more instance of any profile: fits iff that multiset is feasible.
    for (const layout of layouts) {
      const base = layout.map((p) => p.profile);
      expect(canFitMigProfiles(H100, base)).toBe(true);
      for (const extra of names) {
        const candidate = [...base, extra];
        expect(canFitMigProfiles(H100, candidate), multiset(candidate)).toBe(
          feasible.has(multiset(candidate)),
        );
      }
    }
  });
});
