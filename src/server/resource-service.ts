import type { AuditObjectRef } from '../governance/audit/audit-event.js';
import {
  authorize,
  coversRules,
  type Decision,
  type GrantScope,
  mayEver,
  type Principal,
  type Target,
} from '../governance/auth/rbac.js';
import { findKind, KINDS, type KindDefinition, ownerTenant } from '../model/kinds.js';
import { type LabelSelector, matchesSelector } from '../model/label-selector.js';
import type { ApiObject, ObjectInput, ObjectKey } from '../model/object.js';
import { parseObject, parseStatus } from '../model/parse-object.js';
import { cohortCycle, REFERENCES } from '../model/references.js';
import type { QueueSpec, ResourceClassSpec, WorkloadSpec } from '../model/scheduling.js';
import type { PolicyRule, RoleBindingSpec, RoleSpec, Verb } from '../model/tenancy.js';
import type { FieldIssue } from '../model/validation.js';
import { capacityShortfalls, type QueueView } from '../model/workload-capacity.js';
import type { Clock } from '../runtime/clock.js';
import type { ListResult, Store, WriteResult, WriteTx } from '../store/store.js';
import type { Access } from './access.js';
import { ApiError } from './api-error.js';
import { markedSecrets, redactSecrets } from './secret-fields.js';

/** Who is asking, for one request. */
export interface RequestContext {
  readonly principal: Principal;
  readonly requestId: string;
}

export interface ListOptions {
  readonly project?: string;
  readonly selector?: LabelSelector;
  readonly limit?: number;
  readonly continue?: string;
}

/** Every kind name RBAC rules can mention: kinds, their status subresources and the pseudo-kinds. */
export const RBAC_KINDS: readonly string[] = [
  ...KINDS.flatMap((k) => [k.kind, `${k.kind}/status`]),
  'Token',
  'AuditEvent',
];

function projectOf(def: KindDefinition, object: { metadata: { name: string; project?: string } }) {
  if (def.scope === 'project') return object.metadata.project;
  return def.kind === 'Project' ? object.metadata.name : undefined;
}

function targetFor(
  def: KindDefinition,
  verb: Verb,
  object: { metadata: { name: string; tenant?: string; project?: string } },
  subresource?: 'status',
): Target {
  const tenant = verb === 'create' && def.tenancy === 'self' ? undefined : ownerTenant(def, object);
  const project = projectOf(def, object);
  return {
    verb,
    kind: subresource ? `${def.kind}/${subresource}` : def.kind,
    tenancy: def.tenancy,
    ...(tenant !== undefined && { tenant }),
    ...(project !== undefined && { project }),
  };
}

function keyFor(def: KindDefinition, project: string | undefined, name: string): ObjectKey {
  return def.scope === 'project' && project !== undefined
    ? { kind: def.kind, project, name }
    : { kind: def.kind, name };
}

function notFound(def: KindDefinition, project: string | undefined, name: string): ApiError {
  return ApiError.notFound(
    project !== undefined && def.scope === 'project'
      ? `${def.singular} "${name}" not found in project ${project}`
      : `${def.singular} "${name}" not found`,
  );
}

/**
 * The rules every read and write of an object goes through, whatever the
 * door (HTTP, the demo loader, bootstrap): authorisation with tenant hiding,
 * validation, references, escalation checks, and the audited store write.
 */
export class ResourceService {
  readonly #store: Store;
  readonly #access: Access;
  readonly #clock: Clock;

  readonly #onDeny: () => void;

  /** `onDeny` is told of every refusal recorded in the audit trail (for the metrics). */
  constructor(store: Store, access: Access, clock: Clock, onDeny: () => void = () => {}) {
    this.#store = store;
    this.#access = access;
    this.#clock = clock;
    this.#onDeny = onDeny;
  }

