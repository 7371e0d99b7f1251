/**
 * The dashboard as its users see it: a real `strata up --demo` child process, the built web app
 * it serves over HTTPS, and the system's Chromium driven by playwright-core (test/e2e/browser.ts).
 * Needs a fresh `npm run build` (the server serves dist/web). Screenshots are kept under
 * test-artifacts/screenshots/. Without Chromium this file fails, saying how to install it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newContext, openPage, screenshot, signIn } from './browser.js';
import { demoDocuments, Sandbox, type UpProcess } from './support.js';

let sandbox: Sandbox;
let up: UpProcess;
let browser: Browser;
let admin: string;
/** A tenant-admin token pinned to the demo's second tenant, globex. */
let globex: string;

beforeAll(async () => {
  browser = await launchChromium();
  sandbox = await Sandbox.create('dashboard');
  up = await sandbox.up({ demo: true });
  admin = (await readFile(join(up.dataDir, 'admin-token'), 'utf8')).trim();
  const created = await sandbox.strata(['token', 'create', '--tenant', 'globex', '--role', 'tenant-admin']);
  if (created.code !== 0) throw new Error(`token create failed: ${created.stderr}`);
  globex = created.stdout.trim();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await sandbox?.dispose();
});

async function adminPage(): Promise<Page> {
  const page = await (await newContext(browser)).newPage();
  await signIn(page, up.url, admin);
  return page;
}

async function applyYaml(name: string, yaml: string): Promise<void> {
  const file = join(sandbox.root, `${name}.yaml`);
  await writeFile(file, yaml);
  const applied = await sandbox.strata(['apply', '-f', file]);
  if (applied.code !== 0) throw new Error(`apply ${name} failed: ${applied.stderr}`);
}

const demoNodes = async () =>
  (await demoDocuments()).filter((d) => d.kind === 'Node').map((d) => (d.metadata as { name: string }).name);

