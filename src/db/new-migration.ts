// Creates prisma/migrations/<timestamp>_<name>/migration.sql with the SQL that takes a database
// from the existing migrations to prisma/schema.prisma, like `prisma migrate dev --create-only`
// but without the Prisma CLI's native schema engine. It runs Prisma's schema engine compiled
// to WebAssembly (@prisma/schema-engine-wasm), which reaches PostgreSQL through
// @prisma/adapter-pg. The engine replays the migrations in a temporary database that it
// creates and drops on the server in DATABASE_URL. No other database is changed.
// Unlike `migrate dev`, the script has no leading comment that lists data-loss warnings.
//
// Usage: npm run migration:new -- <name>
import 'dotenv/config';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultMigrationsDir } from './migrate.ts';
import { diffMigrationsToSchema, LOCKFILE_CONTENT, LOCKFILE_NAME } from './schema-engine.ts';

/** Turns "Add ticket tags" or "addTicketTags" into add_ticket_tags, like `prisma migrate dev`. */
export function migrationSlug(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 200);
}

function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\D/g, '').slice(0, 14);
}

async function main(): Promise<number> {
  const slug = migrationSlug(process.argv.slice(2).join(' '));
  if (!slug) {
    console.error('Usage: npm run migration:new -- <name>, for example: add_ticket_tags');
    return 1;
  }
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) {
    console.error(
      'DATABASE_URL is not set. migration:new needs a PostgreSQL server where it may create ' +
        'and drop a temporary database, for example ' +
        'DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres (also read from .env).',
    );
    return 1;
  }

  await mkdir(defaultMigrationsDir, { recursive: true });
  const script = await diffMigrationsToSchema(connectionString);
  if (script === null) {
    console.log('No schema changes');
    return 0;
  }

  const name = `${timestamp()}_${slug}`;
  const dir = path.join(defaultMigrationsDir, name);
  await mkdir(dir, { recursive: false });
  await writeFile(path.join(dir, 'migration.sql'), script);
  await writeFile(path.join(defaultMigrationsDir, LOCKFILE_NAME), LOCKFILE_CONTENT);
  console.log(`Created ${path.relative(process.cwd(), path.join(dir, 'migration.sql'))}`);
  console.log('Review it, then apply it with npm run migrate (or restart the server).');
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
