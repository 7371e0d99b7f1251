import { createContext, type ReactNode, useContext, useMemo } from 'react';
import { API, type ApiClient } from './api/client.js';
import { type Collection, useCollection } from './api/use-collection.js';
import type { Cluster, Cohort, Node, Project, Queue, Site, Workload } from './model/objects.js';

/**
 * The collections every page draws from, listed once. Nodes, queues and workloads are kept live
 * by one watch each; sites, clusters, projects and cohorts (set up by platform engineers, rarely changed)
 * are read at sign-in and on a reload, which leaves the browser connections for other requests.
 */
export interface FleetData {
  readonly client: ApiClient;
  readonly whoami: Whoami;
  readonly sites: Collection<Site>;
  readonly clusters: Collection<Cluster>;
  readonly nodes: Collection<Node>;
  readonly projects: Collection<Project>;
  readonly queues: Collection<Queue>;
  readonly cohorts: Collection<Cohort>;
  readonly workloads: Collection<Workload>;
  readonly tenantOf: (project: string) => string | undefined;
}

export interface Whoami {
  readonly subject: string;
  readonly tenant?: string;
  readonly project?: string;
}

const Context = createContext<FleetData | undefined>(undefined);

export function FleetDataProvider(props: { client: ApiClient; whoami: Whoami; children: ReactNode }) {
  const { client, whoami } = props;
  const sites = useCollection<Site>(client, `${API}/sites`, false);
  const clusters = useCollection<Cluster>(client, `${API}/clusters`, false);
  const nodes = useCollection<Node>(client, `${API}/nodes`, true);
  const projects = useCollection<Project>(client, `${API}/projects`, false);
  const queues = useCollection<Queue>(client, `${API}/queues`, true);
  const cohorts = useCollection<Cohort>(client, `${API}/cohorts`, false);
  const workloads = useCollection<Workload>(client, `${API}/workloads`, true);
  const tenantOf = useMemo(() => {
    const byProject = new Map<string, string | undefined>();
    for (const p of projects.items.values()) byProject.set(p.metadata.name, p.metadata.tenant);
    return (project: string) => byProject.get(project);
  }, [projects.items]);
  const value = { client, whoami, sites, clusters, nodes, projects, queues, cohorts, workloads, tenantOf };
  return <Context.Provider value={value}>{props.children}</Context.Provider>;
}

export function useFleetData(): FleetData {
  const data = useContext(Context);
  if (!data) throw new Error('useFleetData outside FleetDataProvider');
  return data;
}