  /** Records a refused request in the audit trail, then throws the refusal (404 when hidden, else 403). */
  async deny(
    ctx: RequestContext,
    verb: string,
    object: AuditObjectRef,
    decision: Decision & { allowed: false },
    hiddenError: () => ApiError,
  ): Promise<never> {
    const error = decision.hidden ? hiddenError() : new ApiError(403, 'Forbidden', decision.reason);
    await this.#store.appendAudit({
      time: this.#clock.now().toISOString(),
      requestId: ctx.requestId,
      subject: {
        name: ctx.principal.name,
        ...(ctx.principal.tenant !== undefined && { tenant: ctx.principal.tenant }),
      },
      verb,
      object,
      outcome: 'denied',
      code: error.code,
      reason: decision.reason,
    });
    this.#onDeny();
    throw error;
  }

  async #check(
    ctx: RequestContext,
    target: Target,
    ref: AuditObjectRef,
    hiddenError: () => ApiError,
  ): Promise<void> {
    const decision = authorize(ctx.principal, target);
    if (!decision.allowed) await this.deny(ctx, target.verb, ref, decision, hiddenError);
  }

  /** Refuses early, revealing nothing about any object, when no grant anywhere allows the verb on the kind. */
  async #checkKind(ctx: RequestContext, verb: Verb, kind: string, ref: AuditObjectRef): Promise<void> {
    if (!mayEver(ctx.principal, verb, kind)) {
      await this.deny(
        ctx,
        verb,
        ref,
        { allowed: false, hidden: false, reason: `${ctx.principal.name} may not ${verb} ${kind}` },
        () => ApiError.notFound(''),
      );
    }
  }

  /** A project the caller can see, or 404 — the same 404 whether it is missing or another tenant's. */
  async #project(ctx: RequestContext, verb: Verb, name: string): Promise<ApiObject> {
    const project = await this.#store.get({ kind: 'Project', name });
    const missing = () => ApiError.notFound(`project "${name}" not found`);
    if (!project) throw missing();
    const decision = authorize(ctx.principal, {
      verb: 'get',
      kind: 'Project',
      tenancy: 'required',
      tenant: project.metadata.tenant!,
      project: name,
    });
    if (!decision.allowed && decision.hidden) {
      await this.deny(ctx, verb, { kind: 'Project', name }, decision, missing);
    }
    return project;
  }

  async get(
    ctx: RequestContext,
    def: KindDefinition,
    project: string | undefined,
    name: string,
    subresource?: 'status',
  ): Promise<ApiObject> {
    const kind = subresource ? `${def.kind}/${subresource}` : def.kind;
    const ref = { kind: def.kind, name, ...(project !== undefined && { project }) };
    await this.#checkKind(ctx, 'get', kind, ref);
    if (project !== undefined) await this.#project(ctx, 'get', project);
    const object = await this.#store.get(keyFor(def, project, name));
    if (!object) throw notFound(def, project, name);
    await this.#check(ctx, targetFor(def, 'get', object, subresource), ref, () =>
      notFound(def, project, name),
    );
    return this.reader(ctx.principal, def)(object);
  }

  /** The objects of a kind the caller may list, filtered inside the store's paging loop. */
  async list(ctx: RequestContext, def: KindDefinition, options: ListOptions): Promise<ListResult> {
    const ref = { kind: def.kind, ...(options.project !== undefined && { project: options.project }) };
    await this.#checkKind(ctx, 'list', def.kind, ref);
    if (options.project !== undefined) {
      const project = await this.#project(ctx, 'list', options.project);
      await this.#check(
        ctx,
        {
          verb: 'list',
          kind: def.kind,
          tenancy: def.tenancy,
          tenant: project.metadata.tenant!,
          project: options.project,
        },
        ref,
        () => ApiError.notFound(`project "${options.project}" not found`),
      );
    }
    const visible = this.visibility(ctx.principal, def, 'list');
    const { selector } = options;
    const page = await this.#store.list({
      kind: def.kind,
      ...(options.project !== undefined && { project: options.project }),
      filter: (o) => visible(o) && (selector === undefined || matchesSelector(selector, o.metadata.labels)),
      ...(options.limit !== undefined && { limit: options.limit }),
      ...(options.continue !== undefined && { continue: options.continue }),
    });
    return { ...page, items: page.items.map(this.reader(ctx.principal, def)) };
  }

  /** A predicate telling which objects of a kind a principal may read with `verb` (used by lists and watches). */
  visibility(principal: Principal, def: KindDefinition, verb: Verb): (object: ApiObject) => boolean {
    return (object) => authorize(principal, targetFor(def, verb, object)).allowed;
  }

  /**
   * How a principal reads objects of a kind: the kind's secret fields are the redaction marker
   * unless it may update the object (so whoever could replace a credential may also read it, and
   * a cluster admin's `get -o yaml | apply -f -` round-trips). Every object the API returns
   * passes through this, watch events included.
   */
  reader(principal: Principal, def: KindDefinition): (object: ApiObject) => ApiObject {
    if (def.secretFields === undefined || def.secretFields.length === 0) return (object) => object;
    return (object) =>
      authorize(principal, targetFor(def, 'update', object)).allowed ? object : redactSecrets(def, object);
  }

  async create(ctx: RequestContext, raw: unknown, path: { project?: string } = {}): Promise<WriteResult> {
    const { def, input, what } = await this.#authorizeCreate(ctx, raw, path);
    const lenders = await this.#lendersFor(def, input);
    const object = await this.#write(ctx, 'create', def, async (tx) => {
      await this.#checkReferences(ctx, def, input, what, tx, lenders);
      return tx.create(input);
    });
    return { object: this.reader(ctx.principal, def)(object), outcome: 'created' };
  }

  /**
   * Everything a create checks, without writing: for callers that create the
   * object inside a larger transaction of their own (a token and its binding).
   */
  async authorizeCreate(
    ctx: RequestContext,
    raw: unknown,
    path: { project?: string } = {},
  ): Promise<{ def: KindDefinition; input: ObjectInput }> {
    const { def, input, what } = await this.#authorizeCreate(ctx, raw, path);
    await this.#checkReferences(ctx, def, input, what, this.#store, await this.#lendersFor(def, input));
    return { def, input };
  }

  async #authorizeCreate(
    ctx: RequestContext,
    raw: unknown,
    path: { project?: string },
  ): Promise<{ def: KindDefinition; input: ObjectInput; what: string }> {
    const prepared = await this.#prepare(ctx, raw, path);
    const { def, input } = prepared;
    await this.#check(ctx, targetFor(def, 'create', input), auditRef(def, input), () =>
      this.#hiddenTenant(input),
    );
    await this.#checkEscalation(ctx, def, input);
    return prepared;
  }

  /** Create-or-update (HTTP PUT, `strata apply`): reports created, configured or unchanged. */
  async apply(
    ctx: RequestContext,
    raw: unknown,
    path: { project?: string; name?: string } = {},
  ): Promise<WriteResult> {
    const { def, input, what } = await this.#prepare(ctx, raw, path);
    const ref = auditRef(def, input);
    const existing = await this.#store.get(keyFor(def, input.metadata.project, input.metadata.name));
    // An object the caller may not even see is answered as if it were missing: the
    // create path decides (and only a caller who could create it learns the name is taken).
    const hidden =
      existing !== undefined && isHidden(authorize(ctx.principal, targetFor(def, 'get', existing)));
    if (!existing || hidden) {
      await this.#check(ctx, targetFor(def, 'create', input), ref, () => this.#hiddenTenant(input));
      await this.#checkEscalation(ctx, def, input);
      const lenders = await this.#lendersFor(def, input);
      const object = await this.#write(ctx, 'create', def, async (tx) => {
        await this.#checkReferences(ctx, def, input, what, tx, lenders);
        return tx.create(input);
      });
      return { object: this.reader(ctx.principal, def)(object), outcome: 'created' };
    }
    await this.#check(ctx, targetFor(def, 'update', existing), ref, () =>
      notFound(def, input.metadata.project, input.metadata.name),
    );
    if (existing.metadata.tenant !== input.metadata.tenant) {
      throw ApiError.invalid(`${def.kind} ${input.metadata.name}`, [
        {
          field: def.kind === 'RoleBinding' ? 'spec.scope.tenant' : 'metadata.tenant',
          message: `an object cannot move between tenants (stored: ${existing.metadata.tenant ?? 'none'})`,
        },
      ]);
    }
    if (
      def.kind === 'Workload' &&
      (existing.spec as WorkloadSpec).cancelled === true &&
      (input.spec as WorkloadSpec).cancelled !== true
    ) {
      throw ApiError.invalid(`${def.kind} ${input.metadata.name}`, [
        { field: 'spec.cancelled', message: 'a cancelled workload cannot be un-cancelled; submit a new one' },
      ]);
    }
    await this.#checkEscalation(ctx, def, input);
    const lenders = await this.#lendersFor(def, input);
    const result = await this.#write(ctx, 'update', def, async (tx) => {
      await this.#checkReferences(ctx, def, input, what, tx, lenders);
      return tx.update(input);
    });
    return { ...result, object: this.reader(ctx.principal, def)(result.object) };
  }

  async updateStatus(
    ctx: RequestContext,
    def: KindDefinition,
    project: string | undefined,
    name: string,
    raw: unknown,
  ): Promise<ApiObject> {
    const existing = await this.get(ctx, def, project, name, 'status');
    await this.#check(ctx, targetFor(def, 'update', existing, 'status'), auditRef(def, existing), () =>
      notFound(def, project, name),
    );
    const body = (typeof raw === 'object' && raw !== null ? raw : {}) as {
      status?: unknown;
      metadata?: { resourceVersion?: unknown };
    };
    const parsed = parseStatus(def, body.status);
    if (!parsed.ok) throw ApiError.invalid(`status of ${def.kind} ${name}`, parsed.issues);
    const rv = body.metadata?.resourceVersion;
    if (rv !== undefined && typeof rv !== 'string')
      throw ApiError.badRequest('metadata.resourceVersion', 'must be a string');
    const updated = await this.#write(ctx, 'update-status', def, (tx) =>
      tx.updateStatus(keyFor(def, project, name), parsed.status, rv),
    );
    return this.reader(ctx.principal, def)(updated);
  }

  async delete(
    ctx: RequestContext,
    def: KindDefinition,
    project: string | undefined,
    name: string,
    resourceVersion?: string,
  ): Promise<ApiObject> {
    const ref = { kind: def.kind, name, ...(project !== undefined && { project }) };
    await this.#checkKind(ctx, 'delete', def.kind, ref);
    if (project !== undefined) await this.#project(ctx, 'delete', project);
    const existing = await this.#store.get(keyFor(def, project, name));
    if (!existing) throw notFound(def, project, name);
    await this.#check(ctx, targetFor(def, 'delete', existing), auditRef(def, existing), () =>
      notFound(def, project, name),
    );
    await this.#checkDependents(def, existing);
    const deleted = await this.#write(ctx, 'delete', def, (tx) =>
      tx.delete(keyFor(def, project, name), resourceVersion),
    );
    return this.reader(ctx.principal, def)(deleted);
  }

  async #write<T>(
    ctx: RequestContext,
    verb: string,
    def: KindDefinition,
    fn: (tx: WriteTx) => Promise<T>,
  ): Promise<T> {
    const result = await this.#store.write(
      {
        requestId: ctx.requestId,
        subject: {
          name: ctx.principal.name,
          ...(ctx.principal.tenant !== undefined && { tenant: ctx.principal.tenant }),
        },
        verb,
      },
      fn,
    );
    if (def.kind === 'Role' || def.kind === 'RoleBinding') this.#access.invalidateGrants();
    return result;
  }

  #hiddenTenant(input: ObjectInput): ApiError {
    return ApiError.notFound(`tenant "${input.metadata.tenant}" not found`);
  }

  /** Parses and completes an input: path scope, derived tenant (references are checked in the write). */
  async #prepare(
    ctx: RequestContext,
    raw: unknown,
    path: { project?: string; name?: string },
  ): Promise<{ def: KindDefinition; input: ObjectInput; what: string }> {
    const body = withPathScope(raw, path);
    const what = describeRaw(raw);
    // Before parsing: the marker would otherwise be refused as a malformed value, for the wrong reason.
    const marked = markedSecrets(body);
    if (marked.length > 0) throw ApiError.invalid(what, marked);
    const parsed = parseObject(body);
    if (!parsed.ok) throw ApiError.invalid(what, parsed.issues);
    const { kind: def } = parsed;
    let { input } = parsed;
    const issues: FieldIssue[] = [];
    if (path.project !== undefined && input.metadata.project !== path.project) {
      issues.push({
        field: 'metadata.project',
        message: `does not match the project in the URL (${path.project})`,
      });
    }
    if (path.name !== undefined && input.metadata.name !== path.name) {
      issues.push({ field: 'metadata.name', message: `does not match the name in the URL (${path.name})` });
    }
    if (def.kind === 'RoleBinding') {
      const scope = (input.spec as RoleBindingSpec).scope;
      if (scope.project !== undefined && scope.tenant === undefined) {
        issues.push({ field: 'spec.scope.tenant', message: 'a project scope needs its tenant' });
      }
      if (input.metadata.tenant !== undefined && input.metadata.tenant !== scope.tenant) {
        issues.push({ field: 'metadata.tenant', message: 'must equal spec.scope.tenant (or be omitted)' });
      }
      input = withTenant(input, scope.tenant);
    }
    if (issues.length > 0) throw ApiError.invalid(what, issues);

    if (def.tenancy === 'project') {
      const project = await this.#project(ctx, 'create', input.metadata.project!);
      if (input.metadata.tenant !== undefined && input.metadata.tenant !== project.metadata.tenant) {
        throw ApiError.invalid(what, [
          {
            field: 'metadata.tenant',
            message: `project ${project.metadata.name} belongs to tenant ${project.metadata.tenant}`,
          },
        ]);
      }
      input = withTenant(input, project.metadata.tenant);
    } else if (input.metadata.tenant !== undefined) {
      const tenant = await this.#store.get({ kind: 'Tenant', name: input.metadata.tenant });
      const decision = authorize(ctx.principal, {
        verb: 'get',
        kind: 'Tenant',
        tenancy: 'self',
        tenant: input.metadata.tenant,
      });
      if (!decision.allowed && decision.hidden) {
        await this.deny(ctx, 'create', auditRef(def, input), decision, () => this.#hiddenTenant(input));
      }
      if (!tenant) throw this.#hiddenTenant(input);
    }
    return { def, input, what };
  }

  /**
   * The names a spec refers to exist (and are visible to the caller and in its
   * tenant), a cohort's parent closes no cycle, and a workload could ever fit
   * in its queue. `reader` is the write's own transaction, so a concurrent
   * delete cannot slip between the check and the write; `lenders` (the other
   * queues of the workload's cohort tree, read just before) only bound how much
   * a queue could borrow.
   */
  async #checkReferences(
    ctx: RequestContext,
    def: KindDefinition,
    input: ObjectInput,
    what: string,
    reader: Pick<WriteTx, 'get'>,
    lenders: readonly QueueView[] = [],
  ): Promise<void> {
    const issues: FieldIssue[] = [];
    for (const ref of REFERENCES) {
      if (ref.kind !== def.kind) continue;
      const targetDef = findKind(ref.target)!;
      for (const { field, name } of ref.names(input.spec)) {
        const target = await reader.get({ kind: ref.target, name });
        const visible =
          target !== undefined &&
          authorize(ctx.principal, targetFor(targetDef, 'get', target)).allowed !== false;
        const sameTenant =
          target?.metadata.tenant === undefined || target.metadata.tenant === input.metadata.tenant;
        if (!target || !visible || !sameTenant) {
          issues.push({ field, message: `${targetDef.singular} "${name}" not found` });
        }
      }
    }
    if (def.kind === 'RoleBinding') {
      const { scope } = input.spec as RoleBindingSpec;
      if (scope.project !== undefined) {
        const project = await reader.get({ kind: 'Project', name: scope.project });
        if (!project || project.metadata.tenant !== scope.tenant) {
          issues.push({
            field: 'spec.scope.project',
            message: `project "${scope.project}" not found in tenant ${scope.tenant}`,
          });
        }
      }
    }
    if (def.kind === 'Cohort' && issues.length === 0) {
      const cycle = await cohortCycle(
        reader,
        input.metadata.name,
        (input.spec as { parent?: string }).parent,
      );
      if (cycle !== undefined) {
        issues.push({
          field: 'spec.parent',
          message: `would make the cohort tree a cycle: cohort ${cycle.join(' → ')}`,
        });
      }
    }
    if (def.kind === 'Workload' && issues.length === 0) {
      for (const message of await this.#capacityShortfalls(input, reader, lenders)) {
        issues.push({ field: 'spec.podSets', message });
      }
    }
    if (issues.length > 0) throw ApiError.invalid(what, issues);
  }

  /**
   * Why a workload could never fit in its queue, one message per dimension.
   * Nothing when the queue does not exist yet (the workload waits for it) or
   * belongs to another tenant (its quota is not the caller's to see).
   */
  async #capacityShortfalls(
    input: ObjectInput,
    reader: Pick<WriteTx, 'get'>,
    lenders: readonly QueueView[],
  ): Promise<string[]> {
    const spec = input.spec as WorkloadSpec;
    const queue = await reader.get({ kind: 'Queue', name: spec.queue });
    if (!queue) return [];
    if (queue.metadata.tenant !== undefined && queue.metadata.tenant !== input.metadata.tenant) return [];
    const queueSpec = queue.spec as QueueSpec;
    const resourceClasses = new Map<string, ResourceClassSpec>();
    for (const { resourceClass } of queueSpec.resources) {
      const found = await reader.get({ kind: 'ResourceClass', name: resourceClass });
      if (found) resourceClasses.set(resourceClass, found.spec as ResourceClassSpec);
    }
    return capacityShortfalls(spec, {
      queue: { name: queue.metadata.name, spec: queueSpec },
      resourceClasses,
      lenders: lenders.filter((l) => l.name !== queue.metadata.name),
    }).map((s) => s.message);
  }

  /**
   * For a workload, the other queues under the same root cohort as its queue,
   * which bound how much the queue could ever borrow. Read before the write's
   * transaction (the store's transaction has no list).
   */
  async #lendersFor(def: KindDefinition, input: ObjectInput): Promise<readonly QueueView[]> {
    if (def.kind !== 'Workload') return [];
    const queue = await this.#store.get({ kind: 'Queue', name: (input.spec as WorkloadSpec).queue });
    const cohort = (queue?.spec as QueueSpec | undefined)?.cohort;
    if (cohort === undefined) return [];
    const parents = new Map<string, string | undefined>();
    for (const c of await this.#listAll('Cohort')) {
      parents.set(c.metadata.name, (c.spec as { parent?: string }).parent);
    }
    const rootOf = (name: string): string => {
      const seen = new Set<string>();
      let at = name;
      for (;;) {
        const parent = parents.get(at);
        if (parent === undefined || seen.has(parent)) return at;
        seen.add(at);
        at = parent;
      }
    };
    const root = rootOf(cohort);
    return (await this.#listAll('Queue'))
      .filter((q) => {
        const c = (q.spec as QueueSpec).cohort;
        return c !== undefined && rootOf(c) === root;
      })
      .map((q) => ({ name: q.metadata.name, spec: q.spec as QueueSpec }));
  }

  async #listAll(kind: string): Promise<ApiObject[]> {
    const items: ApiObject[] = [];
    let next: string | undefined;
    do {
      const page = await this.#store.list({ kind, ...(next !== undefined && { continue: next }) });
      items.push(...page.items);
      next = page.continue;
    } while (next !== undefined);
    return items;
  }

  /**
   * No escalation: a binding may grant only what its author already holds in
   * its scope, and a role may hold only rules its author holds in the role's
   * tenant (a role that is already bound grants its new rules at once).
   */
  async #checkEscalation(ctx: RequestContext, def: KindDefinition, input: ObjectInput): Promise<void> {
    let rules: readonly PolicyRule[];
    let scope: GrantScope;
    let what: string;
    if (def.kind === 'RoleBinding') {
      const spec = input.spec as RoleBindingSpec;
      const role = await this.#store.get({ kind: 'Role', name: spec.role });
      if (!role) return;
      rules = (role.spec as RoleSpec).rules;
      scope = scopeOf(spec.scope);
      what = `binding role ${spec.role}`;
    } else if (def.kind === 'Role') {
      rules = (input.spec as RoleSpec).rules;
      scope = scopeOf({ tenant: input.metadata.tenant });
      what = `role ${input.metadata.name}`;
    } else {
      return;
    }
    await this.checkHolds(ctx, rules, scope, what, auditRef(def, input));
  }

  /** Refuses (403, audited) unless the caller holds every rule in `scope`. */
  async checkHolds(
    ctx: RequestContext,
    rules: readonly PolicyRule[],
    scope: GrantScope,
    what: string,
    ref: AuditObjectRef,
  ): Promise<void> {
    const covered = coversRules(ctx.principal, rules, scope, RBAC_KINDS);
    if (!covered.ok) {
      await this.deny(
        ctx,
        'create',
        ref,
        {
          allowed: false,
          hidden: false,
          reason: `${what} would grant "${covered.missing}", which ${ctx.principal.name} does not hold there`,
        },
        () => ApiError.notFound(''),
      );
    }
  }

  async #checkDependents(def: KindDefinition, object: ApiObject): Promise<void> {
    const blockers: string[] = [];
    if (def.kind === 'Tenant') {
      for (const kind of KINDS.filter(
        (k) => k.tenancy === 'required' || k.tenancy === 'optional' || k.tenancy === 'optional-private',
      )) {
        const found = await this.#store.list({ kind: kind.kind, tenant: object.metadata.name, limit: 1 });
        if (found.items.length > 0) blockers.push(`${kind.singular} ${found.items[0]!.metadata.name}`);
      }
    }
    if (def.kind === 'Project') {
      for (const kind of KINDS.filter((k) => k.scope === 'project')) {
        const found = await this.#store.list({ kind: kind.kind, project: object.metadata.name, limit: 1 });
        if (found.items.length > 0) blockers.push(`${kind.singular} ${found.items[0]!.metadata.name}`);
      }
    }
    if (blockers.length > 0) {
      throw new ApiError(
        409,
        'Conflict',
        `${def.singular} ${object.metadata.name} is still in use by ${blockers.join(', ')}; delete those first`,
      );
    }
  }
}

