/**
 * The admission shell (issue 5): feeds the pure admission core (scheduling/admission-*.ts) from the
 * store and writes its decisions back to each Workload's status, under the leader's fence.
 *
 * Each round:
 * 1. read the fleet (Sites, Clusters, Nodes, Tenants, Projects), the scheduling config (Queues,
 *    Cohorts, PriorityClasses, ResourceClasses) and the Workloads; specs are parsed with their kind's
 *    schema, so defaults apply and an object that no longer validates is skipped, never trusted. The
 *    objects are listed once (and again only when the event log was compacted past the shell's
 *    revision); later rounds apply the store's events since the last one, so a round parses only
 *    what changed instead of every object of ten kinds;
 * 2. when the fleet or the config changed (a fingerprint of names, generations, labels and node
 *    readiness), rebuild the snapshot, the engine and the admission state from scratch; workloads
 *    the store says are Admitted or Running are then booked again exactly where their status says
 *    (`status.admission.pods`) before anything new is admitted, so nothing is booked twice;
 * 3. reconcile workloads into the state: new ones are submitted, deleted ones withdrawn or finished,
 *    terminal ones (Succeeded, Failed, Preempted, Evicted) finished so their quota and pods free up;
 * 4. run one admission cycle and write each decision whose status changed: Admitted with the pods'
 *    nodes and bindings (verb "admit": the audit record of that write is the admission event, and the
 *    object it digests carries the decision's inputs: queue, class, priority, demand, placement), or
 *    Pending with the reason's kind, the count ahead and the message saying what would make it
 *    admissible. Unchanged statuses are not rewritten.
 *
 * Rounds run every `intervalMs` and shortly after any commit (the store's commit feed), one at a
 * time. A write refused by the fence ends the round: a deposed leader's late decisions never land.
 *
 * Node readiness: the snapshot counts only nodes whose status says Ready. With
 * `assumeUnreportedNodesReady` (set for `strata up --demo`, whose fleet has no agents), a node that
 * never reported a status counts as Ready, and admitted workloads say so in their condition; a node
 * that reported NotReady, Unknown or Draining still does not.
 */
import { performance } from 'node:perf_hooks';
import type { ClusterSpec, NodeSpec, NodeStatus, SiteSpec } from '../model/fleet.js';
import { findKind } from '../model/kinds.js';
import type { ApiObject } from '../model/object.js';
import type {
  CohortSpec,
  PriorityClassSpec,
  QueueSpec,
  ResourceClassSpec,
  WorkloadSpec,
  WorkloadStatus,
} from '../model/scheduling.js';
import type { ProjectSpec, TenantSpec } from '../model/tenancy.js';
import { HOLDING_PHASES, TERMINAL_PHASES, withTransition } from '../model/workload-history.js';
import { admitCycle } from '../scheduling/admission-cycle.js';
import type { Admission } from '../scheduling/admission-decision.js';
import { type PendingReason, pendingMessage } from '../scheduling/admission-pending-reason.js';
import {
  type AdmissionOptions,
  type AdmissionState,
  createAdmissionState,
  finish,
  submit,
  withdraw,
  workloadKey,
} from '../scheduling/admission-state.js';
import { FleetSnapshot } from '../scheduling/fleet-snapshot.js';
import { type Allocation, PlacementEngine } from '../scheduling/placement-engine.js';
import { withSpan } from '../server/tracing.js';
import { FencedError, NotFoundError, RevisionGoneError, StaleVersionError } from '../store/errors.js';
import type { Fence, Store } from '../store/store.js';
import type { Controller } from './controller.js';

export interface AdmissionControllerOptions {
  /** Time between rounds. */
  readonly intervalMs: number;
  /** Least time between the starts of commit-triggered rounds (coalesces bursts of writes). Default 20 ms. */
  readonly debounceMs?: number;
  /** Count nodes that never reported a status as Ready (the demo fleet has no agents). */
  readonly assumeUnreportedNodesReady?: boolean;
  readonly admission?: AdmissionOptions;
  /** Called each time a round runs an admission cycle (not when it skipped one). */
  readonly onCycle?: () => void;
  /** Where a failed round is reported; process warnings by default. */
  readonly onError?: (error: unknown) => void;
}

const SUBJECT = { name: 'system:admission' } as const;
const CONDITION = 'Admitted';

