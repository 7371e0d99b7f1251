import { describe, expect, it } from 'vitest';
import {
  type AuditInput,
  type AuditRecord,
  GENESIS_HASH,
} from '../../../src/governance/audit/audit-event.js';
import {
  type ChainProblem,
  ChainVerifier,
  chainRecord,
  recordHash,
  verifyChain,
} from '../../../src/governance/audit/chain.js';

function input(i: number, overrides: Partial<AuditInput> = {}): AuditInput {
  return {
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    requestId: `req-${i}`,
    subject: { name: 'alice' },
    verb: 'apply',
    object: { kind: 'Node', name: `n${i}` },
    outcome: 'allowed',
    revision: i,
    ...overrides,
  };
}

function chain(length: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (let i = 1; i <= length; i++) records.push(chainRecord(records.at(-1), input(i)));
  return records;
}

/** A record that hashes correctly on its own: what a forger who knows the algorithm would write. */
function forged(seq: number, prevHash: string): AuditRecord {
  const unsigned = { ...input(99, { verb: 'delete', subject: { name: 'mallory' } }), seq, prevHash };
  return { ...unsigned, hash: recordHash(unsigned) };
}

describe('chainRecord', () => {
  it('starts at seq 1 from the genesis hash and links each record to the one before', () => {
    const [first, second] = chain(2);
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
    expect(second).toMatchObject({ seq: 2, prevHash: first!.hash });
    expect(first!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(first!.hash).toBe(recordHash(first!));
  });

  it('hashes every field but the hash, whatever the key order', () => {
    const a = chainRecord(undefined, input(1));
    const reordered = Object.fromEntries(Object.entries(input(1)).reverse()) as unknown as AuditInput;
    expect(chainRecord(undefined, reordered).hash).toBe(a.hash);
    expect(chainRecord(undefined, input(1, { reason: 'x' })).hash).not.toBe(a.hash);
  });
});

describe('verifyChain', () => {
  it('accepts an untouched chain and reports its head', () => {
    const records = chain(5);
    expect(verifyChain(records)).toEqual({ ok: true, count: 5, head: records[4]!.hash });
  });

  it('accepts an empty chain, whose head is the genesis hash', () => {
    expect(verifyChain([])).toEqual({ ok: true, count: 0, head: GENESIS_HASH });
  });

  it('verifies a tail from an anchor', () => {
    const records = chain(6);
    const anchor = { seq: 3, hash: records[2]!.hash };
    expect(verifyChain(records.slice(3), anchor)).toMatchObject({ ok: true, count: 3 });
    expect(verifyChain(records.slice(4), anchor)).toMatchObject({
      ok: false,
      firstBad: { seq: 4, problem: 'deleted' },
    });
  });

  const tampers: {
    rule: string;
    tamper: (records: AuditRecord[]) => AuditRecord[];
    seq: number;
    problem: ChainProblem;
    count: number;
  }[] = [
    {
      rule: 'an edited field',
      tamper: (r) => r.map((x) => (x.seq === 4 ? { ...x, verb: 'get' } : x)),
      seq: 4,
      problem: 'edited',
      count: 3,
    },
    {
      rule: 'an edited nested field',
      tamper: (r) => r.map((x) => (x.seq === 2 ? { ...x, subject: { name: 'bob' } } : x)),
      seq: 2,
      problem: 'edited',
      count: 1,
    },
    {
      rule: 'a removed optional field',
      tamper: (r) => r.map((x) => (x.seq === 6 ? { ...x, revision: undefined } : x)),
      seq: 6,
      problem: 'edited',
      count: 5,
    },
    {
      rule: 'a deleted record',
      tamper: (r) => r.filter((x) => x.seq !== 4),
      seq: 4,
      problem: 'deleted',
      count: 3,
    },
    {
      rule: 'several deleted records',
      tamper: (r) => r.filter((x) => x.seq < 3 || x.seq > 5),
      seq: 3,
      problem: 'deleted',
      count: 2,
    },
    { rule: 'a deleted first record', tamper: (r) => r.slice(1), seq: 1, problem: 'deleted', count: 0 },
    {
      rule: 'a deleted record with the rest renumbered',
      tamper: (r) => r.filter((x) => x.seq !== 4).map((x) => (x.seq > 4 ? { ...x, seq: x.seq - 1 } : x)),
      seq: 4,
      problem: 'edited',
      count: 3,
    },
    {
      rule: 'a forged record with a self-consistent hash inserted before its seq',
      tamper: (r) => [...r.slice(0, 3), forged(4, r[2]!.hash), ...r.slice(3)],
      seq: 4,
      problem: 'inserted',
      count: 3,
    },
    {
      rule: 'a forged record with a self-consistent hash inserted after its seq',
      tamper: (r) => [...r.slice(0, 4), forged(4, r[2]!.hash), ...r.slice(4)],
      seq: 4,
      problem: 'inserted',
      count: 3,
    },
    {
      rule: 'a forged record taking over the next seq',
      tamper: (r) => [...r.slice(0, 3), forged(5, r[2]!.hash), ...r.slice(3)],
      seq: 4,
      problem: 'inserted',
      count: 3,
    },
    {
      rule: 'a forged record replacing a real one',
      tamper: (r) => r.map((x) => (x.seq === 4 ? forged(4, r[2]!.hash) : x)),
      seq: 5,
      problem: 'bad-link',
      count: 4,
    },
    {
      rule: 'two records swapped',
      tamper: (r) => [...r.slice(0, 2), r[3]!, r[2]!, ...r.slice(4)],
      seq: 3,
      problem: 'reordered',
      count: 2,
    },
    {
      rule: 'a record moved far back',
      tamper: (r) => [r[0]!, ...r.slice(2), r[1]!],
      seq: 2,
      problem: 'reordered',
      count: 1,
    },
    {
      rule: 'the whole chain reversed',
      tamper: (r) => [...r].reverse(),
      seq: 1,
      problem: 'reordered',
      count: 0,
    },
  ];
  for (const { rule, tamper, seq, problem, count } of tampers) {
    it(`detects ${rule} and names seq ${seq} as the first bad one`, () => {
      const verdict = verifyChain(tamper(chain(8)));
      expect(verdict).toMatchObject({ ok: false, count, firstBad: { seq, problem } });
      expect(verdict.ok === false && verdict.firstBad.message).toMatch(new RegExp(`\\b${seq}\\b`));
    });
  }

  it('reports only the first break when there are several', () => {
    const records = chain(8).map((x) => (x.seq === 3 || x.seq === 6 ? { ...x, verb: 'x' } : x));
    expect(verifyChain(records)).toMatchObject({
      ok: false,
      count: 2,
      firstBad: { seq: 3, problem: 'edited' },
    });
  });

  it('streams: pages pushed one by one give the same verdict as the whole chain', () => {
    const records = chain(10);
    const verifier = new ChainVerifier();
    for (let i = 0; i < records.length; i += 3) {
      for (const record of records.slice(i, i + 3)) verifier.push(record);
    }
    expect(verifier.result()).toEqual(verifyChain(records));
  });

  it('survives a JSON round trip, as records read back from storage or a JSONL file do', () => {
    const records = chain(4).map((r) => JSON.parse(JSON.stringify(r)) as AuditRecord);
    expect(verifyChain(records)).toMatchObject({ ok: true, count: 4 });
  });
});
