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
import { ImapWatcher, imapWatcherOptionsFrom } from './mail/inbound/imap-watcher.ts';
import type { InboundDeps } from './mail/inbound/ingest.ts';
import { smtpListenerOptionsFrom, startSmtpListener } from './mail/inbound/smtp-listener.ts';
import { createTransportFromConfig } from './mail/transport.ts';
import { OutboxWorker } from './mail/worker.ts';
import { withReplySecret } from './mail/reply-address.ts';
import { loadStoredSecrets } from './secrets.ts';
import { scheduleAutoClose } from './tickets/auto-close.ts';
import { scheduleInboundProcessing } from './mail/inbound/ingest.ts';

type Cleanup = () => Promise<void>;

/** How often resolved tickets are checked for automatic closing. */
const AUTO_CLOSE_INTERVAL_MS = 3600 * 1000;

async function resolveDatabaseUrl(
  config: Config,
  password: string,
  logger: Logger,
  cleanups: Cleanup[],
) {
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

/** Starts the inbound SMTP listener and the IMAP watcher, each only when configured. */
async function startInboundTransports(deps: InboundDeps, cleanups: Cleanup[]): Promise<void> {
  const smtpOptions = smtpListenerOptionsFrom(deps.config);
  if (smtpOptions) {
    const listener = await startSmtpListener(deps, smtpOptions);
    cleanups.push(() => listener.close());
  }
  const imapOptions = imapWatcherOptionsFrom(deps.config);
  if (imapOptions) {
    const watcher = new ImapWatcher(deps, imapOptions);
    watcher.start();
    cleanups.push(() => watcher.stop());
  }
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
    const databaseUrl = await resolveDatabaseUrl(
      config,
      secrets.embeddedDbPassword,
      logger,
      cleanups,
    );
    const applied = await applyMigrations(databaseUrl, { logger });
    logger.info(
      { applied },
      applied.length ? 'Migrations applied' : 'Database schema is up to date',
    );

    const db = createDatabaseClient(databaseUrl);
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 5 });
    // pg reports the failure of an idle connection (a database restart, for example) as an
    // event; unhandled, it would end the process. The pool replaces the connection by itself.
    pool.on('error', (error) => logger.warn({ err: error }, 'Idle database connection failed'));
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

    const stopInbound = scheduleInboundProcessing(
      { db, config, logger },
      config.INBOUND_RETRY_SECONDS * 1000,
    );
    cleanups.push(async () => stopInbound());

    const transport = createTransportFromConfig(config);
    const worker = new OutboxWorker({ db, config, logger, transport, listenUrl: databaseUrl });
    await worker.start();
    cleanups.push(async () => {
      await worker.stop();
      transport.close();
    });
    if (config.MAIL_TRANSPORT === 'file') {
      logger.info(
        { folder: path.join(config.dataDir, 'mail') },
        'Emails are written as .eml files',
      );
    }

    await startInboundTransports({ db, config, logger }, cleanups);

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
