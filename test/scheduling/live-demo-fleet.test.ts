import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ClusterSpec, NodeSpec, NodeStatus, SiteSpec } from '../../src/model/fleet.js';
import { API_VERSION, type ApiObject } from '../../src/model/object.js';
import { parseObject } from '../../src/model/parse-object.js';
import type { WorkloadSpec } from '../../src/model/scheduling.js';
import type { ProjectSpec, TenantSpec } from '../../src/model/tenancy.js';
import { FleetSnapshot } from '../../src/scheduling/fleet-snapshot.js';
import { placeGang } from '../../src/scheduling/gang-placement.js';
import { PlacementEngine } from '../../src/scheduling/placement-engine.js';
import { gangOfWorkload } from '../../src/scheduling/placement-request.js';

const DEMO = fileURLToPath(new URL('../../examples/demo/', import.meta.url));

/** Every demo manifest, validated as the API would, as stored objects (nodes reported Ready). */
function demoObjects(): ApiObject[] {
  const out: ApiObject[] = [];
  for (const file of readdirSync(DEMO).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(DEMO, file), 'utf8')) as { toJS(): unknown }[]) {
      const value = doc.toJS();
      if (value === null || value === undefined) continue;
      const parsed = parseObject(value);
      if (!parsed.ok) throw new Error(`${file}: ${JSON.stringify(parsed.issues)}`);
      const { kind, metadata, spec } = parsed.input;
      out.push({
        apiVersion: API_VERSION,
        kind,
        metadata: {
          ...metadata,
          uid: metadata.name,
          resourceVersion: '1',
          generation: 1,
          creationTimestamp: 'x',
        },
        spec,
        ...(kind === 'Node' ? { status: { state: 'Ready' } } : {}),
      });
    }
  }
  return out;
}

describe('live placement on the demo fleet (examples/demo)', () => {
  const objects = demoObjects();
  const of = <T>(kind: string) => objects.filter((o) => o.kind === kind) as ApiObject<T>[];
  const projects = of<ProjectSpec>('Project');
  const snapshot = new FleetSnapshot({
    sites: of<SiteSpec>('Site'),
    clusters: of<ClusterSpec>('Cluster'),
    nodes: of('Node') as ApiObject<NodeSpec, NodeStatus>[],
    tenants: of<TenantSpec>('Tenant'),
    projects,
  });
  const engine = new PlacementEngine(snapshot);
  const workload = (name: string) => {
    const w = of<WorkloadSpec>('Workload').find((x) => x.metadata.name === name)!;
    const tenant = projects.find((p) => p.metadata.name === w.metadata.project)?.metadata.tenant;
    return gangOfWorkload({ ...w, metadata: { ...w.metadata, ...(tenant ? { tenant } : {}) } });
  };

  it('builds a snapshot of every demo node with its declared MIG instances', () => {
    expect(snapshot.size).toBe(of('Node').length);
    const declared = snapshot.migInstances.reduce((n, list) => n + list.length, 0);
    expect(declared).toBeGreaterThan(0);
  });

  it('the 8-GPU fine-tune gets a whole Frankfurt HGX node, all GPUs on its NVLink domain (EU residency)', () => {
    const d = placeGang(engine, workload('llama-8b-finetune'));
    expect(d.outcome).toBe('placed');
    if (d.outcome !== 'placed') return;
    expect(d.pods[0]!.node).toMatch(/^fra-h100-/);
    expect(d.pods[0]!.binding.gpus).toHaveLength(8);
    engine.release(d.pods[0]!.pod);
  });

  it('the notebook gets a declared 1g.10gb slice of a Paris A100 (EU residency)', () => {
    const d = placeGang(engine, workload('notebook-alice'));
    expect(d.outcome).toBe('placed');
    if (d.outcome !== 'placed') return;
    expect(d.pods[0]!.node).toMatch(/^par-a100-/);
    expect(d.pods[0]!.binding.mig).toMatchObject({ profile: '1g.10gb', created: false });
  });

  it('the hard-isolated globex embeddings share an L4 node only with each other', () => {
    const d = placeGang(engine, workload('nightly-embeddings'));
    expect(d.outcome).toBe('placed');
    if (d.outcome !== 'placed') return;
    for (const p of d.pods) {
      expect(p.node).toMatch(/-l4-/);
      expect(snapshot.unitsOnNode(snapshot.indexOf(p.node))).toEqual({ globex: 2 });
    }
  });
});
