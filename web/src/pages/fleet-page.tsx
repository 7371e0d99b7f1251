import { useMemo, useState } from 'react';
import { GpuCellView } from '../components/gpu-cell.js';
import { HeatStrip } from '../components/heat-strip.js';
import { VirtualList } from '../components/virtual-list.js';
import { useFleetData } from '../fleet-data.js';
import {
  type Aggregate,
  aggregate,
  bookings,
  type HeatMode,
  heat,
  NO_REPORT,
  type NodeView,
  nodeViews,
} from '../model/fleet-view.js';
import type { Cluster } from '../model/objects.js';

/** Fleets up to this many nodes open with every group expanded; larger ones start aggregated. */
const EXPAND_ALL_UP_TO = 64;
const NODE_ROW = 52;
const LIST_HEIGHT = 520;

const ALL = '';

function percent(part: number, whole: number): string {
  return whole === 0 ? '–' : `${Math.round((part / whole) * 100)}%`;
}

export function FleetPage() {
  const { sites, clusters, nodes, workloads, tenantOf } = useFleetData();
  const [site, setSite] = useState(ALL);
  const [model, setModel] = useState(ALL);
  const [tenant, setTenant] = useState(ALL);
  const [toggled, setToggled] = useState<ReadonlySet<string>>(new Set());
  const [mode, setMode] = useState<HeatMode>('allocation');

  const views = useMemo(() => {
    const byName = new Map<string, Cluster>();
    for (const c of clusters.items.values()) byName.set(c.metadata.name, c);
    return nodeViews(nodes.items.values(), byName, bookings(workloads.items.values(), tenantOf));
  }, [nodes.items, clusters.items, workloads.items, tenantOf]);

  const options = useMemo(() => {
    const models = new Set<string>();
    const tenants = new Set<string>();
    for (const v of views) {
      for (const m of v.models) models.add(m);
      for (const t of v.tenants) tenants.add(t);
    }
    return { models: [...models].sort(), tenants: [...tenants].sort() };
  }, [views]);

  const shown = useMemo(
    () =>
      views.filter(
        (v) =>
          (site === ALL || v.site === site) &&
          (model === ALL || v.models.includes(model)) &&
          (tenant === ALL || v.tenants.has(tenant)),
      ),
    [views, site, model, tenant],
  );
  const groups = useMemo(() => aggregate(shown), [shown]);
  const expandAll = views.length <= EXPAND_ALL_UP_TO;
  const isOpen = (g: Aggregate) => expandAll !== toggled.has(groupKey(g));
  const totalGpus = shown.reduce((n, v) => n + v.gpus.length, 0);
  const allocated = shown.reduce((n, v) => n + v.allocated, 0);
  const reporting = groups.reduce((n, g) => n + g.reporting, 0);
  const utilized = groups.reduce((n, g) => n + g.utilized, 0);

  if (!nodes.loaded) return <p className="loading">Loading the fleet…</p>;
  return (
    <section data-testid="fleet-page">
      <div className="toolbar">
        <h2>Fleet</h2>
        <Select label="Site" value={site} onChange={setSite} values={[...sites.items.keys()].sort()} />
        <Select label="Model" value={model} onChange={setModel} values={options.models} />
        <Select label="Tenant" value={tenant} onChange={setTenant} values={options.tenants} />
        <fieldset className="mode" data-testid="heat-mode">
          <legend>Colour by</legend>
          {(['allocation', 'utilization'] as const).map((m) => (
            <label key={m}>
              <input
                type="radio"
                name="heat-mode"
                value={m}
                checked={mode === m}
                onChange={() => setMode(m)}
              />
              {m === 'allocation' ? 'allocation' : 'utilisation'}
            </label>
          ))}
        </fieldset>
        <span className="summary" data-testid="fleet-summary">
          {shown.length} nodes · {totalGpus} GPUs · {percent(allocated, totalGpus)} allocated
          {reporting > 0 && ` · ${percent(utilized, reporting)} utilised (${reporting} GPUs reporting)`}
        </span>
      </div>
      {nodes.error && <p className="error">{nodes.error}</p>}
      {groups.map((g) => (
        <div className="group" key={groupKey(g)} data-testid="site-group" data-site={g.site}>
          <button
            type="button"
            className="group-head"
            onClick={() =>
              setToggled((prev) => {
                const next = new Set(prev);
                if (!next.delete(groupKey(g))) next.add(groupKey(g));
                return next;
              })
            }
          >
            <span className="twisty">{isOpen(g) ? '▾' : '▸'}</span>
            <span className="site-name">{g.site}</span>
            <span className="model">{g.model}</span>
            <span>{g.nodes.length} nodes</span>
            <span>{g.gpus} GPUs</span>
            <GroupShare group={g} mode={mode} />
          </button>
          <HeatStrip nodes={g.nodes} width={900} mode={mode} />
          {isOpen(g) && (
            <VirtualList
              items={g.nodes}
              rowHeight={NODE_ROW}
              height={LIST_HEIGHT}
              rowKey={(n) => n.name}
              renderRow={(n) => <NodeRow node={n} mode={mode} />}
              testId="node-list"
            />
          )}
        </div>
      ))}
      <Legend mode={mode} />
    </section>
  );
}

