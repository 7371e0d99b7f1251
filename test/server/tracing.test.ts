/**
 * Tracing exports API request spans to the OTLP endpoint the environment names, and nothing
 * without one. The collector is a real HTTP server on loopback that records what it receives.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing } from '../../src/server/tracing.js';
import { startTestPlane, type TestPlane } from '../support/control-plane.js';

let collector: Server;
let endpoint: string;
const received: { path: string; body: string }[] = [];

beforeAll(async () => {
  collector = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ path: request.url ?? '', body });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const address = collector.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => collector.close(resolve));
});

async function withPlane(
  fn: (plane: TestPlane) => Promise<void>,
  options: Parameters<typeof startTestPlane>[0] = {},
): Promise<void> {
  const plane = await startTestPlane(options);
  try {
    await fn(plane);
  } finally {
    await plane.stop();
  }
}

describe('startTracing', () => {
  it('does nothing when no OTLP endpoint is set', async () => {
    expect(await startTracing({})).toBeUndefined();
  });

  it('exports a server span per API request, named by method and route, to OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const stop = await startTracing({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_SERVICE_NAME: 'strata-test',
    });
    expect(stop).toBeDefined();
    await withPlane(async (plane) => {
      expect((await plane.call('GET', '/apis/strata.dev/v1alpha1/nodes')).status).toBe(200);
    });
    await stop!();
    const traces = received.filter((r) => r.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    const body = traces.map((t) => t.body).join('\n');
    expect(body).toContain('GET /apis/strata.dev/v1alpha1/:plural');
    expect(body).toContain('strata-test');
  });

  it('exports a span per admission round (a scheduling cycle)', async () => {
    received.length = 0;
    const stop = await startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
    await withPlane(
      async (plane) => {
        // The admission controller runs a round as soon as it leads, then one per commit or interval.
        await plane.call('POST', '/apis/strata.dev/v1alpha1/queues', {
          body: { apiVersion: 'strata.dev/v1alpha1', kind: 'Queue', metadata: { name: 'traced' }, spec: {} },
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
      { admission: true },
    );
    await stop!();
    const body = received
      .filter((r) => r.path === '/v1/traces')
      .map((t) => t.body)
      .join('\n');
    expect(body).toContain('"admission.round"');
  });
});
