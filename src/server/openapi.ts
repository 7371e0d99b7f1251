import { z } from 'zod';
import { KINDS } from '../model/kinds.js';
import { API_VERSION, GROUP, VERSION } from '../model/object.js';

const objectMeta = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
    tenant: { type: 'string' },
    project: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    uid: { type: 'string', readOnly: true },
    resourceVersion: {
      type: 'string',
      description: 'Set by the server; sent back, it makes the write conditional.',
    },
    generation: { type: 'integer', readOnly: true },
    creationTimestamp: { type: 'string', format: 'date-time', readOnly: true },
  },
};

const errorBody = {
  type: 'object',
  required: ['code', 'reason', 'message', 'details'],
  properties: {
    code: { type: 'integer' },
    reason: { type: 'string' },
    message: { type: 'string' },
    details: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errors = {
  default: { description: 'Error', content: { 'application/json': { schema: ref('Error') } } },
};

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function buildOpenApi(): Record<string, unknown> {
  const schemas: Record<string, unknown> = { ObjectMeta: objectMeta, Error: errorBody };
  const paths: Record<string, unknown> = {};
  for (const def of KINDS) {
    schemas[def.kind] = {
      type: 'object',
      description: def.description,
      required: ['apiVersion', 'kind', 'metadata', 'spec'],
      properties: {
        apiVersion: { const: API_VERSION },
        kind: { const: def.kind },
        metadata: ref('ObjectMeta'),
        spec: jsonSchema(def.spec),
        status: jsonSchema(def.status),
      },
      'x-kubernetes-group-version-kind': [{ group: GROUP, version: VERSION, kind: def.kind }],
    };
    const base =
      def.scope === 'project'
        ? `/apis/${API_VERSION}/namespaces/{project}/${def.plural}`
        : `/apis/${API_VERSION}/${def.plural}`;
    const one = { content: { 'application/json': { schema: ref(def.kind) } } };
    const params = [
      ...(def.scope === 'project'
        ? [{ name: 'project', in: 'path', required: true, schema: { type: 'string' } }]
        : []),
    ];
    const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
    paths[base] = {
      parameters: params,
      get: {
        summary: `List or watch ${def.plural}`,
        parameters: [
          { name: 'labelSelector', in: 'query', schema: { type: 'string' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          { name: 'continue', in: 'query', schema: { type: 'string' } },
          { name: 'watch', in: 'query', schema: { type: 'boolean' } },
          { name: 'resourceVersion', in: 'query', schema: { type: 'string' } },
        ],
        responses: { '200': { description: `${def.kind}List` }, ...errors },
      },
      post: { summary: `Create a ${def.singular}`, requestBody: one, responses: { '201': one, ...errors } },
    };
    paths[`${base}/{name}`] = {
      parameters: [...params, nameParam],
      get: { summary: `Read a ${def.singular}`, responses: { '200': one, ...errors } },
      put: {
        summary: `Create or update a ${def.singular} (apply)`,
        requestBody: one,
        responses: { '200': one, '201': one, ...errors },
      },
      delete: { summary: `Delete a ${def.singular}`, responses: { '200': one, ...errors } },
    };
    paths[`${base}/{name}/status`] = {
      parameters: [...params, nameParam],
      get: { summary: `Read the status of a ${def.singular}`, responses: { '200': one, ...errors } },
      put: {
        summary: `Replace the status of a ${def.singular}`,
        requestBody: one,
        responses: { '200': one, ...errors },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Strata API', version: VERSION },
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
