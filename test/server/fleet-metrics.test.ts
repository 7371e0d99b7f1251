/**
 * The fleet metrics on a real control plane with the demo fleet and the admission controller,
 * scraped from /metrics over loopback as Prometheus would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlane, type TestPlane } from '../support/control-plane.js';

let plane: TestPlane;

beforeAll(async () => {
  plane = await startTestPlane({ demo: true, admission: true });
});

afterAll(async () => {
  await plane?.stop();
});

/** One sample's value, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(): Promise<string> {
  const response = await plane.call('GET', '/metrics');
  expect(response.status).toBe(200);
  return response.body as string;
}

/** Scrapes until `ready` holds; the admission controller admits the demo workloads within seconds. */
async function scrapeUntil(ready: (text: string) => boolean): Promise<string> {
  for (let i = 0; ; i++) {
    const text = await scrape();
    if (ready(text) || i === 100) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('/metrics with the demo fleet', () => {
  it('counts the demo admissions as placement decisions, each with an admission latency sample', async () => {
    // llama-8b-finetune, notebook-alice and mistral-7b-eval are admitted at any hour; nightly-embeddings
    // only inside its Paris night window, so the wall clock decides whether it is a fourth.
    const text = await scrapeUntil((t) => (sample(t, 'strata_placement_decisions_total') ?? 0) >= 3);
    const decisions = sample(text, 'strata_placement_decisions_total')!;
    expect(decisions).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'strata_admission_latency_seconds_count')).toBe(decisions);
    expect(sample(text, 'strata_preemptions_total')).toBe(0);
  });

  it('reports the H100 allocation in fra, where llama-8b-finetune holds one 8-GPU node of five', async () => {
    const text = await scrapeUntil(
      (t) => sample(t, 'strata_gpu_allocation_ratio{site="fra",model="H100-SXM-80GB"}') === 8 / 40,
    );
    expect(sample(text, 'strata_gpu_allocation_ratio{site="fra",model="H100-SXM-80GB"}')).toBe(8 / 40);
    expect(sample(text, 'strata_gpu_allocation_ratio{site="iad",model="H100-SXM-80GB"}')).toBe(0);
    const fragmentation = sample(text, 'strata_gpu_fragmentation_ratio{site="par",model="A100-SXM-80GB"}');
    expect(fragmentation).toBeGreaterThanOrEqual(0);
    expect(fragmentation).toBeLessThanOrEqual(1);
  });

  it('reports the synthetic utilisation of the simulated H100s llama-8b-finetune runs on in fra, and no sample where nothing reports', async () => {
    const series = 'strata_gpu_utilization_ratio{site="fra",model="H100-SXM-80GB"}';
    const text = await scrapeUntil((t) => (sample(t, series) ?? 0) > 0);
    // One 8-GPU node of five busy at 55–95%: the mean over the reporting GPUs, the busy node's.
    expect(sample(text, series)).toBeGreaterThanOrEqual(0.55);
    expect(sample(text, series)).toBeLessThanOrEqual(0.95);
    expect(sample(text, 'strata_gpu_utilization_ratio{site="iad",model="H100-SXM-80GB"}')).toBeUndefined();
  });

  it("counts acme-training's waiting workloads (qwen-7b-eval on quota, llama-70b-single-node on placement)", async () => {
    const text = await scrapeUntil(
      (t) => sample(t, 'strata_queue_pending_workloads{queue="acme-training"}') === 2,
    );
    expect(sample(text, 'strata_queue_pending_workloads{queue="acme-training"}')).toBe(2);
    expect(sample(text, 'strata_queue_pending_workloads{queue="shared-training"}')).toBe(0);
  });

  it('counts every demo node by state', async () => {
    const text = await scrape();
    const nodes = (await plane.call('GET', '/apis/strata.dev/v1alpha1/nodes')).body.items.length;
    const byState = text
      .split('\n')
      .filter((l) => l.startsWith('strata_nodes{'))
      .reduce((sum, l) => sum + Number(l.split(' ')[1]), 0);
    expect(byState).toBe(nodes);
  });
});
