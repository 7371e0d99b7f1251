import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureTls } from '../../src/server/tls.js';

describe('the server certificate', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-tls-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is issued by its own CA for the host, with the key readable by its owner only', async () => {
    const tls = await ensureTls(dir, '127.0.0.1');
    const cert = new X509Certificate(tls.cert);
    expect(cert.checkIssued(new X509Certificate(tls.ca))).toBe(true);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect((await stat(join(dir, 'tls', 'server.key'))).mode & 0o777).toBe(0o600);
  });

  it('is kept across starts', async () => {
    const first = await ensureTls(dir, '127.0.0.1');
    expect(await ensureTls(dir, '127.0.0.1')).toEqual(first);
  });

  it('is made anew for a host it does not name', async () => {
    const first = await ensureTls(dir, '127.0.0.1');
    const second = await ensureTls(dir, 'strata.internal');
    expect(second.cert).not.toBe(first.cert);
    expect(new X509Certificate(second.cert).checkHost('strata.internal')).toBe('strata.internal');
  });

  it.each([
    'server.key',
    'server.crt',
    'ca.crt',
  ])('is made anew when %s was left torn by a kill', async (file) => {
    await ensureTls(dir, '127.0.0.1');
    const path = join(dir, 'tls', file);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, text.length / 2));
    const again = await ensureTls(dir, '127.0.0.1');
    expect(new X509Certificate(again.cert).checkIssued(new X509Certificate(again.ca))).toBe(true);
  });
});
