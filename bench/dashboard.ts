/**
 * Dashboard load to interactive and page memory (issue 7), on the demo fleet and on a 5,000-node
 * simulated fleet (src/scheduling/synthetic-fleet.ts: deterministic, no seed needed).
 *
 * A real control plane (HTTPS, SQLite in a temp dir) runs in this process; the system's Chromium
 * (playwright-core, test/e2e/browser.ts) loads the built dashboard (run `npm run build` first).
 * Per fleet, RUNS cold page loads (new browser context each, token already in sessionStorage):
 *
 * - load to interactive: navigation start → the fleet page shows every node in its summary
 *   (every node listed, aggregated and drawn), read from performance.now() in the page;
 * - filter: choosing one site in the Site filter → the summary shows the filtered fleet;
 * - DOM elements with one group's windowed node list open, and JS heap used after a forced GC
 *   (CDP Performance.getMetrics).
 *
 * Medians over the runs are printed, then one JSON line. Usage: npm run bench:dashboard [-- --runs N]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { ApiObject } from '../src/model/object.js';
import { syntheticFleet } from '../src/scheduling/synthetic-fleet.js';
import { type ControlPlane, startControlPlane } from '../src/server/control-plane.js';
import { launchChromium, newContext } from '../test/e2e/browser.js';

const SYNTHETIC_NODES = 5_000;
const WRITE_BATCH = 500;
const runsAt = process.argv.indexOf('--runs');
const runs = runsAt < 0 ? 5 : Number(process.argv[runsAt + 1]);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error('--runs: must be a whole number of page loads, at least 1');
/** The fleet page's summary line, read in the page ("5000 nodes · 40000 GPUs · 0% allocated"). */
const SUMMARY = `document.querySelector('[data-testid="fleet-summary"]')?.textContent`;

interface LoadFigures {
  readonly loadMs: number;
  readonly filterMs: number;
  readonly domElements: number;
  readonly heapMiB: number;
}

// In-page code is passed as strings (this file is type-checked for Node, without the DOM's types),
// which the dashboard's CSP refuses to eval: the bench's browser context bypasses the CSP.
async function measureLoad(browser: Browser, plane: ControlPlane, nodes: number): Promise<LoadFigures> {
  const context = await newContext(browser, { bypassCSP: true });
  await context.addInitScript(
    `sessionStorage.setItem('strata.token', ${JSON.stringify(plane.bootstrap.adminToken)})`,
  );
  const page = await context.newPage();
  await page.goto(`${plane.url}/ui/fleet`);
  await page.waitForFunction(`(${SUMMARY} ?? '').startsWith('${nodes} nodes')`, undefined, {
    polling: 'raf',
    timeout: 120_000,
  });
  const loadMs = await page.evaluate(() => performance.now());
  const before = await page.getByTestId('fleet-summary').textContent();
  const start = await page.evaluate(() => performance.now());
  await page.getByLabel('Site').selectOption({ index: 1 });
  await page.waitForFunction(`${SUMMARY} !== ${JSON.stringify(before)}`, undefined, { polling: 'raf' });
  const filterMs = (await page.evaluate(() => performance.now())) - start;
  // Large fleets open aggregated: open one group's windowed node list before counting the DOM.
  if ((await page.getByTestId('node-list').count()) === 0) {
    await page.getByTestId('site-group').first().locator('button').click();
    await page.getByTestId('node-list').first().waitFor();
  }
  const domElements = await page.evaluate<number>("document.getElementsByTagName('*').length");
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? Number.NaN;
  await context.close();
  return { loadMs, filterMs, domElements, heapMiB: heap / 2 ** 20 };
}

