import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../../src/store/memory-store.js';
import { PgStore } from '../../src/store/pg-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { describePostgres } from '../fixtures/postgres.js';
import { describeStorage } from './conformance.js';

describeStorage('memory', async () => new MemoryStore());
describeStorage('SQLite file', async () => SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'nns-conf-')), 'c.db'), { create: true }));
describePostgres('PostgreSQL', (cluster) => {
  describeStorage('PostgreSQL', async () => PgStore.open(await cluster().createDatabase(), { create: true }));
});
