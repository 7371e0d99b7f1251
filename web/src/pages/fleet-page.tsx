import { useMemo, useState } from 'react';
import { GpuCellView } from '../components/gpu-cell.js';
import { HeatStrip } from '../components/heat-strip.js';
import { VirtualList } from '../components/virtual-list.js';
import { useFleetData } from '../fleet-data.js';
import { type Aggregate, aggregate, bookings, heat, type NodeView, nodeViews } from '../model/fleet-view.js';
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

  if (!nodes.loaded) return <p className="loading">Loading the fleet…</p>;
  return (
    <section data-testid="fleet-page">
      <div className="toolbar">
        <h2>Fleet</h2>
        <Select label="Site" value={site} onChange={setSite} values={[...sites.items.keys()].sort()} />
        <Select label="Model" value={model} onChange={setModel} values={options.models} />
        <Select label="Tenant" value={tenant} onChange={setTenant} values={options.tenants} />
        <span className="summary" data-testid="fleet-summary">
          {shown.length} nodes · {totalGpus} GPUs · {percent(allocated, totalGpus)} allocated
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
            <span className="share" style={{ background: heat(g.gpus === 0 ? 0 : g.allocated / g.gpus) }}>
              {g.gpus === 0 ? 'no GPUs' : `${percent(g.allocated, g.gpus)} allocated`}
            </span>
          </button>
          <HeatStrip nodes={g.nodes} width={900} />
          {isOpen(g) && (
            <VirtualList
              items={g.nodes}
              rowHeight={NODE_ROW}
              height={LIST_HEIGHT}
              rowKey={(n) => n.name}
              renderRow={(n) => <NodeRow node={n} />}
              testId="node-list"
            />
          )}
        </div>
      ))}
      <Legend />
    </section>
  );
}

function groupKey(g: Aggregate): string {
  return `${g.site}/${g.model}`;
}

function NodeRow({ node }: { node: NodeView }) {
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
          node.gpus.map((gpu) => <GpuCellView key={gpu.index} gpu={gpu} />)
        )}
      </div>
    </div>
  );
}

function Legend() {
  return (
    <p className="legend">
      Each square is a GPU coloured by its booked share{' '}
      <span className="swatch" style={{ background: heat(0) }} /> free →{' '}
      <span className="swatch" style={{ background: heat(1) }} /> fully booked; a GPU in MIG mode shows its
      instances along its 8 memory slices. The strips above each group draw one square per node.
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