describe('the dashboard served by strata up --demo', () => {
  it('prints its address in the banner and serves the app at / without a token', async () => {
    expect(up.banner).toContain(`dashboard    ${up.url}/`);
    const page = await (await newContext(browser)).newPage();
    const response = await page.goto(up.url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toContain('text/html');
    await expect(page.locator('input[name="token"]').isVisible()).resolves.toBe(true);
    await page.context().close();
  });

  it('refuses a wrong token at sign-in and keeps the user on the sign-in form', async () => {
    const page = await (await newContext(browser)).newPage();
    await page.goto(up.url);
    await page.locator('input[name="token"]').fill('strata_0000_not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Sign-in failed').waitFor();
    await page.context().close();
  });
});

describe('fleet page', () => {
  it("shows every demo site and node, with the A100s' MIG layouts, and marks simulated nodes", async () => {
    const page = await adminPage();
    await page.getByTestId('fleet-page').waitFor();
    const names = await demoNodes();
    await page.locator(`[data-node="${names.at(-1)}"]`).waitFor();
    const sites = await page.getByTestId('site-group').evaluateAll((els) => els.map((e) => e.dataset.site));
    expect(sites).toEqual(expect.arrayContaining(['fra', 'par', 'iad']));
    const shown = await page.getByTestId('node').evaluateAll((els) => els.map((e) => e.dataset.node));
    expect(shown).toEqual(expect.arrayContaining(names));
    const slices = page.locator('[data-node="par-a100-01"] [data-testid="mig-slice"]');
    expect(await slices.count()).toBeGreaterThan(8);
    expect(await slices.first().getAttribute('title')).toMatch(/^\dg\.\d+gb @\d/);
    // The demo's nodes have no agent: the simulated provider runs them, and the page says so.
    expect(await page.locator('[data-node="par-a100-01"] .badge.sim').textContent()).toBe('simulated');
    await screenshot(page, 'fleet');
    await page.context().close();
  });
});

describe('fleet page by utilisation', () => {
  it('colours GPUs by the utilisation their nodes report, and says which nodes report none', async () => {
    const page = await adminPage();
    await page.getByTestId('fleet-page').waitFor();
    await page.getByTestId('heat-mode').getByLabel('utilisation').check();
    // The simulated provider reports a synthetic figure for the GPUs its running pods hold
    // (llama-8b-finetune's 8 H100s in fra); idle nodes report none.
    const busy = page.locator('[data-testid="gpu"][data-utilization]:not([data-utilization="0"])');
    await busy.first().waitFor();
    expect(Number(await busy.first().getAttribute('data-utilization'))).toBeGreaterThanOrEqual(0.55);
    expect(await page.getByTestId('no-utilization').count()).toBeGreaterThan(0);
    // Simulated things say so: the busy twin's figures are marked synthetic.
    expect(await page.getByTestId('synthetic-utilization').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('fleet-summary').textContent()).toMatch(
      /% utilised \(\d+ GPUs reporting\)/,
    );
    await screenshot(page, 'fleet-utilisation');
    await page.context().close();
  });
});

describe('workloads page', () => {
  const name = 'dashboard-notebook';
  const queue = 'dashboard-e2e';

  it('shows a workload submitted with the CLI as pending, then running, live through the watch API', async () => {
    const page = await adminPage();
    const lists: string[] = [];
    page.on('request', (r) => {
      if (/\/workloads\?limit=/.test(r.url())) lists.push(r.url());
    });
    await openPage(page, 'Workloads');
    await page.getByTestId('workload-list').waitFor();
    // Its queue does not exist yet, so it waits (like Kueue) until the queue is created.
    await applyYaml(
      name,
      `apiVersion: strata.dev/v1alpha1
kind: Workload
metadata: { name: ${name}, project: acme-research }
spec:
  queue: ${queue}
  podSets:
    - name: jupyter
      resources:
        cpu: 2
        memory: 8Gi
        accelerators: { migProfile: 1g.10gb, models: [A100-SXM-80GB] }
      command: [jupyter, lab]
`,
    );
    const row = page.locator(`[data-workload="${name}"]`);
    await page.locator(`[data-workload="${name}"][data-phase="Pending"]`).waitFor();
    await screenshot(page, 'workload-pending');

    await applyYaml(
      queue,
      `apiVersion: strata.dev/v1alpha1
kind: Queue
metadata: { name: ${queue}, tenant: acme }
spec:
  resources:
    - resourceClass: a100-mig-1g
      nominal: { migProfiles: { 1g.10gb: 2 } }
    - resourceClass: cpu
      nominal: { cpu: 8, memory: 64Gi }
`,
    );
    // The simulated provider runs the demo's nodes: a pod without `simulation` runs an hour of
    // virtual time (minutes on the demo's clock), so it is still Running when the test looks.
    await page.locator(`[data-workload="${name}"][data-phase="Running"]`).waitFor();
    expect(await row.textContent()).toMatch(/par-a100-0\d/);
    await screenshot(page, 'workload-running');
    // Listed when the page opened, before this test looked; every later change came through the watch.
    expect(lists).toEqual([]);
    await page.context().close();
  });

  it('explains why qwen-7b-eval is pending: blocked by its queue’s 3g.40gb quota', async () => {
    const page = await adminPage();
    await openPage(page, 'Workloads');
    await page.locator('[data-workload="qwen-7b-eval"]').click();
    await page.getByTestId('why-pending').waitFor();
    expect(await page.getByTestId('pending-reason').textContent()).toMatch(/quota/);
    expect(await page.getByTestId('why-pending').textContent()).toContain('3g.40gb');
    await screenshot(page, 'why-pending');
    await page.context().close();
  });
});

describe('workload detail page', () => {
  const name = 'dashboard-hello';

  it("follows a local workload's logs while it runs, then shows its pods' exit and its phase history", async () => {
    const page = await adminPage();
    // Opened before the workload exists: everything after arrives through the watch and the log stream.
    await page.goto(`${up.url}/ui/workloads/default/${name}`);
    await page.getByText(`Workload default/${name} is not visible`).waitFor();
    await applyYaml(
      name,
      `apiVersion: strata.dev/v1alpha1
kind: Workload
metadata: { name: ${name}, project: default }
spec:
  queue: default
  podSets:
    - name: main
      resources: { cpu: 100m, memory: 64Mi }
      command: [sh, -c, "echo hello-from-the-dashboard-test; sleep 3; echo bye-from-the-dashboard-test"]
`,
    );
    const logs = page.getByTestId('logs');
    await logs.getByText('hello-from-the-dashboard-test').waitFor();
    // The first line is on the page while the pod still sleeps: the page follows the stream.
    expect(await page.getByTestId('detail-phase').textContent()).toBe('Running');
    expect(await page.getByTestId('logs-following').isVisible()).toBe(true);
    await logs.getByText('bye-from-the-dashboard-test').waitFor();
    await page.locator('[data-testid="detail-phase"]:text-is("Succeeded")').waitFor();
    const pod = page.locator('[data-testid="pods"] tr[data-pod="main-0"]');
    await page.locator('[data-testid="pods"] tr[data-pod="main-0"][data-pod-phase="Succeeded"]').waitFor();
    expect(await pod.textContent()).toContain('local');
    expect(await pod.getByTestId('exit-code').textContent()).toBe('0');
    expect(await pod.textContent()).toContain('Completed');
    const phases = await page
      .getByTestId('history')
      .locator('li')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-phase')));
    expect(phases).toEqual(expect.arrayContaining(['Admitted', 'Running', 'Succeeded']));
    await page.getByTestId('logs-following').waitFor({ state: 'detached' });
    await screenshot(page, 'workload-detail-logs');
    await page.context().close();
  });
});

describe('queues page', () => {
  it("lists acme-training's pending workloads in queue order with their reasons, and its quota use", async () => {
    const page = await adminPage();
    await openPage(page, 'Queues');
    const card = page.locator('[data-queue="acme-training"]');
    await card.getByText('qwen-7b-eval').waitFor();
    const pending = await card
      .locator('ol.pending > li')
      .evaluateAll((els) => els.map((e) => e.textContent ?? ''));
    const qwen = pending.find((p) => p.includes('qwen-7b-eval'));
    expect(qwen).toMatch(/#\d+ · quota/);
    expect(await card.locator('table.quota').first().textContent()).toMatch(/gpus\d+ \/ 16/);
    await screenshot(page, 'queues');
  });

  it("groups the queues by the cohort tree and shows each one's weighted and fair share of its pool", async () => {
    const page = await adminPage();
    await openPage(page, 'Queues');
    // The demo: cohort research (weight 2) under platform; acme-training weighs 2 in it.
    const card = page.locator(
      '[data-cohort="platform"] [data-cohort="research"] [data-queue="acme-training"]',
    );
    const fair = card.getByTestId('fair-share');
    await fair.waitFor();
    expect(await fair.textContent()).toMatch(/weight 2, 4 with its cohorts/);
    expect(await fair.textContent()).toMatch(/fair share \d+% of pool platform/);
    expect(await page.locator('[data-cohort="platform"] > .queues [data-queue="globex-batch"]').count()).toBe(
      1,
    );
    expect(
      await page.locator('[data-queue="globex-batch"] [data-testid="borrowing"]').first().textContent(),
    ).toContain('no borrowing');
    await screenshot(page, 'queues-fair-share');
    await page.context().close();
  });
});

describe('simulator page', () => {
  it('shows the allocation curves of the last strata simulate report in the data dir', async () => {
    const page = await adminPage();
    await openPage(page, 'Simulator');
    await page.getByText('No simulation report yet').waitFor();
    // A tiny hand-written fleet and pod list (the format of the Alibaba trace), so no trace is needed.
    const nodes = join(sandbox.root, 'sim-nodes.csv');
    const pods = join(sandbox.root, 'sim-pods.csv');
    await writeFile(
      nodes,
      'sn,cpu_milli,memory_mib,gpu,model\nn0,64000,262144,8,V100M32\nn1,32000,131072,2,T4\n',
    );
    await writeFile(
      pods,
      'name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,4000,8192,1,500\np1,8000,16384,1,1000\np2,16000,32768,2,1000\n',
    );
    const out = join(up.dataDir, 'sim-out');
    const simulated = await sandbox.strata([
      'simulate',
      ...['--nodes', nodes, '--pods', pods, '--policy', 'FGD,strata', '--seeds', '42', '--out', out],
    ]);
    expect(simulated.code).toBe(0);
    await page.reload();
    await page.getByRole('img', { name: 'allocation curves: allocation-sim-pods.svg' }).waitFor();
    expect(await page.getByText(`Report in ${out}`).count()).toBe(1);
    await screenshot(page, 'simulator');
    await page.context().close();
  });
});

describe('tenancy', () => {
  it("shows a globex token only globex's workloads, none of acme's", async () => {
    const page = await (await newContext(browser)).newPage();
    await signIn(page, up.url, globex);
    expect(await page.getByTestId('whoami').textContent()).toContain('tenant globex');
    await openPage(page, 'Workloads');
    await page.locator('[data-workload="nightly-embeddings"]').waitFor();
    const rows = await page
      .getByTestId('workload-row')
      .evaluateAll((els) => els.map((e) => e.textContent ?? ''));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.includes('acme'))).toEqual([]);
    await screenshot(page, 'tenant-globex-workloads');
    await page.context().close();
  });

  it('tells a globex token the audit trail is not available to it', async () => {
    const page = await (await newContext(browser)).newPage();
    await signIn(page, up.url, globex);
    await openPage(page, 'Audit');
    await page.getByText('The audit trail is not available to this token').waitFor();
    await page.context().close();
  });
});

