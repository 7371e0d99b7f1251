/** The API paths a node agent uses. */
import { API_VERSION } from '../../model/object.js';

const BASE = `/apis/${API_VERSION}`;
const seg = encodeURIComponent;

export const apiPaths = {
  cluster: (name: string) => `${BASE}/clusters/${seg(name)}`,
  node: (name: string) => `${BASE}/nodes/${seg(name)}`,
  nodeStatus: (name: string) => `${BASE}/nodes/${seg(name)}/status`,
  workloads: (query: Record<string, string>) => `${BASE}/workloads?${new URLSearchParams(query)}`,
  workload: (project: string, name: string) => `${BASE}/namespaces/${seg(project)}/workloads/${seg(name)}`,
  workloadStatus: (project: string, name: string) =>
    `${BASE}/namespaces/${seg(project)}/workloads/${seg(name)}/status`,
  podLogs: (project: string, workload: string, pod: string, attempt: string) =>
    `/api/v1/projects/${seg(project)}/workloads/${seg(workload)}/logs?${new URLSearchParams({ pod, attempt })}`,
};
