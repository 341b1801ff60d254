import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { startEmbeddedDatabase } from '../../src/db/embedded.ts';
import { createTestDatabase } from '../support/database.ts';

const logger = pino({ level: 'silent' });
const folders: string[] = [];
after(() => Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true }))));

async function query(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('startEmbeddedDatabase', () => {
  it('keeps data across restarts', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'guichet-embedded-'));
    folders.push(folder);
    // As root, PostgreSQL runs as the "postgres" user, which must be able to enter the folder.
    await chmod(folder, 0o755);
    const options = {
      directory: path.join(folder, 'pg'),
      port: 0,
      password: 'secret',
      database: 'guichet',
      logger,
    };

    const first = await startEmbeddedDatabase(options);
    await query(first.url, "CREATE TABLE kept (value text); INSERT INTO kept VALUES ('é à ç')");
    await first.stop();
    await assert.rejects(query(first.url, 'SELECT 1'), 'the server is stopped');

    const second = await startEmbeddedDatabase(options);
    try {
      const result = await query(second.url, 'SELECT value FROM kept');
      assert.deepEqual(result.rows, [{ value: 'é à ç' }]);
      const extensions = await query(
        second.url,
        "SELECT name FROM pg_available_extensions WHERE name IN ('unaccent', 'pg_trgm', 'citext')",
      );
      assert.equal(extensions.rowCount, 3, 'unaccent, pg_trgm and citext are available');
    } finally {
      await second.stop();
    }
  });
});

describe('server on the embedded database', () => {
  const root = path.resolve(import.meta.dirname, '../..');

  /** Starts src/server.ts, waits for /healthz, then stops it with SIGTERM. */
  async function runServerOnce(
    dataDir: string,
    port: number,
    databaseUrl?: string,
    beforeStop?: () => Promise<void>,
  ) {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      DATA_DIR: dataDir,
      PORT: String(port),
    };
    if (databaseUrl) env.DATABASE_URL = databaseUrl;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: root,
      env: { ...env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
      if (healthy) break;
      assert.ok(Date.now() < deadline, `the server did not start: ${errors}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await beforeStop?.();
    child.kill('SIGTERM');
    const code = await exited;
    return { code, errors, log: output };
  }

  it('stops cleanly and keeps data', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'guichet-embedded-server-'));
    folders.push(folder);
    await chmod(folder, 0o755);
    const port = 3000 + Math.floor(Math.random() * 2000) + 20_000;

    const first = await runServerOnce(folder, port);
    assert.equal(first.code, 0, `exit code after SIGTERM: ${first.errors}`);
    assert.equal(existsSync(path.join(folder, 'postgres', 'postmaster.pid')), false);
    const second = await runServerOnce(folder, port);
    assert.equal(second.code, 0, `exit code after SIGTERM: ${second.errors}`);

    const invitations = (await readdir(path.join(folder, 'mail'))).filter((name) =>
      name.endsWith('.eml'),
    );
    assert.equal(invitations.length, 1, 'the admin from the first start is still there');
    const secrets = JSON.parse(await readFile(path.join(folder, 'secrets.json'), 'utf8'));
    assert.ok(secrets.sessionSecret.length >= 32, 'a session secret was generated and kept');
  });

  it('finishes its shutdown on SIGTERM', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'guichet-server-stop-'));
    folders.push(folder);
    const database = await createTestDatabase();
    try {
      const port = 20_000 + Math.floor(Math.random() * 5000);
      // The database ends every connection of the server, as a restart of PostgreSQL would.
      const endConnections = async () => {
        // The sign-in page stores a session, so the session pool has an idle connection.
        await fetch(`http://127.0.0.1:${port}/login`);
        await query(
          database.url,
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        const health = await fetch(`http://127.0.0.1:${port}/healthz`);
        assert.equal(health.status, 200, 'the server reconnects after losing its connections');
        const login = await fetch(`http://127.0.0.1:${port}/login`);
        assert.equal(login.status, 200, 'sessions work again');
      };
      const result = await runServerOnce(folder, port, database.url, endConnections);
      assert.equal(result.code, 0, `exit code after SIGTERM: ${result.errors}`);
      assert.match(result.log, /Outbox worker stopped/, 'the outbox worker stopped first');
    } finally {
      await database.drop();
    }
  });
});
