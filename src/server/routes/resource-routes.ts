import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type KindDefinition, kindByPlural } from '../../model/kinds.js';
import { parseLabelSelector } from '../../model/label-selector.js';
import { API_VERSION } from '../../model/object.js';
import { ApiError } from '../api-error.js';
import type { AppContext } from '../app.js';
import { kubernetesTable } from '../table.js';
import { serveWatch } from '../watch-stream.js';

const BASE = `/apis/${API_VERSION}`;

interface Params {
  plural: string;
  project?: string;
  name?: string;
}

type Query = Record<string, string | undefined>;

function resolve(params: Params): { def: KindDefinition; project: string | undefined } {
  const def = kindByPlural(params.plural);
  if (!def) throw ApiError.notFound(`the server does not serve resource type "${params.plural}"`);
  if (params.project !== undefined && def.scope !== 'project') {
    throw ApiError.notFound(`${def.plural} are not project-scoped: use ${BASE}/${def.plural}`);
  }
  if (params.project === undefined && def.scope === 'project' && params.name !== undefined) {
    throw ApiError.notFound(
      `${def.plural} are project-scoped: use ${BASE}/namespaces/{project}/${def.plural}/${params.name}`,
    );
  }
  return { def, project: params.project };
}

/** Parses `limit`: a whole number from 1 to 1000. */
function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined || value === '' || value === '0') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw ApiError.badRequest('limit', 'must be a whole number from 1 to 1000');
  return n;
}

/** The field selectors kubectl sends: metadata.name and metadata.namespace / metadata.project equality. */
function parseFieldSelector(value: string | undefined): { name?: string; project?: string } {
  if (!value) return {};
  const out: { name?: string; project?: string } = {};
  for (const term of value.split(',')) {
    const match = /^(metadata\.name|metadata\.namespace|metadata\.project)==?(.+)$/.exec(term.trim());
    if (!match)
      throw ApiError.badRequest(
        'fieldSelector',
        `unsupported term "${term}": only metadata.name= and metadata.project= are supported`,
      );
    if (match[1] === 'metadata.name') out.name = match[2]!;
    else out.project = match[2]!;
  }
  return out;
}

function wantsTable(request: FastifyRequest): boolean {
  return /as=Table/.test(request.headers.accept ?? '');
}

function isWatch(query: Query): boolean {
  return query.watch === 'true' || query.watch === '1';
}

export function registerResourceRoutes(app: FastifyInstance, ctx: AppContext): void {
  const list = async (
    request: FastifyRequest<{ Params: Params; Querystring: Query }>,
    reply: FastifyReply,
  ) => {
    const { def, project } = resolve(request.params);
    const query = request.query;
    const fields = parseFieldSelector(query.fieldSelector);
    const scopedProject = project ?? fields.project;
    const labelSelector = query.labelSelector ? parseLabelSelector(query.labelSelector) : undefined;
    if (isWatch(query)) {
      return serveWatch(ctx, request, reply, {
        def,
        ...(scopedProject !== undefined && { project: scopedProject }),
        ...(fields.name !== undefined && { name: fields.name }),
        ...(labelSelector !== undefined && { selector: labelSelector }),
      });
    }
    const limit = parseLimit(query.limit);
    const result = await ctx.resources.list(ctx.context(request), def, {
      ...(scopedProject !== undefined && { project: scopedProject }),
      ...(labelSelector !== undefined && { selector: labelSelector }),
      ...(limit !== undefined && { limit }),
      ...(query.continue ? { continue: query.continue } : {}),
    });
    const items =
      fields.name === undefined ? result.items : result.items.filter((o) => o.metadata.name === fields.name);
    ctx.metrics.revision.set(result.revision);
    if (wantsTable(request)) {
      return reply.send(kubernetesTable(def, items, result.revision, ctx.clock.now(), result.continue));
    }
    return reply.send({
      apiVersion: API_VERSION,
      kind: `${def.kind}List`,
      metadata: {
        resourceVersion: String(result.revision),
        ...(result.continue !== undefined && { continue: result.continue }),
      },
      items,
    });
  };

  const get = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply, status?: 'status') => {
    const { def, project } = resolve(request.params);
    const object = await ctx.resources.get(ctx.context(request), def, project, request.params.name!, status);
    if (wantsTable(request)) {
      return reply.send(
        kubernetesTable(def, [object], Number(object.metadata.resourceVersion), ctx.clock.now()),
      );
    }
    return reply.send(object);
  };

  const create = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const { def, project } = resolve(request.params);
    if (def.scope === 'project' && project === undefined) {
      throw ApiError.notFound(
        `${def.plural} are project-scoped: POST to ${BASE}/namespaces/{project}/${def.plural}`,
      );
    }
    const result = await ctx.resources.create(
      ctx.context(request),
      withKind(request.body, def),
      project === undefined ? {} : { project },
    );
    return reply.code(201).header('x-strata-outcome', result.outcome).send(result.object);
  };

  const apply = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const { def, project } = resolve(request.params);
    const result = await ctx.resources.apply(ctx.context(request), withKind(request.body, def), {
      name: request.params.name!,
      ...(project !== undefined && { project }),
    });
    return reply
      .code(result.outcome === 'created' ? 201 : 200)
      .header('x-strata-outcome', result.outcome)
      .send(result.object);
  };

  const updateStatus = async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const { def, project } = resolve(request.params);
    const object = await ctx.resources.updateStatus(
      ctx.context(request),
      def,
      project,
      request.params.name!,
      request.body,
    );
    return reply.send(object);
  };

  const remove = async (
    request: FastifyRequest<{ Params: Params; Querystring: Query }>,
    reply: FastifyReply,
  ) => {
    const { def, project } = resolve(request.params);
    const body = request.body as { preconditions?: { resourceVersion?: unknown } } | undefined;
    const fromBody = body?.preconditions?.resourceVersion;
    const rv = request.query.resourceVersion ?? (typeof fromBody === 'string' ? fromBody : undefined);
    const object = await ctx.resources.delete(ctx.context(request), def, project, request.params.name!, rv);
    return reply.send(object);
  };

  for (const prefix of [BASE, `${BASE}/namespaces/:project`]) {
    app.get(`${prefix}/:plural`, list);
    app.post(`${prefix}/:plural`, create);
    app.get(`${prefix}/:plural/:name`, (req: FastifyRequest<{ Params: Params }>, reply) => get(req, reply));
    app.put(`${prefix}/:plural/:name`, apply);
    app.delete(`${prefix}/:plural/:name`, remove);
    app.get(`${prefix}/:plural/:name/status`, (req: FastifyRequest<{ Params: Params }>, reply) =>
      get(req, reply, 'status'),
    );
    app.put(`${prefix}/:plural/:name/status`, updateStatus);
  }
}

/** A body that leaves out apiVersion and kind gets the URL's, as a convenience for hand-written requests. */
function withKind(body: unknown, def: KindDefinition): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const o = body as Record<string, unknown>;
  // Checked before it is quoted: String() of an object whose toString is not a function throws.
  if (o.kind !== undefined && typeof o.kind !== 'string')
    throw ApiError.badRequest('kind', 'must be a string');
  if (o.kind !== undefined && o.kind !== def.kind) {
    throw ApiError.badRequest('kind', `"${o.kind}" does not match the URL, which serves ${def.kind}`);
  }
  return { apiVersion: o.apiVersion ?? API_VERSION, kind: o.kind ?? def.kind, ...o };
}
