import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { NodeSpec, SiteSpec } from '../../src/model/fleet.js';
import { parseObject } from '../../src/model/parse-object.js';

const DEMO = fileURLToPath(new URL('../../examples/demo/', import.meta.url));

interface Doc {
  readonly file: string;
  readonly index: number;
  readonly value: unknown;
}

const files = readdirSync(DEMO)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function load(): Doc[] {
  const docs: Doc[] = [];
  for (const file of files) {
    const parsed = parseAllDocuments(readFileSync(join(DEMO, file), 'utf8'));
    const all = Array.isArray(parsed) ? parsed : [parsed];
    all.forEach((doc, i) => {
      if (doc.errors.length > 0) {
        throw new Error(`${file} document ${i + 1}: ${doc.errors.map((e) => e.message).join('; ')}`);
      }
      const value = doc.toJS();
      if (value !== null && value !== undefined) docs.push({ file, index: i + 1, value });
    });
  }
  return docs;
}

const docs = load();

const results = docs.map((doc) => ({ ...doc, result: parseObject(doc.value) }));

/** The documents that parse; the test below reports the others field by field. */
const parsed = results.flatMap((r) => (r.result.ok ? [{ ...r, object: r.result.input }] : []));

const ofKind = (kind: string) => parsed.filter((p) => p.object.kind === kind);
const names = (kind: string) => new Set(ofKind(kind).map((p) => p.object.metadata.name));

describe('examples/demo', () => {
  it('is several numbered multi-document YAML files', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const f of files) expect(f).toMatch(/^\d{2}-[a-z0-9-]+\.yaml$/);
  });

  it('every document passes parseObject without issues', () => {
    expect(docs.length).toBeGreaterThan(30);
    const issues = results.flatMap(({ file, index, value, result }) => {
      if (result.ok) return [];
      const name = (value as { metadata?: { name?: string } } | null)?.metadata?.name ?? '?';
      return result.issues.map((i) => `${file} document ${index} (${name}) ${i.field}: ${i.message}`);
    });
    expect(issues, `\n${issues.join('\n')}\n`).toEqual([]);
  });

  it('has no two objects of one kind with the same name and tenant', () => {
    const keys = parsed.map(
      (p) =>
        `${p.object.kind}/${p.object.metadata.tenant ?? ''}/${p.object.metadata.project ?? ''}/${p.object.metadata.name}`,
    );
    expect(keys.length).toBe(new Set(keys).size);
  });

  it('applies in file order: everything referenced is defined in the same or an earlier file', () => {
    const seen = new Map<string, Set<string>>();
    const defined = (kind: string, name: string) => seen.get(kind)?.has(name) ?? false;
    // Within a file the CLI sorts by kind, so a file's own objects count as defined.
    for (const file of files) {
      for (const p of parsed.filter((q) => q.file === file)) {
        const set = seen.get(p.object.kind) ?? new Set<string>();
        set.add(p.object.metadata.name);
        seen.set(p.object.kind, set);
      }
      for (const p of parsed.filter((q) => q.file === file)) {
        const spec = p.object.spec as Record<string, unknown>;
        const where = `${file} ${p.object.kind} ${p.object.metadata.name}`;
        const need: [string, unknown][] = [];
        if (p.object.kind === 'Cluster') need.push(['Site', spec.site]);
        if (p.object.kind === 'Node') need.push(['Cluster', spec.cluster]);
        if (p.object.kind === 'Cohort' && spec.parent) need.push(['Cohort', spec.parent]);
        if (p.object.metadata.tenant) need.push(['Tenant', p.object.metadata.tenant]);
        if (p.object.metadata.project) need.push(['Project', p.object.metadata.project]);
        if (p.object.kind === 'Queue') {
          if (spec.cohort) need.push(['Cohort', spec.cohort]);
          for (const r of spec.resources as { resourceClass: string }[])
            need.push(['ResourceClass', r.resourceClass]);
        }
        if (p.object.kind === 'Workload') {
          need.push(['Queue', spec.queue]);
          if (spec.priorityClass) need.push(['PriorityClass', spec.priorityClass]);
        }
        for (const [kind, name] of need)
          expect(defined(kind, String(name)), `${where} → ${kind} ${name}`).toBe(true);
      }
    }
  });

  it('has 3 sites in 2 jurisdiction regimes', () => {
    const sites = ofKind('Site').map((p) => p.object.spec as SiteSpec);
    expect(sites).toHaveLength(3);
    expect(new Set(sites.map((s) => s.jurisdiction.regime))).toEqual(new Set(['EU', 'US']));
  });

  it('has exactly 8 nodes with 8 x H100 each, one NVLink domain per node and 8 RDMA rails', () => {
    const nodes = ofKind('Node').map((p) => ({
      name: p.object.metadata.name,
      spec: p.object.spec as NodeSpec,
    }));
    const h100 = nodes.filter((n) => n.spec.accelerators.some((a) => a.model === 'H100-SXM-80GB'));
    expect(h100).toHaveLength(8);
    for (const { name, spec } of h100) {
      expect(
        spec.accelerators.filter((a) => a.model === 'H100-SXM-80GB'),
        name,
      ).toHaveLength(8);
      expect(new Set(spec.accelerators.map((a) => a.nvlinkDomain)), name).toEqual(new Set([`${name}-nvl`]));
      const rails = spec.nics.filter((n) => n.rdma && n.speedGbps === 400).map((n) => n.rail);
      expect(new Set(rails).size, name).toBe(8);
    }
  });

  it('has at least one A100 node whose MIG layout mixes 3 or more profiles', () => {
    const mixed = ofKind('Node').filter((p) => {
      const spec = p.object.spec as NodeSpec;
      const a100 = spec.accelerators.filter((a) => a.model === 'A100-SXM-80GB');
      const profiles = new Set(
        a100.flatMap((a) => (a.mig?.mode === 'enabled' ? a.mig.layout : [])).map((i) => i.profile),
      );
      return a100.length > 0 && profiles.size >= 3;
    });
    expect(mixed.length).toBeGreaterThanOrEqual(1);
  });

  it('uses every GPU and MIG uuid once, in nvidia-smi format', () => {
    const hex = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
    const accelerators = ofKind('Node').flatMap((p) => (p.object.spec as NodeSpec).accelerators);
    const gpu = accelerators.map((a) => a.uuid);
    const mig = accelerators.flatMap((a) => a.mig?.layout ?? []).map((i) => i.uuid ?? '');
    for (const u of gpu) expect(u).toMatch(new RegExp(`^GPU-${hex}$`));
    for (const u of mig) expect(u).toMatch(new RegExp(`^MIG-${hex}$`));
    expect(new Set([...gpu, ...mig]).size).toBe(gpu.length + mig.length);
  });

  it('has 2 tenants with their projects', () => {
    expect(names('Tenant')).toEqual(new Set(['acme', 'globex']));
    for (const p of ofKind('Project')) expect(names('Tenant').has(p.object.metadata.tenant ?? '')).toBe(true);
  });
});
