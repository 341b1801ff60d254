import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyMigrations, readMigrations } from '../../src/db/migrate.ts';

/** A database of its own for one test file or test. drop() closes its connections. */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

// Serialises the creation of template databases across test processes. The value is
// arbitrary but must differ from the key that applyMigrations locks.
const TEMPLATE_LOCK_KEY = 4_807_142;

let templateName: Promise<string> | undefined;

/** Returns DATABASE_URL, the server that tests create their databases on. tests/run.ts sets it. */
export function serverUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error(
      'DATABASE_URL is not set. Tests create their databases on the PostgreSQL server in ' +
        'DATABASE_URL. Run them with npm test, which starts an embedded server when ' +
        'DATABASE_URL is unset.',
    );
  }
  return url;
}

/** Returns `url` with its database replaced by `database`. */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/**
 * Creates a database with every migration of prisma/migrations applied. It is a copy of a
 * template database, which the first call on a server migrates once per set of migrations.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const server = serverUrl();
  templateName ??= ensureTemplate(server);
  let template: string;
  try {
    template = await templateName;
  } catch (error) {
    templateName = undefined;
    throw error;
  }
  return createDatabase(server, `TEMPLATE "${template}"`);
}

/** Creates an empty database, without migrations, with a plain CREATE DATABASE. */
export function createEmptyDatabase(): Promise<TestDatabase> {
  return createDatabase(serverUrl(), '');
}

async function createDatabase(server: string, options: string): Promise<TestDatabase> {
  const name = `guichet_test_${randomBytes(6).toString('hex')}`;
  await withClient(server, (client) => client.query(`CREATE DATABASE "${name}" ${options}`));
  return {
    url: databaseUrl(server, name),
    async drop() {
      // FORCE (PostgreSQL 13 and later) terminates the connections that are still open.
      const sql = `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`;
      await withClient(server, (client) => client.query(sql));
    },
  };
}

// The template's name contains a hash of the migrations, so a changed migration gets a new
// template. Each template is migrated under a temporary name and renamed when complete, so a
// process that dies half-way leaves no template that looks usable.
// NOTE: templates of earlier migration sets stay on the server until dropped by hand.
async function ensureTemplate(server: string): Promise<string> {
  const hash = createHash('sha256');
  for (const migration of await readMigrations()) {
    hash.update(`${migration.name}\0${migration.script}\0`);
  }
  const name = `guichet_template_${hash.digest('hex').slice(0, 16)}`;

  await withClient(server, async (client) => {
    // Advisory locks belong to one database, and every test process connects to the same one.
    await client.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return;

    const building = `${name}_${randomBytes(4).toString('hex')}`;
    await client.query(`CREATE DATABASE "${building}"`);
    try {
      await applyMigrations(databaseUrl(server, building));
      await client.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
    } catch (error) {
      await client.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      throw error;
    }
  });
  return name;
}

// The advisory lock, if any, ends with the connection.
async function withClient<T>(url: string, action: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}
