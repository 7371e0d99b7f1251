import { expect } from 'vitest';
import type { Json } from '../support/control-plane.js';

export interface Response {
  readonly status: number;
  readonly body: Json;
  readonly headers: Headers;
}

/**
 * Asserts a 4xx/5xx answer in the API's one error shape,
 * `{code, reason, message, details: [{field, message}]}`, with `code` equal to the HTTP status.
 */
export function expectErrorShape(response: Response, status: number): void {
  const context = `${response.status} ${JSON.stringify(response.body)}`;
  expect(response.status, context).toBe(status);
  expect(response.headers.get('content-type') ?? '', context).toMatch(/^application\/json/);
  expect(Object.keys(response.body).sort(), context).toEqual(['code', 'details', 'message', 'reason']);
  expect(response.body.code, context).toBe(status);
  expect(response.body.reason, context).toMatch(/^[A-Z][A-Za-z]+$/);
  expect(typeof response.body.message, context).toBe('string');
  expect(response.body.message.length, context).toBeGreaterThan(0);
  expect(Array.isArray(response.body.details), context).toBe(true);
  for (const detail of response.body.details) {
    expect(Object.keys(detail).sort(), context).toEqual(['field', 'message']);
    expect(typeof detail.field, context).toBe('string');
    expect(typeof detail.message, context).toBe('string');
  }
}

/** The fields an error names, in order. */
export function detailFields(response: Response): string[] {
  return (response.body.details ?? []).map((d: { field: string }) => d.field);
}
