/**
 * Kubernetes-style resource quantities: "512Gi", "2Ti", "1.5G", "250m", "8".
 * Binary suffixes are powers of 1024, decimal ones powers of 1000, "m" is milli.
 */
const SUFFIX_FACTORS: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};

const QUANTITY = /^(\d+(?:\.\d+)?)(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/;

export type QuantityParse = { ok: true; value: number } | { ok: false; message: string };

/** Parses a quantity into a number of base units (bytes for memory). Negative values never parse. */
export function parseQuantity(text: string): QuantityParse {
  const match = QUANTITY.exec(text.trim());
  if (!match) {
    return {
      ok: false,
      message: `"${text}" is not a quantity: expected a non-negative number with an optional suffix such as Ki, Mi, Gi, Ti, k, M, G, T or m`,
    };
  }
  const value = Number(match[1]) * (SUFFIX_FACTORS[match[2] ?? ''] ?? 1);
  if (!Number.isFinite(value) || value > Number.MAX_SAFE_INTEGER) {
    return { ok: false, message: `"${text}" is too large` };
  }
  return { ok: true, value };
}

/** Parses a byte quantity; fractional bytes are an error. */
export function parseBytes(text: string): QuantityParse {
  const parsed = parseQuantity(text);
  if (parsed.ok && !Number.isInteger(parsed.value)) {
    return { ok: false, message: `"${text}" is not a whole number of bytes` };
  }
  return parsed;
}

/** Formats bytes with the largest binary suffix that keeps the number whole, e.g. 85899345920 → "80Gi". */
export function formatBytes(bytes: number): string {
  for (const suffix of ['Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const factor = SUFFIX_FACTORS[suffix]!;
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${suffix}`;
  }
  return String(bytes);
}
