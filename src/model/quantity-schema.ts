import { z } from 'zod';
import { parseBytes, parseQuantity } from './quantity.js';

/** A byte quantity such as "512Gi" or a plain non-negative integer number of bytes. */
export const bytes = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  const parsed = parseBytes(String(value));
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
});

/** CPU in cores: 8, "8", "500m" (half a core is 0.5). */
export const cpuQuantity = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  const parsed = parseQuantity(String(value));
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
  else if (Math.round(parsed.value * 1000) !== parsed.value * 1000) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is finer than one millicore` });
  }
});

export function bytesOf(value: string | number): number {
  const parsed = parseBytes(String(value));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

export function coresOf(value: string | number): number {
  const parsed = parseQuantity(String(value));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

export const count = z.number().int().nonnegative();
export const positiveCount = z.number().int().positive();