function isHidden(decision: Decision): boolean {
  return !decision.allowed && decision.hidden;
}

function auditRef(
  def: KindDefinition,
  object: { metadata: { name: string; tenant?: string; project?: string } },
): AuditObjectRef {
  const tenant = ownerTenant(def, object);
  return {
    kind: def.kind,
    name: object.metadata.name,
    ...(tenant !== undefined && { tenant }),
    ...(object.metadata.project !== undefined && { project: object.metadata.project }),
  };
}

/** A binding's or role's scope as RBAC sees it. */
export function scopeOf(scope: { tenant?: string | undefined; project?: string | undefined }): GrantScope {
  if (scope.tenant === undefined) return { type: 'cluster' };
  return scope.project === undefined
    ? { type: 'tenant', tenant: scope.tenant }
    : { type: 'project', tenant: scope.tenant, project: scope.project };
}

function withTenant(input: ObjectInput, tenant: string | undefined): ObjectInput {
  const { tenant: _drop, ...rest } = input.metadata;
  return { ...input, metadata: tenant === undefined ? rest : { ...rest, tenant } };
}

/** Fills metadata.project from the URL when the body leaves it out. */
function withPathScope(raw: unknown, path: { project?: string }): unknown {
  if (path.project === undefined || typeof raw !== 'object' || raw === null) return raw;
  const body = raw as { metadata?: unknown };
  if (typeof body.metadata !== 'object' || body.metadata === null) return raw;
  const metadata = body.metadata as { project?: unknown };
  return metadata.project === undefined ? { ...body, metadata: { ...metadata, project: path.project } } : raw;
}

function describeRaw(raw: unknown): string {
  const o = raw as { kind?: unknown; metadata?: { name?: unknown } } | null;
  const kind = typeof o?.kind === 'string' ? o.kind : 'object';
  const name = typeof o?.metadata?.name === 'string' ? ` ${o.metadata.name}` : '';
  return `${kind}${name}`;
}