const FLEET_KINDS = ['Site', 'Cluster', 'Node', 'Tenant', 'Project'] as const;
const CONFIG_KINDS = ['Queue', 'Cohort', 'PriorityClass', 'ResourceClass'] as const;
type Kind = (typeof FLEET_KINDS)[number] | (typeof CONFIG_KINDS)[number] | 'Workload';

/** Objects of each kind whose spec parses, with defaults applied. */
type World = Record<Kind, ApiObject[]>;

const KINDS: readonly Kind[] = [...FLEET_KINDS, ...CONFIG_KINDS, 'Workload'];
/** Events (and list items) read per query. */
const BATCH = 1000;
const objectKey = (o: ApiObject) => `${o.metadata.project ?? ''}\u0000${o.metadata.name}`;
/** The store's list order (project, then name), so a round sees the same order after a relist or events. */
const byListOrder = (a: [string, ApiObject], b: [string, ApiObject]) =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;

interface Tracked {
  readonly generation: number;
  /** True once the workload reached a terminal phase: never submitted again. */
  readonly done: boolean;
}

export function admissionController(options: AdmissionControllerOptions): Controller {
  return {
    name: 'admission',
    start({ store, clock, fence }) {
      const shell = new AdmissionShell(store, fence, options);
      let stopped = false;
      let running = false;
      let again = false;
      let debounce: NodeJS.Timeout | undefined;
      let lastRoundMs = Number.NEGATIVE_INFINITY;
      const report = options.onError ?? ((e) => process.emitWarning(`admission round failed: ${String(e)}`));
      // A periodic round always runs its cycle; a commit-triggered one only when the commit changed
      // something admission reads.
      let forced = false;
      const run = async (force: boolean) => {
        if (stopped) return;
        forced ||= force;
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          do {
            again = false;
            const onlyIfChanged = !forced;
            forced = false;
            lastRoundMs = performance.now();
            const outcome = await withSpan(
              'admission.round',
              { 'strata.admission.only_if_changed': onlyIfChanged },
              () => shell.round(clock.now(), onlyIfChanged),
            );
            if (outcome === 'fenced') stopped = true;
          } while (again && !stopped);
        } catch (error) {
          report(error);
        } finally {
          running = false;
        }
      };
      const timer = setInterval(() => void run(true), options.intervalMs);
      timer.unref();
      // Leading edge: a commit after a quiet spell starts a round at once (a lone submission is
      // admitted without waiting); commits within `debounceMs` of the last round's start wait for the
      // rest of it, so a burst still costs at most one round per `debounceMs`.
      const unsubscribe = store.onCommit(() => {
        if (stopped || debounce) return;
        const wait = Math.max(0, lastRoundMs + (options.debounceMs ?? 20) - performance.now());
        debounce = setTimeout(() => {
          debounce = undefined;
          void run(false);
        }, wait);
        debounce.unref();
      });
      void run(true);
      return () => {
        stopped = true;
        clearInterval(timer);
        if (debounce) clearTimeout(debounce);
        unsubscribe();
      };
    },
  };
}

/** The controller's memory between rounds; one per leadership term. */
class AdmissionShell {
  #state: AdmissionState | undefined;
  #fingerprint = '';
  readonly #tracked = new Map<string, Tracked>();
  /** The last reason other than backoff, so a workload in backoff still says what blocks it. */
  readonly #lastReason = new Map<string, PendingReason>();
  #seq = 0;
  /** The objects of each kind whose spec parses, as of `#revision` of the event log. */
  readonly #objects = new Map<Kind, Map<string, ApiObject>>(KINDS.map((k) => [k, new Map()]));
  #revision: number | undefined;
  /** Whether an object changed in a way admission reads since the last round (not a mere heartbeat). */
  #changed = true;

  constructor(
    readonly store: Store,
    readonly fence: Fence,
    readonly options: AdmissionControllerOptions,
  ) {}

