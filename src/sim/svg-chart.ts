/**
 * A small, dependency-free SVG line chart: linear axes with ticks, grid lines and labels, one
 * polyline per series, a legend and a title. Output is a pure function of the input (fixed number
 * formatting, no ids or clocks), so the same data gives the same bytes.
 */

export interface ChartSeries {
  readonly name: string;
  /** [x, y] in data units; points outside the axes are clamped to the plot area. */
  readonly points: readonly (readonly [number, number])[];
  /** Legend text; defaults to the name. */
  readonly legend?: string;
}

export interface ChartGuide {
  /** A dashed reference line between two points in data units, e.g. the 100% arrived mark. */
  readonly from: readonly [number, number];
  readonly to: readonly [number, number];
  readonly label?: string;
}

export interface Axis {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  /** Tick spacing in data units. */
  readonly step: number;
}

export interface LineChart {
  readonly title: string;
  readonly subtitle?: string;
  readonly x: Axis;
  readonly y: Axis;
  readonly series: readonly ChartSeries[];
  readonly guides?: readonly ChartGuide[];
  readonly width?: number;
  readonly height?: number;
  /** Where the legend sits inside the plot: pick the corner the data leaves empty (default top-left). */
  readonly legendAt?: 'top-left' | 'bottom-right';
}

/** Okabe–Ito: distinguishable with the common colour-vision deficiencies. */
export const SERIES_COLOURS = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
  '#F0E442',
] as const;

const MARGIN = { top: 64, right: 24, bottom: 56, left: 64 } as const;

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** Two decimals, trailing zeros dropped: coordinates stay short and stable. */
function n(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function ticks(axis: Axis): number[] {
  if (!(axis.step > 0) || !(axis.max > axis.min))
    throw new RangeError(`axis '${axis.label}': need min < max and a positive step`);
  const out: number[] = [];
  const count = Math.floor((axis.max - axis.min) / axis.step + 1e-9);
  for (let i = 0; i <= count; i++) out.push(axis.min + i * axis.step);
  return out;
}

export function renderLineChart(chart: LineChart): string {
  const width = chart.width ?? 800;
  const height = chart.height ?? 520;
  const left = MARGIN.left;
  const right = width - MARGIN.right;
  const top = MARGIN.top;
  const bottom = height - MARGIN.bottom;
  const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
  const sx = (x: number): number =>
    left +
    ((clamp(x, chart.x.min, chart.x.max) - chart.x.min) / (chart.x.max - chart.x.min)) * (right - left);
  const sy = (y: number): number =>
    bottom -
    ((clamp(y, chart.y.min, chart.y.max) - chart.y.min) / (chart.y.max - chart.y.min)) * (bottom - top);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(
    `<text class="title" x="${n(width / 2)}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`,
  );
  if (chart.subtitle)
    out.push(
      `<text class="subtitle" x="${n(width / 2)}" y="44" text-anchor="middle" fill="#555555">${escapeXml(chart.subtitle)}</text>`,
    );

  // Grid and ticks.
  out.push('<g class="x-axis">');
  for (const t of ticks(chart.x)) {
    const x = n(sx(t));
    out.push(`<line x1="${x}" y1="${n(top)}" x2="${x}" y2="${n(bottom)}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${x}" y1="${n(bottom)}" x2="${x}" y2="${n(bottom + 5)}" stroke="#333333"/>`);
    out.push(`<text x="${x}" y="${n(bottom + 18)}" text-anchor="middle">${n(t)}</text>`);
  }
  out.push(
    `<text class="axis-label" x="${n((left + right) / 2)}" y="${n(height - 14)}" text-anchor="middle" font-size="13">${escapeXml(chart.x.label)}</text>`,
  );
  out.push('</g>');
  out.push('<g class="y-axis">');
  for (const t of ticks(chart.y)) {
    const y = n(sy(t));
    out.push(`<line x1="${n(left)}" y1="${y}" x2="${n(right)}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${n(left - 5)}" y1="${y}" x2="${n(left)}" y2="${y}" stroke="#333333"/>`);
    out.push(`<text x="${n(left - 8)}" y="${y}" text-anchor="end" dominant-baseline="middle">${n(t)}</text>`);
  }
  const cy = n((top + bottom) / 2);
  out.push(
    `<text class="axis-label" x="18" y="${cy}" text-anchor="middle" font-size="13" transform="rotate(-90 18 ${cy})">${escapeXml(chart.y.label)}</text>`,
  );
  out.push('</g>');
  out.push(
    `<rect x="${n(left)}" y="${n(top)}" width="${n(right - left)}" height="${n(bottom - top)}" fill="none" stroke="#333333"/>`,
  );

  for (const guide of chart.guides ?? []) {
    const [x1, y1] = [sx(guide.from[0]), sy(guide.from[1])];
    const [x2, y2] = [sx(guide.to[0]), sy(guide.to[1])];
    out.push(
      `<line class="guide" x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="#888888" stroke-dasharray="5 4"/>`,
    );
    if (guide.label)
      out.push(
        `<text x="${n(x2 + 4)}" y="${n(Math.max(y2, top) + 14)}" text-anchor="start" fill="#666666" font-size="11">${escapeXml(guide.label)}</text>`,
      );
  }

  chart.series.forEach((s, i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length]!;
    const points = s.points.map(([x, y]) => `${n(sx(x))},${n(sy(y))}`).join(' ');
    out.push(
      `<polyline class="series" data-series="${escapeXml(s.name)}" points="${points}" fill="none" stroke="${colour}" stroke-width="2" stroke-linejoin="round"/>`,
    );
  });

  // Legend: in the corner of the plot the caller says the data leaves empty.
  const rowHeight = 18;
  const legendWidth = 24 + 7 * Math.max(0, ...chart.series.map((s) => (s.legend ?? s.name).length)) + 16;
  const legendHeight = chart.series.length * rowHeight + 10;
  const atRight = chart.legendAt === 'bottom-right';
  const lx = atRight ? right - 12 - legendWidth : left + 12;
  const ly = atRight ? bottom - 12 - legendHeight : top + 12;
  out.push('<g class="legend">');
  out.push(
    `<rect x="${n(lx)}" y="${n(ly)}" width="${n(legendWidth)}" height="${n(legendHeight)}" fill="#ffffff" fill-opacity="0.9" stroke="#cccccc"/>`,
  );
  chart.series.forEach((s, i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length]!;
    const y = ly + 14 + i * rowHeight;
    out.push(
      `<line x1="${n(lx + 8)}" y1="${n(y)}" x2="${n(lx + 28)}" y2="${n(y)}" stroke="${colour}" stroke-width="3"/>`,
    );
    out.push(
      `<text x="${n(lx + 34)}" y="${n(y)}" dominant-baseline="middle">${escapeXml(s.legend ?? s.name)}</text>`,
    );
  });
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
