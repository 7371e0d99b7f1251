import type { z } from 'zod';

/** One reason an input was rejected, naming the field as a dotted path (`spec.accelerators[2].model`). */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function describeType(issue: z.core.$ZodIssueInvalidType): string {
  const received = /received (\w+)$/.exec(issue.message)?.[1];
  if (received === 'undefined') return 'is required';
  const expected = issue.expected === 'int' ? 'integer' : issue.expected;
  const article = /^[aeiou]/.test(expected) ? 'an' : 'a';
  return received
    ? `must be ${article} ${expected}, not ${received === 'number' && expected === 'integer' ? 'a fraction' : received}`
    : `must be ${article} ${expected}`;
}

/** Flattens zod issues into field issues, with `prefix` prepended to every path; an unknown key is named itself. */
export function zodIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): FieldIssue[] {
  return error.issues.flatMap((issue): FieldIssue[] => {
    const at = (path: readonly PropertyKey[]) => fieldPath([...prefix, ...path]) || '(root)';
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map((key) => ({ field: at([...issue.path, key]), message: 'unknown field' }));
      case 'invalid_type':
        return [{ field: at(issue.path), message: describeType(issue) }];
      case 'invalid_union': {
        // Report the branch that got furthest, rather than zod's "invalid input".
        const best = [...issue.errors].sort((a, b) => a.length - b.length)[0];
        return best && best.length > 0
          ? best.map((inner) => ({ field: at([...issue.path, ...inner.path]), message: inner.message }))
          : [{ field: at(issue.path), message: issue.message }];
      }
      default:
        return [{ field: at(issue.path), message: issue.message }];
    }
  });
}