function groupKey(g: Aggregate): string {
  return `${g.site}/${g.model}`;
}

/** A group's booked share, or its reporting GPUs' mean utilisation. */
function GroupShare({ group, mode }: { group: Aggregate; mode: HeatMode }) {
  if (group.gpus === 0) return <span className="share">no GPUs</span>;
  if (mode === 'allocation') {
    return (
      <span className="share" style={{ background: heat(group.allocated / group.gpus) }}>
        {percent(group.allocated, group.gpus)} allocated
      </span>
    );
  }
  if (group.reporting === 0) {
    return (
      <span className="share" style={{ background: NO_REPORT }}>
        no utilisation reported
      </span>
    );
  }
  return (
    <span className="share" style={{ background: heat(group.utilized / group.reporting) }}>
      {percent(group.utilized, group.reporting)} utilised
      {group.reporting < group.gpus && ` (${group.reporting} of ${group.gpus} GPUs report)`}
    </span>
  );
}

function NodeRow({ node, mode }: { node: NodeView; mode: HeatMode }) {
  const silent = mode === 'utilization' && node.gpus.length > 0 && node.utilization === undefined;
  return (
    <div className="node" data-testid="node" data-node={node.name}>
      <div className="node-name">
        <strong>{node.name}</strong>
        <small>
          {node.cluster} · <span className={`state ${node.state}`}>{node.state}</span>
          {node.simulated && <span className="badge sim">simulated</span>}
        </small>
      </div>
      <div className="gpus">
        {node.gpus.length === 0 ? (
          <span className="muted">no accelerators</span>
        ) : (
          node.gpus.map((gpu) => <GpuCellView key={gpu.index} gpu={gpu} mode={mode} />)
        )}
        {silent && (
          <span className="muted no-report" data-testid="no-utilization">
            no utilisation reported
          </span>
        )}
        {mode === 'utilization' && node.simulated && node.utilization !== undefined && (
          <span className="muted no-report" data-testid="synthetic-utilization">
            synthetic utilisation (simulated node)
          </span>
        )}
      </div>
    </div>
  );
}

function Legend({ mode }: { mode: HeatMode }) {
  return mode === 'allocation' ? (
    <p className="legend">
      Each square is a GPU coloured by its booked share{' '}
      <span className="swatch" style={{ background: heat(0) }} /> free →{' '}
      <span className="swatch" style={{ background: heat(1) }} /> fully booked; a GPU in MIG mode shows its
      instances along its 8 memory slices. The strips above each group draw one square per node.
    </p>
  ) : (
    <p className="legend">
      Each square is a GPU coloured by the utilisation its node reports{' '}
      <span className="swatch" style={{ background: heat(0) }} /> idle →{' '}
      <span className="swatch" style={{ background: heat(1) }} /> busy;{' '}
      <span className="swatch" style={{ background: NO_REPORT }} /> no utilisation reported (agents report
      nvidia-smi's figures; simulated nodes report a synthetic one while their pods run).
    </p>
  );
}

export function Select(props: {
  label: string;
  value: string;
  values: readonly string[];
  onChange: (value: string) => void;
}) {
  return (
    <label className="select">
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <option value={ALL}>all</option>
        {props.values.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    </label>
  );
}
