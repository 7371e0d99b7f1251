import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { authorize, effectiveGrants, type Target } from '../../governance/auth/rbac.js';
import { issueToken } from '../../governance/auth/tokens.js';
import { name } from '../../model/metadata.js';
import { API_VERSION } from '../../model/object.js';
import { zodIssues } from '../../model/validation.js';
import type { TokenRecord } from '../../store/store.js';
import { ApiError } from '../api-error.js';
import type { AppContext } from '../app.js';

const MAX_TOKEN_LIFETIME_S = 100 * 366 * 24 * 3600;

const createTokenBody = z.strictObject({
  subject: z
    .string()
    .regex(
      /^[a-z0-9]([a-z0-9:._@-]{0,251}[a-z0-9])?$/,
      'must be lowercase letters, digits and ":._@-" (at most 253)',
    )
    .optional(),
  tenant: name.optional(),
  project: name.optional(),
  role: name.optional(),
  description: z.string().max(1024).optional(),
  // Bounded so the expiry is a date: 9e15 s from now is past the last date JavaScript can write.
  expiresInSeconds: z
    .number()
    .int()
    .positive()
    .max(MAX_TOKEN_LIFETIME_S, 'must be at most 100 years')
    .optional(),
});

function tokenTarget(
  verb: 'create' | 'list' | 'delete',
  token: { tenant?: string; project?: string },
): Target {
  if (token.project !== undefined && token.tenant !== undefined) {
    return { verb, kind: 'Token', tenancy: 'project', tenant: token.tenant, project: token.project };
  }
  return token.tenant !== undefined
    ? { verb, kind: 'Token', tenancy: 'required', tenant: token.tenant }
    : { verb, kind: 'Token', tenancy: 'optional-private' };
}

/** Token records as the API shows them: never the secret, never its hash. */
function publicToken(record: TokenRecord) {
  const { secretHash: _secret, ...rest } = record;
  return rest;
}

export function registerAuthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/auth/v1/whoami', async (request) => {
    const { principal } = ctx.context(request);
    return {
      subject: principal.name,
      ...(principal.tenant !== undefined && { tenant: principal.tenant }),
      ...(principal.project !== undefined && { project: principal.project }),
      grants: effectiveGrants(principal).map((g) => ({ role: g.role, binding: g.binding, scope: g.scope })),
    };
  });

  /** Issues a token, and binds a role to its subject in the same transaction when one is named. */
  app.post('/auth/v1/tokens', async (request, reply) => {
    const requestCtx = ctx.context(request);
    const parsed = createTokenBody.safeParse(request.body ?? {});
    if (!parsed.success) throw ApiError.invalid('token request', zodIssues(parsed.error));
    const body = parsed.data;
    if (body.project !== undefined && body.tenant === undefined) {
      throw ApiError.invalid('token request', [
        { field: 'tenant', message: 'a project token needs its tenant' },
      ]);
    }
    const target = tokenTarget('create', body);
    const decision = authorize(requestCtx.principal, target);
    const ref = {
      kind: 'Token',
      ...(body.tenant !== undefined && { tenant: body.tenant }),
      ...(body.project !== undefined && { project: body.project }),
    };
    if (!decision.allowed) {
      await ctx.resources.deny(requestCtx, 'create', ref, decision, () =>
        ApiError.notFound(`tenant "${body.tenant}" not found`),
      );
    }
    if (body.tenant !== undefined && !(await ctx.store.get({ kind: 'Tenant', name: body.tenant }))) {
      throw ApiError.notFound(`tenant "${body.tenant}" not found`);
    }
    if (body.project !== undefined) {
      const project = await ctx.store.get({ kind: 'Project', name: body.project });
      if (!project || project.metadata.tenant !== body.tenant) {
        throw ApiError.invalid('token request', [
          { field: 'project', message: `project "${body.project}" not found in tenant ${body.tenant}` },
        ]);
      }
    }
    if (body.subject !== undefined) {
      // A token for a named subject carries that subject's existing grants (within its pin):
      // the issuer must already hold every one of them, or issuing it would escalate.
      const existing = effectiveGrants({
        name: body.subject,
        ...(body.tenant !== undefined && { tenant: body.tenant }),
        ...(body.project !== undefined && { project: body.project }),
        grants: await ctx.access.grantsOf(body.subject),
      });
      for (const grant of existing) {
        await ctx.resources.checkHolds(
          requestCtx,
          grant.rules,
          grant.scope,
          `a token for ${body.subject} (role ${grant.role})`,
          ref,
        );
      }
    }
    const issued = issueToken();
    const subject = body.subject ?? `token-${issued.id}`;
    const binding =
      body.role === undefined
        ? undefined
        : await ctx.resources.authorizeCreate(requestCtx, {
            apiVersion: API_VERSION,
            kind: 'RoleBinding',
            metadata: { name: `token-${issued.id}`, labels: { 'strata.dev/token': issued.id } },
            spec: {
              role: body.role,
              subjects: [{ kind: 'User', name: subject }],
              scope: {
                ...(body.tenant !== undefined && { tenant: body.tenant }),
                ...(body.project !== undefined && { project: body.project }),
              },
            },
          });
    const now = ctx.clock.now();
    const record: TokenRecord = {
      id: issued.id,
      secretHash: issued.secretHash,
      subject,
      ...(body.tenant !== undefined && { tenant: body.tenant }),
      ...(body.project !== undefined && { project: body.project }),
      ...(body.description !== undefined && { description: body.description }),
      createdAt: now.toISOString(),
      ...(body.expiresInSeconds !== undefined && {
        expiresAt: new Date(now.getTime() + body.expiresInSeconds * 1000).toISOString(),
      }),
    };
    await ctx.store.write(
      { requestId: requestCtx.requestId, subject: { name: requestCtx.principal.name }, verb: 'create' },
      async (tx) => {
        await tx.insertToken(record);
        if (binding) await tx.create(binding.input);
      },
    );
    if (binding) ctx.access.invalidateGrants();
    return reply.code(201).send({
      token: issued.token,
      ...publicToken(record),
      ...(body.role !== undefined && { role: body.role, binding: `token-${issued.id}` }),
    });
  });

  app.get('/auth/v1/tokens', async (request) => {
    const { principal } = ctx.context(request);
    const tokens = await ctx.store.listTokens();
    return {
      items: tokens.filter((t) => authorize(principal, tokenTarget('list', t)).allowed).map(publicToken),
    };
  });

  /** Revokes a token and removes the binding it was issued with. */
  app.delete('/auth/v1/tokens/:id', async (request) => {
    const requestCtx = ctx.context(request);
    const { id } = request.params as { id: string };
    const missing = ApiError.notFound(`token "${id}" not found`);
    const record = await ctx.store.findToken(id);
    if (!record) throw missing;
    const decision = authorize(requestCtx.principal, tokenTarget('delete', record));
    if (!decision.allowed) {
      await ctx.resources.deny(
        requestCtx,
        'delete',
        { kind: 'Token', name: id, ...(record.tenant !== undefined && { tenant: record.tenant }) },
        decision,
        () => missing,
      );
    }
    const revoked = await ctx.store.write(
      { requestId: requestCtx.requestId, subject: { name: requestCtx.principal.name }, verb: 'delete' },
      async (tx) => {
        const result = await tx.revokeToken(id);
        if (await tx.get({ kind: 'RoleBinding', name: `token-${id}` }))
          await tx.delete({ kind: 'RoleBinding', name: `token-${id}` });
        return result;
      },
    );
    ctx.access.forgetToken(id);
    ctx.access.invalidateGrants();
    return publicToken(revoked);
  });
}
