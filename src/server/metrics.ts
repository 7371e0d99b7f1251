import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { FleetGauges } from './fleet-gauges.js';

/** The Prometheus metrics of one API server; a registry per server so several can share a process (tests). */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'strata_http_requests_total',
    help: 'HTTP requests by method, route and status code.',
    labelNames: ['method', 'route', 'code'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'strata_http_request_duration_seconds',
    help: 'HTTP request latency by method and route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  readonly revision = new Gauge({
    name: 'strata_store_revision',
    help: 'The newest store revision this server has seen.',
    registers: [this.registry],
  });
  readonly watches = new Gauge({
    name: 'strata_watch_streams',
    help: 'Open watch streams.',
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'strata_leader',
    help: '1 while this replica holds the controllers lease and runs the leader-only controllers.',
    registers: [this.registry],
  });
  readonly auditDenials = new Counter({
    name: 'strata_audit_denied_total',
    help: 'Requests refused and recorded in the audit trail.',
    registers: [this.registry],
  });

  // Scheduling outcomes, counted from the committed Workload changes every replica sees
  // (src/server/fleet-metrics.ts): each replica reports the whole cluster's, so aggregate
  // across replicas with max(), not sum().
  readonly placementDecisions = new Counter({
    name: 'strata_placement_decisions_total',
    help: 'Workloads admitted and placed (each admission of a workload counts once); rate() gives decisions per second.',
    registers: [this.registry],
  });
  readonly preemptions = new Counter({
    name: 'strata_preemptions_total',
    help: 'Workloads preempted (phase Preempted).',
    registers: [this.registry],
  });
  readonly admissionLatency = new Histogram({
    name: 'strata_admission_latency_seconds',
    help: 'Time from a workload entering Pending (its creation, or its last requeue) to its admission.',
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400],
    registers: [this.registry],
  });

  #fleet: () => FleetGauges | undefined = () => undefined;

  readonly gpuAllocation = this.#fleetGauge(
    'strata_gpu_allocation_ratio',
    'Booked share of the GPUs (0-1) per site and model; a MIG GPU counts its booked memory slices / 8.',
    ['site', 'model'],
    (fleet, set) => {
      for (const g of fleet.bySiteModel)
        set({ site: g.site, model: g.model }, g.gpus === 0 ? 0 : g.allocated / g.gpus);
    },
  );
  readonly gpuFragmentation = this.#fleetGauge(
    'strata_gpu_fragmentation_ratio',
    'Share (0-1) of the free GPUs that sit on nodes with fewer free GPUs than the typical request (the most common whole-GPU count per pod), per site and model.',
    ['site', 'model'],
    (fleet, set) => {
      for (const g of fleet.bySiteModel)
        set({ site: g.site, model: g.model }, g.free === 0 ? 0 : g.stranded / g.free);
    },
  );
  readonly gpuUtilization = this.#fleetGauge(
    'strata_gpu_utilization_ratio',
    'Mean utilisation (0-1) of the GPUs whose node reports one (Node status.accelerators), per site and model; no sample where no GPU reports.',
    ['site', 'model'],
    (fleet, set) => {
      for (const g of fleet.bySiteModel) {
        if (g.reporting > 0) set({ site: g.site, model: g.model }, g.utilization / g.reporting);
      }
    },
  );
  readonly gpuTypicalRequest = this.#fleetGauge(
    'strata_gpu_typical_request_gpus',
    'The typical request the fragmentation ratio is measured against: the most common whole-GPU count per pod.',
    [],
    (fleet, set) => set({}, fleet.typicalRequest),
  );
  readonly queuePending = this.#fleetGauge(
    'strata_queue_pending_workloads',
    'Workloads waiting in each queue (phase Pending).',
    ['queue'],
    (fleet, set) => {
      for (const [queue, n] of fleet.pendingByQueue) set({ queue }, n);
    },
  );
  readonly nodes = this.#fleetGauge(
    'strata_nodes',
    'Nodes by state (Ready, NotReady, Unknown, Draining; Unreported when no agent has reported).',
    ['state'],
    (fleet, set) => {
      for (const [state, n] of fleet.nodesByState) set({ state }, n);
    },
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'strata_' });
  }

  /** Where the fleet gauges read from at each scrape (the fleet mirror, once it has loaded). */
  setFleetSource(source: () => FleetGauges): void {
    this.#fleet = source;
  }

  /** A gauge recomputed from the fleet at every scrape; absent series are dropped, not left stale. */
  #fleetGauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (fleet: FleetGauges, set: (labels: Partial<Record<L, string>>, value: number) => void) => void,
  ): Gauge<L> {
    const metrics = this;
    return new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        const fleet = metrics.#fleet();
        if (fleet !== undefined) fill(fleet, (labels, value) => this.set(labels, value));
      },
    });
  }
}