async function measureFleet(browser: Browser, plane: ControlPlane, nodes: number): Promise<LoadFigures> {
  const samples: LoadFigures[] = [];
  for (let i = 0; i < runs; i++) samples.push(await measureLoad(browser, plane, nodes));
  const median = (pick: (f: LoadFigures) => number) => {
    const sorted = samples.map(pick).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  return {
    loadMs: median((f) => f.loadMs),
    filterMs: median((f) => f.filterMs),
    domElements: median((f) => f.domElements),
    heapMiB: median((f) => f.heapMiB),
  };
}

/** Writes the synthetic fleet straight into the store, WRITE_BATCH objects a transaction. */
async function loadSyntheticFleet(plane: ControlPlane): Promise<number> {
  const fleet = syntheticFleet({ nodes: SYNTHETIC_NODES });
  const objects: ApiObject[] = [...fleet.sites, ...fleet.clusters, ...fleet.nodes];
  for (let i = 0; i < objects.length; i += WRITE_BATCH) {
    const batch = objects.slice(i, i + WRITE_BATCH);
    await plane.store.write(
      { requestId: `bench-dashboard-${i}`, subject: { name: 'bench' }, verb: 'create' },
      async (tx) => {
        for (const o of batch) {
          const created = await tx.create({
            kind: o.kind,
            metadata: { name: o.metadata.name, ...(o.metadata.labels && { labels: o.metadata.labels }) },
            spec: o.spec,
          });
          if (o.status !== undefined)
            await tx.updateStatus(
              { kind: o.kind, name: o.metadata.name },
              o.status,
              created.metadata.resourceVersion,
            );
        }
      },
    );
  }
  return fleet.nodes.length;
}

async function withPlane<T>(options: { demo: boolean }, fn: (plane: ControlPlane) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-bench-dashboard-'));
  const plane = await startControlPlane({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    demo: options.demo,
    // The large fleet is measured without controllers reacting to it: the page, not the scheduler.
    admission: options.demo,
    localNode: false,
  });
  try {
    return await fn(plane);
  } finally {
    await plane.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const browser = await launchChromium();
try {
  const demo = await withPlane({ demo: true }, async (plane) => {
    const { items } = await plane.store.list({ kind: 'Node' });
    return { nodes: items.length, ...(await measureFleet(browser, plane, items.length)) };
  });
  const large = await withPlane({ demo: false }, async (plane) => {
    const started = performance.now();
    const nodes = await loadSyntheticFleet(plane);
    const writeMs = performance.now() - started;
    return { nodes, writeMs, ...(await measureFleet(browser, plane, nodes)) };
  });
  const row = (name: string, f: LoadFigures & { nodes: number }) =>
    `${name.padEnd(22)} ${String(f.nodes).padStart(6)} ${f.loadMs.toFixed(0).padStart(10)} ${f.filterMs.toFixed(0).padStart(10)} ${String(f.domElements).padStart(8)} ${f.heapMiB.toFixed(1).padStart(9)}`;
  console.log(`Dashboard load (median of ${runs} cold loads, Chromium headless; ms from navigation start)`);
  console.log(
    `${'fleet'.padEnd(22)} ${'nodes'.padStart(6)} ${'load→ready'.padStart(10)} ${'filter'.padStart(10)} ${'DOM els'.padStart(8)} ${'heap MiB'.padStart(9)}`,
  );
  console.log(row('demo', demo));
  console.log(row('synthetic (5,000)', large));
  console.log(`(5,000 nodes written to the store in ${large.writeMs.toFixed(0)} ms)`);
  console.log(
    JSON.stringify({
      bench: 'dashboard',
      runs,
      demo: {
        nodes: demo.nodes,
        loadToInteractiveMs: Math.round(demo.loadMs),
        filterMs: Math.round(demo.filterMs),
        domElements: demo.domElements,
        jsHeapMiB: Number(demo.heapMiB.toFixed(1)),
      },
      synthetic: {
        nodes: large.nodes,
        loadToInteractiveMs: Math.round(large.loadMs),
        filterMs: Math.round(large.filterMs),
        domElements: large.domElements,
        jsHeapMiB: Number(large.heapMiB.toFixed(1)),
      },
    }),
  );
} finally {
  await browser.close();
}
