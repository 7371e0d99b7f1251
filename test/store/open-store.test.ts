import { describe, expect, it } from 'vitest';
import { isPostgresUrl, sqliteFile } from '../../src/store/open-store.js';

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

  it('is not asked for a PostgreSQL URL', () => {
    expect(() => sqliteFile('postgres://db/strata', '/data')).toThrow(/names a PostgreSQL database/);
  });

  it('refuses other URL schemes', () => {
    expect(() => sqliteFile('mysql://db', '/data')).toThrow(/unsupported store URL/);
  });
});

describe('isPostgresUrl', () => {
  const cases: { url: string; postgres: boolean }[] = [
    { url: 'postgres://strata@db:5432/strata', postgres: true },
    { url: 'postgresql://db/strata?sslmode=require', postgres: true },
    { url: 'sqlite:strata.db', postgres: false },
    { url: 'mysql://db', postgres: false },
  ];
  for (const { url, postgres } of cases) {
    it(`${url} ${postgres ? 'is' : 'is not'} PostgreSQL`, () => {
      expect(isPostgresUrl(url)).toBe(postgres);
    });
  }
});
