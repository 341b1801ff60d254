// `npm run migrate`: applies prisma/migrations to the PostgreSQL server in DATABASE_URL.
import 'dotenv/config';
import { applyMigrations, type MigrationLogger } from './migrate.ts';

function formatFields(obj: object): string {
  const fields = Object.entries(obj).map(([key, value]) => `${key}=${String(value)}`);
  return fields.length > 0 ? ` (${fields.join(', ')})` : '';
}

const consoleLogger: MigrationLogger = {
  info: (obj, msg) => console.log(`${msg}${formatFields(obj)}`),
  warn: (obj, msg) => console.warn(`Warning: ${msg}${formatFields(obj)}`),
};

async function main(): Promise<number> {
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) {
    console.error(
      'DATABASE_URL is not set. npm run migrate applies the migrations in prisma/migrations ' +
        'to the PostgreSQL server in DATABASE_URL (from the environment or .env). ' +
        'Without DATABASE_URL, npm start runs an embedded database and applies the ' +
        'migrations to it by itself.',
    );
    return 1;
  }

  try {
    const applied = await applyMigrations(connectionString, { logger: consoleLogger });
    if (applied.length === 0) console.log('Database schema is up to date');
    else console.log(`Applied ${applied.length} migration(s)`);
    return 0;
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    return 1;
  }
}

process.exitCode = await main();
