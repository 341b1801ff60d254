import type { Server } from 'node:http';
import path from 'node:path';
import pg from 'pg';
import { ensureFirstAdmin } from './accounts/service.ts';
import { createApp } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createDatabaseClient } from './db/client.ts';
import { startEmbeddedDatabase } from './db/embedded.ts';
import { applyMigrations } from './db/migrate.ts';
import { createLogger, type Logger } from './logger.ts';
import { createTransportFromConfig } from './mail/transport.ts';
import { OutboxWorker } from './mail/worker.ts';
import { withReplySecret } from './mail/reply-address.ts';
import { loadStoredSecrets } from './secrets.ts';
import { scheduleAutoClose } from './tickets/auto-close.ts';

type Cleanup = () => Promise<void>;

/** How often resolved tickets are checked for automatic closing. */
const AUTO_CLOSE_INTERVAL_MS = 3600 * 1000;

async function resolveDatabaseUrl(config: Config, password: string, logger: Logger, cleanups: Cleanup[]) {
  if (config.DATABASE_URL) return config.DATABASE_URL;
  const embedded = await startEmbeddedDatabase({
    directory: path.join(config.dataDir, 'postgres'),
    port: config.EMBEDDED_DB_PORT,
    password,
    database: 'guichet',
    logger,
  });
  cleanups.push(embedded.stop);
  return embedded.url;
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${error.message}\nSee .env.example for every variable and its meaning.`);
    process.exit(1);
  }
  const logger = createLogger(config.LOG_LEVEL);
  const cleanups: Cleanup[] = [];
  let stopping = false;

  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    logger.info('Stopping');
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.error({ err: error }, 'Error while stopping');
      }
    }
    process.exit(exitCode);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  try {
    const secrets = await loadStoredSecrets(config.dataDir);
    const sessionSecret = config.SESSION_SECRET ?? secrets.sessionSecret;
    config = withReplySecret(config, sessionSecret);
    const databaseUrl = await resolveDatabaseUrl(config, secrets.embeddedDbPassword, logger, cleanups);
    const applied = await applyMigrations(databaseUrl, { logger });
    logger.info({ applied }, applied.length ? 'Migrations applied' : 'Database schema is up to date');

    const db = createDatabaseClient(databaseUrl);
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 5 });
    cleanups.push(async () => {
      await db.$disconnect();
      await pool.end();
    });

    await ensureFirstAdmin(db, config, logger);

    const stopAutoClose = scheduleAutoClose(db, {
      days: config.AUTO_CLOSE_DAYS,
      intervalMs: AUTO_CLOSE_INTERVAL_MS,
      logger,
    });
    cleanups.push(async () => stopAutoClose());

    const transport = createTransportFromConfig(config);
    const worker = new OutboxWorker({ db, config, logger, transport, listenUrl: databaseUrl });
    await worker.start();
    cleanups.push(async () => {
      await worker.stop();
      transport.close();
    });
    if (config.MAIL_TRANSPORT === 'file') {
      logger.info({ folder: path.join(config.dataDir, 'mail') }, 'Emails are written as .eml files');
    }

    const app = createApp({
      config,
      db,
      pool,
      logger,
      sessionSecret,
    });
    const server: Server = await new Promise((resolve, reject) => {
      const listening = app.listen(config.PORT, config.HOST, () => resolve(listening));
      listening.once('error', reject);
    });
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    logger.info({ url: config.BASE_URL, host: config.HOST, port: config.PORT }, 'Guichet is ready');
  } catch (error) {
    logger.fatal({ err: error }, 'Start-up failed');
    await stop(1);
  }
}

await main();
