import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/runtime/clock.js';
import { onCommitsThrottled } from '../../src/runtime/commit-throttle.js';
import { randomIds } from '../../src/runtime/ids.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { site } from '../support/builders.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('onCommitsThrottled', () => {
  let dir: string;
  let store: Store;
  let n = 0;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-throttle-'));
    store = await openSqliteStore({ file: join(dir, 'strata.db'), clock: new ManualClock(), ids: randomIds });
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const commit = () =>
    store.write({ requestId: `w${++n}`, subject: { name: 'admin' }, verb: 'apply' }, (tx) =>
      tx.apply(site(`s${n}`) as Parameters<typeof tx.apply>[0]),
    );

  it('calls once for a burst of commits within its interval, and again for a later one', async () => {
    let calls = 0;
    const stop = onCommitsThrottled(store, 50, () => calls++);
    for (let i = 0; i < 5; i++) await commit();
    await sleep(120);
    expect(calls).toBe(1);
    await commit();
    await sleep(120);
    expect(calls).toBe(2);
    stop();
  });

  it('never calls after it was stopped, even for a commit already waiting', async () => {
    let calls = 0;
    const stop = onCommitsThrottled(store, 50, () => calls++);
    await commit();
    stop();
    await sleep(120);
    await commit();
    await sleep(120);
    expect(calls).toBe(0);
  });
});
