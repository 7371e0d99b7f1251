/**
 * A FAKE Kubernetes API server, standing in for a live cluster, which these tests cannot reach. It
 * is a real HTTP server (node:http on loopback) that speaks the Kubernetes wire format for exactly
 * the calls the Kubernetes provider makes through the official client:
 *
 *   POST   /apis/batch/v1/namespaces/:ns/jobs            create (201; 409 AlreadyExists)
 *   GET    /apis/batch/v1/namespaces/:ns/jobs?labelSelector=…   list (JobList)
 *   DELETE /apis/batch/v1/namespaces/:ns/jobs/:name?propagationPolicy=…   delete (Status Success)
 *   GET    /api/v1/namespaces/:ns/pods?labelSelector=job-name=…   the pod of an ended Job
 *   POST   /apis/jobset.x-k8s.io/v1alpha2/namespaces/:ns/jobsets        create a JobSet (409)
 *   DELETE /apis/jobset.x-k8s.io/v1alpha2/namespaces/:ns/jobsets/:name  delete it and its Jobs
 *
 * Errors are `kind: Status` bodies as the API server writes them; a wrong bearer token gets 401.
 * Standing in for the JobSet controller, a created JobSet makes one child Job per replica, named
 * `<jobset>-<replicatedJob>-<index>` with the template's labels and annotations plus
 * `jobset.sigs.k8s.io/jobset-name`.
 * There is no kubelet and no Job controller: the fake "runs" a Job by advancing its status on a
 * timer (active, then ready, then succeeded or failed) as the test's `outcome` rule says, and keeps
 * a Job that is `Running` active until it is deleted or the test ends it. Nothing here proves how a real cluster
 * schedules, pulls images or runs containers.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// biome-ignore lint/suspicious/noExplicitAny: a Job as JSON; tests read the fields they care about.
export type JobObject = any;

/** How a Job ends: Complete, Failed (its pod failed), DeadlineExceeded, or Running (until deleted). */
export type JobOutcome = 'Complete' | 'Failed' | 'DeadlineExceeded' | 'Running';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
}

export interface FakeKubeApiServerOptions {
  readonly token?: string;
  /** How a created Job ends; Complete by default. */
  readonly outcome?: (job: JobObject) => JobOutcome;
  /** How the container of an ended Job's pod terminated; by default exit 0 (Complete) or 1 (Failed). */
  readonly terminated?: (job: JobObject) => { exitCode: number; reason: string; message?: string };
  /** Time between two steps of a Job's status; default 20 ms. */
  readonly stepMs?: number;
}

interface StoredJob {
  readonly object: JobObject;
  /** Steps taken: 1 = active, 2 = ready, 3 = finished. */
  steps: number;
  readonly outcome: JobOutcome;
}

const JOBS_PATH = /^\/apis\/batch\/v1\/namespaces\/([a-z0-9-]+)\/jobs(?:\/([a-z0-9.-]+))?$/;
const JOBSETS_PATH =
  /^\/apis\/jobset\.x-k8s\.io\/v1alpha2\/namespaces\/([a-z0-9-]+)\/jobsets(?:\/([a-z0-9.-]+))?$/;
const JOBSET_NAME_LABEL = 'jobset.sigs.k8s.io/jobset-name';
const PODS_PATH = /^\/api\/v1\/namespaces\/([a-z0-9-]+)\/pods$/;

