import { useEffect, useState } from 'react';
import { useFleetData } from '../fleet-data.js';

interface SimulationReport {
  /** The directory the report was read from; absent when there is none. */
  readonly source?: string;
  readonly writtenAt?: string;
  readonly summary: readonly Record<string, unknown>[];
  readonly charts: readonly { readonly name: string; readonly svg: string }[];
}

/** The last `strata simulate` report the server can see: allocation curves per policy and the summary. */
export function SimulatorPage() {
  const { client } = useFleetData();
  const [report, setReport] = useState<SimulationReport>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    client
      .json<SimulationReport>('/dashboard/v1/simulation')
      .then(setReport, (e: Error) => setError(e.message));
  }, [client]);
  if (error) return <p className="error">{error}</p>;
  if (!report) return <p className="loading">Loading…</p>;
  if (report.source === undefined) {
    return (
      <section data-testid="simulator-page">
        <h2>Simulator</h2>
        <p>
          No simulation report yet. Run <code>strata simulate --out sim-out</code> in the directory the
          control plane was started from (or in its data dir); its allocation curves appear here.
        </p>
      </section>
    );
  }
  const columns = [...new Set(report.summary.flatMap((r) => Object.keys(r)))];
  return (
    <section data-testid="simulator-page">
      <h2>Simulator</h2>
      <p className="muted">
        Report in {report.source}
        {report.writtenAt && `, written ${report.writtenAt.replace('T', ' ').slice(0, 19)}`}
      </p>
      {report.charts.map((chart) => (
        <figure key={chart.name} className="chart">
          <img
            alt={`allocation curves: ${chart.name}`}
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(chart.svg)}`}
          />
          <figcaption>{chart.name}</figcaption>
        </figure>
      ))}
      {report.summary.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {report.summary.map((row, i) => (
              // Summary rows carry no id of their own; their order is the report's.
              // biome-ignore lint/suspicious/noArrayIndexKey: see above
              <tr key={i}>
                {columns.map((c) => (
                  <td key={c}>{format(row[c])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function format(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