  /**
   * One round; 'fenced' when the lease is no longer ours. `onlyIfChanged` (commit-triggered rounds)
   * skips the cycle when nothing admission reads changed since the last round (a node heartbeat);
   * the periodic rounds always run, for what time alone changes (backoff, windows, aging).
   */
  async round(now: Date, onlyIfChanged = false): Promise<'ok' | 'fenced'> {
    const world = await this.#read();
    if (onlyIfChanged && !this.#changed && this.#state !== undefined) return 'ok';
    this.#changed = false;
    this.options.onCycle?.();
    const fingerprint = fingerprintOf(world, this.options.assumeUnreportedNodesReady ?? false);
    if (this.#state === undefined || fingerprint !== this.#fingerprint) {
      this.#state = this.#build(world);
      this.#fingerprint = fingerprint;
      this.#tracked.clear();
    }
    const state = this.#state;
    const workloads = new Map(world.Workload.map((w) => [workloadKey(w as ApiObject<WorkloadSpec>), w]));

    for (const key of [...this.#tracked.keys()]) {
      if (workloads.has(key)) continue;
      if (!finish(state, key, now)) withdraw(state, key);
      this.#tracked.delete(key);
      this.#lastReason.delete(key);
    }

    // Bookings that exist first, then new work, so a new workload never takes a running one's GPUs.
    const fresh: ApiObject<WorkloadSpec>[] = [];
    const cancels: (() => Promise<unknown>)[] = [];
    for (const [key, w] of workloads) {
      const phase = statusOf(w)?.phase;
      const tracked = this.#tracked.get(key);
      if (phase !== undefined && TERMINAL_PHASES.has(phase)) {
        if (!tracked?.done) {
          if (!finish(state, key, now)) withdraw(state, key);
          this.#tracked.set(key, { generation: w.metadata.generation, done: true });
        }
        continue;
      }
      // Cancelled before it ever held a booking: nothing runs it, so it ends here. (A workload that
      // holds one is ended by the runner of its pods, once they have stopped.)
      if (
        (w.spec as WorkloadSpec).cancelled === true &&
        !(phase !== undefined && HOLDING_PHASES.has(phase))
      ) {
        if (!tracked?.done) {
          if (!finish(state, key, now)) withdraw(state, key);
          this.#tracked.set(key, { generation: w.metadata.generation, done: true });
          this.#lastReason.delete(key);
        }
        cancels.push(() => this.#writeStatus(w, cancelledStatus(w, now), 'update-status'));
        continue;
      }
      const holding = phase !== undefined && HOLDING_PHASES.has(phase);
      if (tracked && !tracked.done && state.admitted.has(key) && !holding) {
        // Another writer took its booking away (node lifecycle requeued it when its node was lost):
        // free the booking and queue it again, whatever its generation.
        finish(state, key, now);
        this.#tracked.delete(key);
      } else if (tracked?.done || tracked?.generation === w.metadata.generation) continue;
      if (tracked && state.admitted.has(key)) {
        // A running workload's spec changed: it keeps its booking until it ends.
        this.#tracked.set(key, { generation: w.metadata.generation, done: false });
        continue;
      }
      if (tracked) withdraw(state, key);
      if (holding && restoreAdmitted(state, w as ApiObject<WorkloadSpec>, now)) {
        this.#tracked.set(key, { generation: w.metadata.generation, done: false });
        continue;
      }
      fresh.push(w as ApiObject<WorkloadSpec>);
    }
    const writes: (() => Promise<unknown>)[] = [];
    for (const w of fresh) {
      const key = workloadKey(w);
      const result = submit(state, w);
      if (result.accepted) {
        this.#tracked.set(key, { generation: w.metadata.generation, done: false });
        continue;
      }
      // Refused (unknown queue, larger than its queue could ever hold): say so; retried next round.
      const pending = {
        queue: w.spec.queue,
        reason: result.reason?.kind ?? 'invalid',
        ahead: 0,
        message: result.message,
        ...(result.reason ? { detail: toRecord(result.reason) } : { detail: { field: result.field } }),
      };
      writes.push(() => this.#writeStatus(w, pendingStatus(w, pending, now), 'update-status'));
    }

    const decisions = admitCycle(state, now);
    // Victims first: the store never shows a victim and its preemptor holding the same GPUs.
    const preempted = new Map((decisions.preempted ?? []).map((p) => [p.victim, p]));
    const evictions: (() => Promise<unknown>)[] = [];
    for (const a of decisions.admitted) {
      const w = workloads.get(a.workload) as ApiObject<WorkloadSpec>;
      this.#lastReason.delete(a.workload);
      const status = admittedStatus(w, a, decisions.at, this.options.assumeUnreportedNodesReady ?? false);
      writes.push(async () => {
        const ok = await this.#writeStatus(w, status, 'admit');
        // The store did not take the admission (the workload changed or went): undo the booking,
        // and look at the workload afresh next round.
        if (!ok) {
          finish(state, a.workload, now);
          this.#tracked.delete(a.workload);
        }
      });
    }
    for (const p of decisions.pending) {
      const w = workloads.get(p.workload) as ApiObject<WorkloadSpec>;
      let reason = p.reason;
      let message = p.message;
      // Backoff is a retry schedule, not a cause: while it lasts the status keeps naming what blocked
      // the workload, unchanged, so retries do not rewrite it (no churn, no audit noise).
      if (reason.kind === 'backoff') {
        const last = this.#lastReason.get(p.workload);
        if (last) {
          message = pendingMessage(last, p.ahead);
          reason = last;
        }
      } else this.#lastReason.set(p.workload, reason);
      const preemption = preempted.get(p.workload);
      const pending = {
        queue: p.queue,
        reason: reason.kind,
        ahead: p.ahead,
        message,
        detail: { ...toRecord(reason), ...(preemption && { preemption: toRecord(preemption) }) },
      };
      if (preemption) {
        // The preemption's audit event: verb "preempt", and the status it digests holds the decision's
        // inputs in detail.preemption (both queues, priorities and shares, the mode, the rule, the
        // GPU-seconds lost).
        evictions.push(() => this.#writeStatus(w, pendingStatus(w, pending, now, true), 'preempt'));
        continue;
      }
      writes.push(() => this.#writeStatus(w, pendingStatus(w, pending, now), 'update-status'));
    }
    try {
      for (const write of [...evictions, ...writes, ...cancels]) await write();
    } catch (error) {
      // Decisions booked in memory but not stored must not linger: rebuild from the store next round.
      this.#state = undefined;
      if (error instanceof FencedError) return 'fenced';
      throw error;
    }
    return 'ok';
  }

  async #read(): Promise<World> {
    await this.#follow();
    const world = {} as World;
    for (const kind of KINDS) {
      world[kind] = [...this.#objects.get(kind)!].sort(byListOrder).map(([, o]) => o);
    }
    // A workload's pods belong to its project's tenant (isolation, allowed jurisdictions).
    const tenantOf = new Map(world.Project.map((p) => [p.metadata.name, p.metadata.tenant]));
    world.Workload = world.Workload.map((w) => {
      const tenant = w.metadata.tenant ?? (w.metadata.project ? tenantOf.get(w.metadata.project) : undefined);
      return tenant === undefined || w.metadata.tenant !== undefined
        ? w
        : { ...w, metadata: { ...w.metadata, tenant } };
    });
    return world;
  }

  /** Brings the objects up to the event log's head; lists everything at first and when the log is gone. */
  async #follow(): Promise<void> {
    if (this.#revision !== undefined) {
      try {
        for (;;) {
          const events = await this.store.events(this.#revision, BATCH);
          for (const e of events) {
            this.#revision = e.revision;
            this.#apply(e.object, e.type === 'DELETED');
          }
          if (events.length < BATCH) return;
        }
      } catch (error) {
        if (!(error instanceof RevisionGoneError)) throw error;
      }
    }
    for (const objects of this.#objects.values()) objects.clear();
    let first: number | undefined;
    for (const kind of KINDS) {
      let cont: string | undefined;
      do {
        const page = await this.store.list({ kind, limit: BATCH, ...(cont ? { continue: cont } : {}) });
        first ??= page.revision;
        for (const o of page.items) this.#apply(o, false);
        cont = page.continue;
      } while (cont);
    }
    // Lists read after the first may be newer: following the log from the first keeps the newest.
    this.#revision = first;
    await this.#follow();
  }

  /** Keeps the newer of the held object and `o` (a relist may have read ahead of the log). */
  #apply(o: ApiObject, deleted: boolean): void {
    const objects = this.#objects.get(o.kind as Kind);
    if (!objects) return;
    const key = objectKey(o);
    const held = objects.get(key);
    if (held && Number(held.metadata.resourceVersion) > Number(o.metadata.resourceVersion)) return;
    if (!(held && !deleted && onlyHeartbeat(held, o))) this.#changed = true;
    if (deleted) {
      objects.delete(key);
      return;
    }
    // A status write (a heartbeat, a pod report) leaves the spec as it was: keep the parsed one.
    if (held && held.metadata.generation === o.metadata.generation && held.metadata.uid === o.metadata.uid) {
      objects.set(key, { ...o, spec: held.spec });
      return;
    }
    const parsed = findKind(o.kind)!.spec.safeParse(o.spec);
    if (parsed.success) objects.set(key, { ...o, spec: parsed.data });
    else objects.delete(key);
  }

  #build(world: World): AdmissionState {
    const assume = this.options.assumeUnreportedNodesReady ?? false;
    const nodes = (world.Node as ApiObject<NodeSpec, NodeStatus>[]).map((n) =>
      assume && n.status === undefined ? { ...n, status: { state: 'Ready' as const, simulated: true } } : n,
    );
    const snapshot = new FleetSnapshot({
      sites: world.Site as ApiObject<SiteSpec>[],
      clusters: world.Cluster as ApiObject<ClusterSpec>[],
      nodes,
      tenants: world.Tenant as ApiObject<TenantSpec>[],
      projects: world.Project as ApiObject<ProjectSpec>[],
    });
    const byName = <T>(list: ApiObject[]) => new Map(list.map((o) => [o.metadata.name, o.spec as T]));
    return createAdmissionState(
      {
        queues: byName<QueueSpec>(world.Queue),
        cohorts: byName<CohortSpec>(world.Cohort),
        priorityClasses: byName<PriorityClassSpec>(world.PriorityClass),
        resourceClasses: byName<ResourceClassSpec>(world.ResourceClass),
        // Schedules are read in each site's local time and against its tariff.
        sites: byName<SiteSpec>(world.Site),
      },
      new PlacementEngine(snapshot),
      this.options.admission ?? {},
    );
  }

  /** Writes the status unless it is what the store holds already; false when the store refused it. */
  async #writeStatus(w: ApiObject, status: WorkloadStatus, verb: string): Promise<boolean> {
    if (sameStatus(statusOf(w), status)) return true;
    try {
      await this.store.write(
        {
          requestId: `admission-${this.fence.epoch}-${++this.#seq}`,
          subject: SUBJECT,
          verb,
          fence: this.fence,
        },
        (tx) =>
          tx.updateStatus(
            {
              kind: 'Workload',
              name: w.metadata.name,
              ...(w.metadata.project ? { project: w.metadata.project } : {}),
            },
            status,
            w.metadata.resourceVersion,
          ),
      );
      return true;
    } catch (error) {
      if (error instanceof StaleVersionError || error instanceof NotFoundError) return false;
      throw error;
    }
  }
}

/**
 * Books a workload the store says holds its pods exactly where its status says, quota included.
 * False (nothing booked) when the status lacks the placement or the fleet can no longer hold it:
 * the workload is then submitted afresh.
 */
function restoreAdmitted(state: AdmissionState, w: ApiObject<WorkloadSpec>, now: Date): boolean {
  const admission = statusOf(w)?.admission;
  if (!admission) return false;
  const result = submit(state, w);
  if (!result.accepted) return false;
  const queued = state.pending.get(result.key)!;
  const pods = new Map(admission.pods.map((p) => [p.pod, p]));
  const allocations: Allocation[] = [];
  for (const request of queued.gang.pods) {
    const p = pods.get(request.id);
    if (!p) {
      withdraw(state, result.key);
      return false;
    }
    // `created` is not read by restore: it books the instance at the recorded start either way.
    const mig = p.mig && { ...p.mig, created: false };
    allocations.push({
      request,
      binding: {
        node: p.node,
        gpus: p.gpus,
        ...(mig && { mig }),
        ...(p.numa !== undefined && { numa: p.numa }),
      },
    });
  }
  const restored = state.engine.restore(allocations);
  if (restored.conflicts.length > 0) {
    for (const b of restored.restored) state.engine.release(b.pod);
    withdraw(state, result.key);
    return false;
  }
  state.pending.delete(result.key);
  state.ledger.book(result.key, queued.queue, queued.demand);
  const admittedMs = Date.parse(admission.admittedAt);
  state.admitted.set(result.key, {
    ...queued,
    admittedMs: Number.isNaN(admittedMs) ? now.getTime() : admittedMs,
    pods: restored.restored.map((b) => b.pod),
    nodes: restored.restored.map((b) => b.node),
    allocations: restored.restored.map((binding, i) => ({ request: queued.gang.pods[i]!, binding })),
  });
  return true;
}

/** A Node whose spec, labels and readiness are as they were: only its heartbeat or power moved. */
function onlyHeartbeat(held: ApiObject, next: ApiObject): boolean {
  if (next.kind !== 'Node' || held.metadata.generation !== next.metadata.generation) return false;
  const state = (o: ApiObject) => (o.status as NodeStatus | undefined)?.state;
  return (
    state(held) === state(next) &&
    JSON.stringify(held.metadata.labels ?? {}) === JSON.stringify(next.metadata.labels ?? {})
  );
}

function statusOf(w: ApiObject): WorkloadStatus | undefined {
  return w.status as WorkloadStatus | undefined;
}

/** The condition, keeping its transition time when neither its status nor its reason changed. */
function condition(
  w: ApiObject,
  status: 'True' | 'False',
  reason: string,
  message: string,
  now: string,
): NonNullable<WorkloadStatus['conditions']>[number] {
  const old = statusOf(w)?.conditions?.find((c) => c.type === CONDITION);
  const since = old && old.status === status && old.reason === reason ? old.lastTransitionTime : now;
  return {
    type: CONDITION,
    status,
    reason,
    message,
    ...(since !== undefined && { lastTransitionTime: since }),
  };
}

function otherConditions(w: ApiObject): NonNullable<WorkloadStatus['conditions']> {
  return (statusOf(w)?.conditions ?? []).filter((c) => c.type !== CONDITION);
}

function admittedStatus(w: ApiObject, a: Admission, at: string, simulatedNodes: boolean): WorkloadStatus {
  const pods = a.placement.pods.map((p) => ({
    pod: p.pod,
    node: p.node,
    gpus: [...p.binding.gpus],
    ...(p.binding.mig && {
      mig: { gpu: p.binding.mig.gpu, profile: p.binding.mig.profile, start: p.binding.mig.start },
    }),
    numa: p.binding.numa,
  }));
  const nodes = [...new Set(pods.map((p) => p.node))];
  const message =
    `admitted by queue ${a.queue}${a.resourceClass ? ` (class ${a.resourceClass})` : ''} ` +
    `on ${nodes.join(', ')}${simulatedNodes ? ' (demo: nodes without an agent are simulated Ready)' : ''}`;
  return withTransition(
    statusOf(w),
    {
      phase: 'Admitted',
      message,
      admission: {
        queue: a.queue,
        ...(a.resourceClass !== undefined && { resourceClass: a.resourceClass }),
        priority: a.priority,
        demand: { ...a.demand },
        admittedAt: at,
        pods,
      },
      conditions: [...otherConditions(w), condition(w, 'True', 'QuotaReservedAndPlaced', message, at)],
    },
    at,
    'QuotaReservedAndPlaced',
  );
}

/** Pending with its reason; `preempted` counts a requeue (a running workload sent back to its queue). */
function pendingStatus(
  w: ApiObject,
  pending: NonNullable<WorkloadStatus['pending']>,
  now: Date,
  preempted = false,
): WorkloadStatus {
  const previous = statusOf(w);
  const code = reasonCode(pending.reason);
  return withTransition(
    previous,
    {
      phase: 'Pending',
      message: pending.message,
      pending,
      ...(preempted && { requeues: (previous?.requeues ?? 0) + 1 }),
      conditions: [...otherConditions(w), condition(w, 'False', code, pending.message, now.toISOString())],
    },
    now.toISOString(),
    preempted ? 'Preempted' : code,
  );
}

/** Cancelled while waiting in its queue. */
function cancelledStatus(w: ApiObject, now: Date): WorkloadStatus {
  const at = now.toISOString();
  const message = 'cancelled before it was admitted';
  return withTransition(
    statusOf(w),
    {
      phase: 'Cancelled',
      reason: 'Cancelled',
      message,
      finishedAt: at,
      conditions: [...otherConditions(w), condition(w, 'False', 'Cancelled', message, at)],
    },
    at,
    'Cancelled',
  );
}

/** "cohort-borrowing-limit" → "CohortBorrowingLimit", the usual shape of a condition reason. */
function reasonCode(kind: string): string {
  return kind.replace(/(^|-)([a-z])/g, (_, _d: string, c: string) => c.toUpperCase());
}

function toRecord(reason: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(reason)) as Record<string, unknown>;
}

function sameStatus(a: WorkloadStatus | undefined, b: WorkloadStatus): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/** What the state is built from: a change here means rebuild. */
function fingerprintOf(world: World, assumeReady: boolean): string {
  const parts: string[] = [];
  for (const kind of [...FLEET_KINDS, ...CONFIG_KINDS]) {
    for (const o of world[kind]) {
      const m = o.metadata;
      let ready = '';
      if (kind === 'Node') {
        const state = (o.status as NodeStatus | undefined)?.state;
        ready = state === 'Ready' || (state === undefined && assumeReady) ? 'R' : 'N';
      }
      parts.push(
        `${kind}/${m.project ?? ''}/${m.name}@${m.generation}:${m.tenant ?? ''}:${ready}:${JSON.stringify(m.labels ?? {})}`,
      );
    }
  }
  return parts.sort().join('\n');
}