export class FakeKubeApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly #jobs = new Map<string, StoredJob>();
  readonly #jobSets = new Map<string, JobObject>();
  readonly #server: Server;
  readonly #options: FakeKubeApiServerOptions;
  #timer: NodeJS.Timeout | undefined;
  #resourceVersion = 1;

  private constructor(options: FakeKubeApiServerOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => {
      void this.#handle(req, res);
    });
  }

  static async start(options: FakeKubeApiServerOptions = {}): Promise<FakeKubeApiServer> {
    const fake = new FakeKubeApiServer(options);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.#timer = setInterval(() => fake.#step(), options.stepMs ?? 20);
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** The Jobs stored now, in a namespace. */
  jobs(namespace = 'default'): JobObject[] {
    return [...this.#jobs.values()]
      .filter((j) => j.object.metadata.namespace === namespace)
      .map((j) => j.object);
  }

  /** The JobSets stored now, in a namespace. */
  jobSets(namespace = 'default'): JobObject[] {
    return [...this.#jobSets.values()].filter((j) => j.metadata.namespace === namespace);
  }

  /** Ends a Job now, as its outcome says (for a Job the rule keeps Running). */
  end(name: string, outcome: Exclude<JobOutcome, 'Running'>, namespace = 'default'): void {
    const job = this.#jobs.get(`${namespace}/${name}`);
    if (!job) throw new Error(`no Job ${namespace}/${name}`);
    job.steps = 3;
    this.#finish({ ...job, outcome }, new Date().toISOString());
    job.object.metadata.resourceVersion = String(++this.#resourceVersion);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #step(): void {
    for (const job of this.#jobs.values()) {
      if (job.steps >= 3) continue;
      job.steps++;
      const status = job.object.status;
      const now = new Date().toISOString();
      if (job.steps === 1) Object.assign(status, { startTime: now, active: 1, ready: 0 });
      else if (job.steps === 2) status.ready = 1;
      else if (job.outcome === 'Running') job.steps = 2;
      else this.#finish(job, now);
      job.object.metadata.resourceVersion = String(++this.#resourceVersion);
    }
  }

  #finish(job: StoredJob, now: string): void {
    const status = job.object.status;
    Object.assign(status, { active: 0, ready: 0 });
    if (job.outcome === 'Complete') {
      Object.assign(status, { succeeded: 1, completionTime: now });
      status.conditions = [condition('Complete', now)];
      return;
    }
    status.failed = 1;
    status.conditions = [
      job.outcome === 'DeadlineExceeded'
        ? condition('Failed', now, 'DeadlineExceeded', 'Job was active longer than specified deadline')
        : condition('Failed', now, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
    ];
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
    });
    const body = await readBody(req);
    if (this.#options.token !== undefined && req.headers.authorization !== `Bearer ${this.#options.token}`) {
      send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const [, setNamespace, setName] = JOBSETS_PATH.exec(url.pathname) ?? [];
    if (setNamespace !== undefined) {
      this.#handleJobSet(req.method ?? '', res, setNamespace, setName, body);
      return;
    }
    const [, podNamespace] = PODS_PATH.exec(url.pathname) ?? [];
    if (podNamespace !== undefined && req.method === 'GET') {
      this.#listPods(res, podNamespace, url.searchParams);
      return;
    }
    const [, namespace, name] = JOBS_PATH.exec(url.pathname) ?? [];
    if (namespace === undefined) {
      send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    } else if (name === undefined && req.method === 'POST') {
      this.#create(res, namespace, body);
    } else if (name === undefined && req.method === 'GET') {
      this.#list(res, namespace, url.searchParams);
    } else if (name !== undefined && req.method === 'DELETE') {
      this.#delete(res, namespace, name);
    } else {
      send(
        res,
        405,
        status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'),
      );
    }
  }

  #handleJobSet(
    method: string,
    res: ServerResponse,
    namespace: string,
    name: string | undefined,
    body: string,
  ): void {
    if (name === undefined && method === 'POST') {
      const jobSet = JSON.parse(body);
      const key = `${namespace}/${jobSet.metadata.name}`;
      if (this.#jobSets.has(key)) {
        send(
          res,
          409,
          status(409, 'AlreadyExists', `jobsets.jobset.x-k8s.io "${jobSet.metadata.name}" already exists`),
        );
        return;
      }
      const object = { ...jobSet, metadata: { ...jobSet.metadata, namespace, uid: randomUUID() } };
      this.#jobSets.set(key, object);
      for (const replicated of jobSet.spec.replicatedJobs) {
        for (let index = 0; index < (replicated.replicas ?? 1); index++) {
          this.#store(namespace, {
            apiVersion: 'batch/v1',
            kind: 'Job',
            metadata: {
              name: `${jobSet.metadata.name}-${replicated.name}-${index}`,
              labels: { ...replicated.template.metadata?.labels, [JOBSET_NAME_LABEL]: jobSet.metadata.name },
              annotations: { ...replicated.template.metadata?.annotations },
            },
            spec: replicated.template.spec,
          });
        }
      }
      send(res, 201, object);
    } else if (name !== undefined && method === 'DELETE') {
      if (!this.#jobSets.delete(`${namespace}/${name}`)) {
        send(res, 404, status(404, 'NotFound', `jobsets.jobset.x-k8s.io "${name}" not found`));
        return;
      }
      for (const [key, job] of this.#jobs) {
        if (job.object.metadata.labels?.[JOBSET_NAME_LABEL] === name) this.#jobs.delete(key);
      }
      send(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name },
      });
    } else {
      send(
        res,
        405,
        status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'),
      );
    }
  }

  #create(res: ServerResponse, namespace: string, body: string): void {
    let job: JobObject;
    try {
      job = JSON.parse(body);
    } catch {
      send(res, 400, status(400, 'BadRequest', 'the request body is not JSON'));
      return;
    }
    const name = job?.metadata?.name;
    if (typeof name !== 'string' || name === '') {
      send(res, 422, status(422, 'Invalid', 'Job.batch "" is invalid: metadata.name: Required value'));
      return;
    }
    const key = `${namespace}/${name}`;
    if (this.#jobs.has(key)) {
      send(res, 409, status(409, 'AlreadyExists', `jobs.batch "${name}" already exists`, name));
      return;
    }
    send(res, 201, this.#store(namespace, job));
  }

  #store(namespace: string, job: JobObject): JobObject {
    const object = {
      ...job,
      metadata: {
        ...job.metadata,
        namespace,
        uid: randomUUID(),
        resourceVersion: String(++this.#resourceVersion),
        creationTimestamp: new Date().toISOString(),
      },
      status: {},
    };
    this.#jobs.set(`${namespace}/${job.metadata.name}`, {
      object,
      steps: 0,
      outcome: this.#options.outcome?.(object) ?? 'Complete',
    });
    return object;
  }

  #list(res: ServerResponse, namespace: string, query: URLSearchParams): void {
    const selector = parseSelector(query.get('labelSelector') ?? '');
    const items = this.jobs(namespace).filter((job) =>
      selector.every(([key, value]) => job.metadata.labels?.[key] === value),
    );
    send(res, 200, {
      kind: 'JobList',
      apiVersion: 'batch/v1',
      metadata: { resourceVersion: String(this.#resourceVersion) },
      items,
    });
  }

  /**
   * The pod of each ended Job the selector names, as the Job controller labels it, with its
   * container terminated. A Job ended by its deadline has none: the controller deletes its pods.
   */
  #listPods(res: ServerResponse, namespace: string, query: URLSearchParams): void {
    const selector = parseSelector(query.get('labelSelector') ?? '');
    const items = this.jobs(namespace).flatMap((job) => {
      const labels = { 'job-name': job.metadata.name, 'batch.kubernetes.io/job-name': job.metadata.name };
      const ended = job.status.succeeded === 1 || job.status.failed === 1;
      const deadline = job.status.conditions?.some(
        (c: { reason?: string }) => c.reason === 'DeadlineExceeded',
      );
      if (!ended || deadline || !selector.every(([k, v]) => labels[k as keyof typeof labels] === v))
        return [];
      const terminated =
        this.#options.terminated?.(job) ??
        (job.status.succeeded === 1
          ? { exitCode: 0, reason: 'Completed' }
          : { exitCode: 1, reason: 'Error' });
      const container = job.spec.template.spec.containers[0].name;
      return [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `${job.metadata.name}-x7k2p`, namespace, labels },
          status: {
            phase: job.status.succeeded === 1 ? 'Succeeded' : 'Failed',
            containerStatuses: [
              {
                name: container,
                ready: false,
                restartCount: 0,
                image: '',
                imageID: '',
                state: { terminated },
              },
            ],
          },
        },
      ];
    });
    send(res, 200, {
      kind: 'PodList',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(this.#resourceVersion) },
      items,
    });
  }

  #delete(res: ServerResponse, namespace: string, name: string): void {
    const job = this.#jobs.get(`${namespace}/${name}`);
    if (!job) {
      send(res, 404, status(404, 'NotFound', `jobs.batch "${name}" not found`, name));
      return;
    }
    this.#jobs.delete(`${namespace}/${name}`);
    send(res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, group: 'batch', kind: 'jobs', uid: job.object.metadata.uid },
    });
  }
}

function condition(type: string, at: string, reason?: string, message?: string) {
  return {
    type,
    status: 'True',
    lastProbeTime: at,
    lastTransitionTime: at,
    ...(reason !== undefined && { reason }),
    ...(message !== undefined && { message }),
  };
}

/** A `kind: Status` failure body, as the API server writes one. */
function status(code: number, reason: string, message: string, name?: string) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(name !== undefined && { details: { name, group: 'batch', kind: 'jobs' } }),
    code,
  };
}

/** Equality-based selectors (`a=b,c==d`): the only kind the provider sends. */
function parseSelector(selector: string): [string, string][] {
  return selector
    .split(',')
    .filter((part) => part !== '')
    .map((part) => {
      const [key = '', value = ''] = part.split(/==?/);
      return [key.trim(), value.trim()];
    });
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
