import { describe, expect, it } from 'vitest';
import type { FgdPolicyOutcome } from '../../src/sim/fgd-experiment.js';
import { allocationChartSvg } from '../../src/sim/report-chart.js';
import { escapeXml, renderLineChart } from '../../src/sim/svg-chart.js';

/**
 * A strict-enough XML well-formedness check for our own output: every tag closes in order,
 * attributes are quoted, and text has no raw `<` or `&` that is not an entity.
 */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/g;
  let consumed = 0;
  for (const m of xml.matchAll(token)) {
    expect(m.index, `unparsable markup near: ${xml.slice(consumed, consumed + 60)}`).toBe(consumed);
    consumed += m[0].length;
    const [, closing, name, , selfClosing, text] = m;
    if (text !== undefined) {
      expect(text).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
      continue;
    }
    if (closing) expect(stack.pop()).toBe(name);
    else if (!selfClosing) stack.push(name!);
  }
  expect(consumed, `unparsable markup near: ${xml.slice(consumed, consumed + 60)}`).toBe(xml.length);
  expect(stack).toEqual([]);
}

const outcome = (policy: string): FgdPolicyOutcome => ({
  trace: 'openb_pod_list_default',
  policy,
  seeds: [42, 43, 44, 45, 46, 47, 48, 49, 50, 51],
  unallocatedGpuPctAt100: 5,
  unallocatedGpuPctAt130: 4,
  sd100: 0.3,
  sd130: 0.3,
  allocatedPct: Float64Array.from({ length: 131 }, (_, g) => Math.min(g, 95)),
});
const grid = Float64Array.from({ length: 131 }, (_, g) => g);
const policies = ['Random', 'DotProd', 'GpuClustering', 'GpuPacking', 'BestFit', 'FGD'];

describe('allocationChartSvg', () => {
  const svg = allocationChartSvg('openb_pod_list_default', grid, policies.map(outcome));

  it('is well-formed XML with an svg root', () => {
    assertWellFormed(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  });

  it('draws one polyline per policy, in order, from 50% to 130% arrived (81 grid points)', () => {
    const lines = [...svg.matchAll(/<polyline class="series" data-series="([^"]+)" points="([^"]+)"/g)];
    expect(lines.map((m) => m[1])).toEqual(policies);
    for (const m of lines) expect(m[2]!.split(' ')).toHaveLength(81);
  });

  it('has a title, both axis labels, ticks and a legend entry per policy', () => {
    expect(svg).toContain('GPU allocation vs arrived load: openb_pod_list_default');
    expect(svg).toContain('mean over seeds 42-51 (10 runs per policy)');
    expect(svg).toContain('Arrived GPU request (% of cluster GPU capacity)</text>');
    expect(svg).toContain('Allocated GPU (% of capacity)</text>');
    for (const tick of ['50', '75', '100', '130']) expect(svg).toMatch(new RegExp(`>${tick}</text>`));
    const legend = svg.slice(svg.indexOf('<g class="legend">'));
    for (const p of policies) expect(legend).toContain(`>${p}: 5.00% unallocated at 100%</text>`);
  });

  it('is a pure function of its input', () => {
    expect(allocationChartSvg('openb_pod_list_default', grid, policies.map(outcome))).toBe(svg);
  });
});

describe('renderLineChart', () => {
  it('escapes names and titles', () => {
    const svg = renderLineChart({
      title: 'a < b & "c"',
      x: { label: 'x', min: 0, max: 10, step: 5 },
      y: { label: 'y', min: 0, max: 10, step: 5 },
      series: [
        {
          name: "<script>'",
          points: [
            [0, 0],
            [10, 10],
          ],
        },
      ],
    });
    assertWellFormed(svg);
    expect(svg).toContain(escapeXml('a < b & "c"'));
    expect(svg).not.toContain('<script>');
  });

  it('rejects an axis with no extent', () => {
    expect(() =>
      renderLineChart({
        title: 't',
        x: { label: 'x', min: 0, max: 0, step: 1 },
        y: { label: 'y', min: 0, max: 10, step: 5 },
        series: [],
      }),
    ).toThrow(RangeError);
  });
});
