import { useMemo, useState } from 'react';
import { VirtualList } from '../components/virtual-list.js';
import { useFleetData } from '../fleet-data.js';
import type { Workload } from '../model/objects.js';
import { navigate, UI } from '../route.js';

const ROW = 34;

export function placementOf(w: Workload): string {
  const pods = w.status?.admission?.pods ?? [];
  if (pods.length === 0) return '–';
  return [...new Set(pods.map((p) => p.node))].join(', ');
}

export function WorkloadsPage() {
  const { workloads } = useFleetData();
  const [search, setSearch] = useState('');
  const rows = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return [...workloads.items.values()]
      .filter((w) =>
        needle === ''
          ? true
          : `${w.metadata.project}/${w.metadata.name} ${w.spec.queue} ${w.status?.phase ?? 'Pending'}`
              .toLowerCase()
              .includes(needle),
      )
      .sort(
        (a, b) =>
          (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') ||
          a.metadata.name.localeCompare(b.metadata.name),
      );
  }, [workloads.items, search]);
  if (!workloads.loaded) return <p className="loading">Loading workloads…</p>;
  return (
    <section data-testid="workloads-page">
      <div className="toolbar">
        <h2>Workloads</h2>
        <input
          type="search"
          placeholder="filter by name, project, queue or phase"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <span className="summary">{rows.length} shown</span>
      </div>
      {workloads.error && <p className="error">{workloads.error}</p>}
      <div className="table-head wl-grid">
        <span>Project / name</span>
        <span>Queue</span>
        <span>Phase</span>
        <span>Placement</span>
        <span>Created</span>
      </div>
      <VirtualList
        items={rows}
        rowHeight={ROW}
        height={600}
        rowKey={(w) => `${w.metadata.project}/${w.metadata.name}`}
        testId="workload-list"
        renderRow={(w) => {
          const path = `${UI}/workloads/${w.metadata.project}/${w.metadata.name}`;
          return (
            <a
              className="wl-grid row"
              href={path}
              data-testid="workload-row"
              data-workload={w.metadata.name}
              data-phase={w.status?.phase ?? 'Pending'}
              onClick={(e) => {
                e.preventDefault();
                navigate(path);
              }}
            >
              <span>
                {w.metadata.project}/<strong>{w.metadata.name}</strong>
              </span>
              <span>{w.spec.queue}</span>
              <span className={`phase ${w.status?.phase ?? 'Pending'}`}>{w.status?.phase ?? 'Pending'}</span>
              <span className="ellipsis">{placementOf(w)}</span>
              <span className="muted">{w.metadata.creationTimestamp?.replace('T', ' ').slice(0, 19)}</span>
            </a>
          );
        }}
      />
    </section>
  );
}
