import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { createApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createDatabaseClient, type Database } from '../../src/db/client.ts';
import type { AppContext } from '../../src/http/context.ts';
import { withReplySecret } from '../../src/mail/reply-address.ts';
import { createTestDatabase } from './database.ts';

export interface TestContext extends AppContext {
  app: ReturnType<typeof createApp>;
  databaseUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Creates a fresh database with migrations applied, a Prisma client, a pg pool and the Express
 * app, configured like production except for `env`. close() drops the database.
 */
export async function createTestContext(env: Record<string, string> = {}): Promise<TestContext> {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'guichet-test-data-'));
  const sessionSecret = 'test-secret-'.padEnd(40, 'x');
  const loaded: Config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    BASE_URL: 'http://guichet.test',
    MAIL_FROM: 'Guichet <helpdesk@guichet.test>',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const config = withReplySecret(loaded, sessionSecret);
  const db: Database = createDatabaseClient(database.url, 5);
  const pool = new pg.Pool({ connectionString: database.url, max: 3 });
  // As in src/server.ts: an idle connection that the server ends, such as DROP DATABASE WITH
  // (FORCE) in close(), is reported as an event that would otherwise end the test process.
  pool.on('error', () => {});
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const context: AppContext = { config, db, pool, logger, sessionSecret };
  return {
    ...context,
    app: createApp(context),
    databaseUrl: database.url,
    dataDir,
    async close() {
      await db.$disconnect();
      await pool.end();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
