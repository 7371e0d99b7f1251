import { describe, expect, it } from 'vitest';
import { sqliteFile } from '../../src/store/open-store.js';

describe('sqliteFile', () => {
  const cases: { url: string | undefined; file: string }[] = [
    { url: undefined, file: '/data/strata.db' },
    { url: 'sqlite:', file: '/data/strata.db' },
    { url: 'sqlite:other.db', file: '/data/other.db' },
    { url: 'sqlite:/var/lib/strata/s.db', file: '/var/lib/strata/s.db' },
    { url: 'sqlite:///var/lib/strata/s.db', file: '/var/lib/strata/s.db' },
  ];
  for (const { url, file } of cases) {
    it(`${url ?? 'no URL'} opens ${file}`, () => {
      expect(sqliteFile(url, '/data')).toBe(file);
    });
  }

  it('says PostgreSQL is not yet supported', () => {
    expect(() => sqliteFile('postgres://db/strata', '/data')).toThrow(/not yet supported/);
  });

  it('refuses other URL schemes', () => {
    expect(() => sqliteFile('mysql://db', '/data')).toThrow(/unsupported store URL/);
  });
});
