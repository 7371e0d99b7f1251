import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'strata_' });
  }
}
