import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** prisma/migrations, the folder that prisma.config.ts also names. */
export const defaultMigrationsDir = fileURLToPath(
  new URL('../../prisma/migrations', import.meta.url),
);

// The key of the advisory lock that the schema engine of Prisma 7.10 takes on PostgreSQL
// (`SELECT pg_advisory_lock(72707369)`), so this runner and the Prisma CLI also exclude
// each other.
const MIGRATION_LOCK_KEY = 72707369;

// The DDL of the schema engine of Prisma 7.10 for PostgreSQL, so that
// `prisma migrate status` and `prisma migrate deploy` read the history written here.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

export interface Migration {
  /** Folder name, such as 20250101000000_init. Prisma stores it as migration_name. */
  name: string;
  script: string;
}

/** A subset of pino's Logger. Without `warn`, warnings go to `info`. */
export interface MigrationLogger {
  info(obj: object, msg: string): void;
  warn?(obj: object, msg: string): void;
}

export interface ApplyMigrationsOptions {
  logger?: MigrationLogger;
  /** Folder with one `<name>/migration.sql` per migration. Defaults to prisma/migrations. */
  migrationsDir?: string;
}

interface MigrationRecord {
  id: string;
  checksum: string;
  migration_name: string;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** SHA-256 of the script as lower-case hex, as Prisma stores it in `_prisma_migrations`. */
export function checksum(script: string): string {
  return createHash('sha256').update(script, 'utf8').digest('hex');
}

// Prisma's rule: the script also matches with its line endings converted either way,
// and checksums that are not 64 characters long are hex without zero padding, written by
// old Prisma versions.
function matchesChecksum(script: string, stored: string): boolean {
  const variants = [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')];
  return variants.some((variant) => {
    const digest = createHash('sha256').update(variant, 'utf8').digest();
    if (stored.length === 64) return digest.toString('hex') === stored;
    return [...digest].map((byte) => byte.toString(16)).join('') === stored;
  });
}

/** Reads the migration.sql of each subfolder of `dir`, in name order: the order of application. */
export async function readMigrations(dir: string = defaultMigrationsDir): Promise<Migration[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new Error(`Cannot read the migrations folder ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    // UTF-16 code-unit order, which is time order for Prisma's timestamped names.
    .sort();

  const migrations: Migration[] = [];
  for (const name of names) {
    const file = path.join(dir, name, 'migration.sql');
    let script;
    try {
      script = await readFile(file, 'utf8');
    } catch (error) {
      throw new Error(`Cannot read ${file}: ${(error as Error).message}`, { cause: error });
    }
    migrations.push({ name, script });
  }
  return migrations;
}

/**
 * Applies the migrations of the migrations folder that the database has not applied yet, each
 * in its own transaction, and records them in `_prisma_migrations` as `prisma migrate deploy`
 * would. Holds an advisory lock meanwhile, so concurrent callers apply each migration once.
 * Returns the names of the migrations applied. Throws if a migration fails, after rolling it
 * back.
 */
export async function applyMigrations(
  connectionString: string,
  options: ApplyMigrationsOptions = {},
): Promise<string[]> {
  const logger = withWarn(options.logger ?? { info() {} });
  const migrations = await readMigrations(options.migrationsDir);

  const client = new pg.Client({ connectionString });
  // A broken connection also rejects the pending query, which carries the error to the caller.
  client.on('error', (error) => {
    logger.warn({ err: error }, 'Migration database connection failed');
  });
  await client.connect();
  try {
    // The lock is a session lock: closing the connection releases it.
    await lock(client, logger);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const records = await readHistory(client);
    rejectUnfinished(records);

    const applied: string[] = [];
    for (const migration of migrations) {
      const record = records.find(
        (r) => r.migration_name === migration.name && r.rolled_back_at === null,
      );
      if (record) {
        if (!matchesChecksum(migration.script, record.checksum)) {
          logger.warn(
            {
              migration: migration.name,
              checksum: checksum(migration.script),
              appliedChecksum: record.checksum,
            },
            'Migration file changed after it was applied, so the change is ignored. ' +
              'Put schema changes in a new migration.',
          );
        }
        continue;
      }
      await applyOne(client, migration, logger);
      applied.push(migration.name);
    }
    return applied;
  } finally {
    await client.end();
  }
}

function withWarn(logger: MigrationLogger): Required<MigrationLogger> {
  return {
    info: (obj, msg) => logger.info(obj, msg),
    warn: (obj, msg) => (logger.warn ? logger.warn(obj, msg) : logger.info(obj, msg)),
  };
}

async function lock(client: pg.Client, logger: MigrationLogger): Promise<void> {
  const { rows } = await client.query<{ locked: boolean }>(
    'SELECT pg_try_advisory_lock($1) AS locked',
    [MIGRATION_LOCK_KEY],
  );
  if (rows[0].locked) return;

  logger.info(
    { lockKey: MIGRATION_LOCK_KEY },
    'Waiting for another process to finish applying migrations',
  );
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
}

async function readHistory(client: pg.Client): Promise<MigrationRecord[]> {
  const { rows } = await client.query<MigrationRecord>(
    `SELECT id, checksum, migration_name, started_at, finished_at, rolled_back_at
     FROM _prisma_migrations ORDER BY started_at`,
  );
  return rows;
}

// A row that is neither finished nor rolled back is a migration that failed under
// `prisma migrate deploy`, which leaves the database partly migrated. Prisma stops there
// with error P3009, and so does this runner.
function rejectUnfinished(records: MigrationRecord[]): void {
  const unfinished = records.filter((r) => r.finished_at === null && r.rolled_back_at === null);
  if (unfinished.length === 0) return;

  const list = unfinished
    .map((r) => `${r.migration_name} (started at ${r.started_at.toISOString()})`)
    .join(', ');
  throw new Error(
    `Found failed migrations in _prisma_migrations: ${list}. No migration was applied. ` +
      'Repair the database by hand, then set rolled_back_at = now() on the row to apply the ' +
      'migration again, or finished_at = now() if its changes are already in place.',
  );
}

// NOTE: a script runs inside a transaction block, so statements that PostgreSQL forbids there
// (CREATE INDEX CONCURRENTLY, VACUUM) fail. `prisma migrate deploy` sends the whole script as
// one multi-statement query, which PostgreSQL also runs as one transaction.
async function applyOne(
  client: pg.Client,
  migration: Migration,
  logger: Required<MigrationLogger>,
): Promise<void> {
  const started = performance.now();
  const id = randomUUID();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO _prisma_migrations
         (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, clock_timestamp(), 0)`,
      [id, checksum(migration.script), migration.name],
    );
    await client.query(migration.script);
    await client.query(
      `UPDATE _prisma_migrations SET finished_at = clock_timestamp(), applied_steps_count = 1
       WHERE id = $1`,
      [id],
    );
    await client.query('COMMIT');
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      // The connection is gone, which rolls the transaction back on the server anyway.
      logger.warn({ err: rollbackError, migration: migration.name }, 'ROLLBACK failed');
    }
    throw new Error(`Migration ${migration.name} failed and was rolled back: ${describe(error)}`, {
      cause: error,
    });
  }
  const durationMs = Math.round(performance.now() - started);
  logger.info({ migration: migration.name, durationMs }, 'Applied migration');
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const details = error as Error & { code?: string; detail?: string; hint?: string };
  let text = error.message;
  if (details.code) text += ` (SQLSTATE ${details.code})`;
  if (details.detail) text += `. Detail: ${details.detail}`;
  if (details.hint) text += `. Hint: ${details.hint}`;
  return text;
}
