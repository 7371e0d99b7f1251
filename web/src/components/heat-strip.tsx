import { useEffect, useRef } from 'react';
import { type HeatMode, heat, NO_REPORT_FLAT, type NodeView, nodeShare } from '../model/fleet-view.js';

const CELL = 6;

/**
 * Every node of a group as one small square coloured by its GPUs' booked share or reported
 * utilisation, drawn on a canvas: a 5,000-node site is one element, not 5,000.
 */
export function HeatStrip({
  nodes,
  width,
  mode,
}: {
  nodes: readonly NodeView[];
  width: number;
  mode: HeatMode;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const perRow = Math.max(1, Math.floor(width / CELL));
  const rows = Math.max(1, Math.ceil(nodes.length / perRow));
  useEffect(() => {
    const context = ref.current?.getContext('2d');
    if (!context) return;
    context.clearRect(0, 0, perRow * CELL, rows * CELL);
    nodes.forEach((node, i) => {
      const share = nodeShare(node, mode);
      const up = node.state === 'Ready' || node.state === 'Unreported';
      context.fillStyle = !up ? '#555' : share === undefined ? NO_REPORT_FLAT : heat(share);
      context.fillRect((i % perRow) * CELL, Math.floor(i / perRow) * CELL, CELL - 1, CELL - 1);
    });
  }, [nodes, perRow, rows, mode]);
  return <canvas ref={ref} className="heatstrip" width={perRow * CELL} height={rows * CELL} />;
}
