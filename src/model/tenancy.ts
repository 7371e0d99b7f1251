import { z } from 'zod';
import { name } from './metadata.js';

export const tenantSpec = z.strictObject({
  displayName: z.string().optional(),
  /** hard: the tenant's work never shares a node or a GPU with another tenant's. */
  isolation: z.enum(['shared', 'hard']).default('shared'),
  contact: z.string().optional(),
  /** Jurisdiction regimes or countries this tenant's work may run in; empty means anywhere. */
  allowedJurisdictions: z.array(z.string().regex(/^[A-Z][A-Z0-9-]{1,15}$/)).default([]),
});
export type TenantSpec = z.infer<typeof tenantSpec>;

export const projectSpec = z.strictObject({
  displayName: z.string().optional(),
  /** Inherits the tenant's isolation unless raised to hard. */
  isolation: z.enum(['inherit', 'hard']).default('inherit'),
  budget: z
    .strictObject({
      currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code'),
      monthly: z.number().nonnegative(),
    })
    .optional(),
  description: z.string().optional(),
});
export type ProjectSpec = z.infer<typeof projectSpec>;

export const VERBS = ['get', 'list', 'watch', 'create', 'update', 'delete'] as const;
export type Verb = (typeof VERBS)[number];
export const READ_VERBS: readonly Verb[] = ['get', 'list', 'watch'];

export const policyRule = z.strictObject({
  verbs: z.array(z.enum([...VERBS, '*'])).min(1),
  /**
   * Kinds by name ("Workload"), a status subresource ("Workload/status"),
   * the pseudo-kinds "Token" and "AuditEvent", or "*" for every kind.
   */
  kinds: z
    .array(z.string().regex(/^(\*|[A-Z][A-Za-z]*(\/status)?)$/, 'must be a Kind, Kind/status or *'))
    .min(1),
});
export type PolicyRule = z.infer<typeof policyRule>;

export const roleSpec = z.strictObject({
  description: z.string().optional(),
  rules: z.array(policyRule).min(1),
});
export type RoleSpec = z.infer<typeof roleSpec>;

export const subject = z.strictObject({
  kind: z.enum(['User', 'Group']),
  name: z.string().min(1).max(253),
});
export type Subject = z.infer<typeof subject>;

/**
 * Grants a role to subjects cluster-wide (no scope), in one tenant, or in one
 * project of a tenant. A binding's tenant (metadata.tenant) is its scope's.
 */
export const roleBindingSpec = z.strictObject({
  role: name,
  subjects: z.array(subject).min(1),
  scope: z.strictObject({ tenant: name.optional(), project: name.optional() }).default({}),
});
export type RoleBindingSpec = z.infer<typeof roleBindingSpec>;
