import { findAcceleratorModel } from '../hardware/accelerator-models.js';
import { checkMigLayout } from '../hardware/mig.js';
import type { NodeSpec } from './fleet.js';
import { parseBytes } from './quantity.js';
import type { FieldIssue } from './validation.js';

function duplicates<T>(values: readonly T[]): Set<T> {
  const seen = new Set<T>();
  const twice = new Set<T>();
  for (const v of values) (seen.has(v) ? twice : seen).add(v);
  return twice;
}

/** Rules of a Node that need the accelerator catalog or span several fields. */
export function checkNode(spec: NodeSpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const { accelerators, cpu } = spec;
  if (spec.acceleratorSlots !== undefined && accelerators.length > spec.acceleratorSlots) {
    issues.push({
      field: 'spec.accelerators',
      message: `declares ${accelerators.length} accelerators but the node has ${spec.acceleratorSlots} accelerator slots (spec.acceleratorSlots)`,
    });
  }
  const dupIndex = duplicates(accelerators.map((a) => a.index));
  const dupUuid = duplicates(accelerators.map((a) => a.uuid));
  accelerators.forEach((a, i) => {
    const at = `spec.accelerators[${i}]`;
    if (dupIndex.has(a.index))
      issues.push({ field: `${at}.index`, message: `index ${a.index} is used twice` });
    if (dupUuid.has(a.uuid)) issues.push({ field: `${at}.uuid`, message: `uuid ${a.uuid} is used twice` });
    if (a.numaNode >= cpu.numaNodes) {
      issues.push({
        field: `${at}.numaNode`,
        message: `NUMA node ${a.numaNode} does not exist: the node declares ${cpu.numaNodes} (spec.cpu.numaNodes)`,
      });
    }
    const model = findAcceleratorModel(a.model);
    if (!model) {
      issues.push({
        field: `${at}.model`,
        message: `unknown accelerator model "${a.model}"; \`strata catalog\` lists the known models`,
      });
      return;
    }
    if (a.memory !== undefined) {
      const memory = parseBytes(String(a.memory));
      if (memory.ok && memory.value > model.memoryGiB * 2 ** 30 * 1.05) {
        issues.push({
          field: `${at}.memory`,
          message: `${a.memory} exceeds the ${model.memoryGiB} GiB of a ${model.id}`,
        });
      }
    }
    if (a.mig?.mode === 'enabled' && !model.mig) {
      issues.push({ field: `${at}.mig.mode`, message: `${model.id} does not support MIG` });
    } else if (a.mig?.mode === 'enabled') {
      for (const issue of checkMigLayout(model, a.mig.layout)) {
        issues.push({ field: `${at}.mig.layout[${issue.index}].${issue.field}`, message: issue.message });
      }
    } else if (a.mig && a.mig.layout.length > 0) {
      issues.push({ field: `${at}.mig.layout`, message: 'a MIG layout needs mig.mode "enabled"' });
    }
  });
  const dupNic = duplicates(spec.nics.map((n) => n.name));
  spec.nics.forEach((n, i) => {
    if (dupNic.has(n.name))
      issues.push({ field: `spec.nics[${i}].name`, message: `NIC ${n.name} is declared twice` });
    if (n.numaNode >= cpu.numaNodes) {
      issues.push({
        field: `spec.nics[${i}].numaNode`,
        message: `NUMA node ${n.numaNode} does not exist: the node declares ${cpu.numaNodes} (spec.cpu.numaNodes)`,
      });
    }
  });
  return issues;
}
