import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../../src/store/memory-store.js';
import { PgStore } from '../../src/store/pg-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { describePostgres } from '../fixtures/postgres.js';
import { describeStorage } from './conformance.js';

// the in-memory storage serves one process: its "other handle" is itself
describeStorage('memory', { open: async () => new MemoryStore(), another: async (s) => s });
describeStorage('SQLite file', {
  open: async () => SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'nns-conf-')), 'c.db'), { create: true }),
  another: async (s) => SqliteStore.open(s.location, { create: false }),
});
describePostgres('PostgreSQL', (cluster) => {
  const urls = new WeakMap<object, string>();
  describeStorage('PostgreSQL', {
    open: async () => {
      const url = await cluster().createDatabase();
      const store = await PgStore.open(url, { create: true });
      urls.set(store, url);
      return store;
    },
    another: async (s) => PgStore.open(urls.get(s)!, { create: true }),
  });
});