describe('audit page', () => {
  it("shows the trail with the server's verdict on its hash chain", async () => {
    const page = await adminPage();
    await openPage(page, 'Audit');
    expect(await page.getByTestId('chain-status').textContent()).toMatch(/^chain verified: \d+ records$/);
    await page.getByPlaceholder('search subject, verb, object, reason').fill('qwen-7b-eval');
    await page.getByText(/^\d+ of \d+ records/).waitFor();
    const rows = await page.getByTestId('audit-list').locator('.row').count();
    expect(rows).toBeGreaterThan(0);
    await screenshot(page, 'audit');
    await page.context().close();
  });

  it('searches by kind and object on the server, then shows a new matching record live, without asking again', async () => {
    const page = await adminPage();
    await openPage(page, 'Audit');
    await page.getByTestId('chain-status').waitFor();
    await page.getByLabel('kind', { exact: true }).fill('queue');
    await page.getByLabel('object', { exact: true }).fill('dashboard-audit-live');
    await page.getByText(/^0 of 0 records match/).waitFor();
    const searches: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/dashboard/v1/audit/search')) searches.push(r.url());
    });
    await applyYaml(
      'dashboard-audit-live',
      `apiVersion: strata.dev/v1alpha1
kind: Queue
metadata: { name: dashboard-audit-live, tenant: acme }
spec: {}
`,
    );
    const row = page.getByTestId('audit-list').locator('.row');
    await page.getByText(/^1 of 1 records match/).waitFor();
    expect(await row.first().textContent()).toMatch(/Queue\/dashboard-audit-live/);
    expect(searches).toEqual([]);
    await screenshot(page, 'audit-live');
    await page.context().close();
  });
});
