import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { startEmbeddedDatabase } from '../../src/db/embedded.ts';

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
    const options = { directory: path.join(folder, 'pg'), port: 0, password: 'secret', database: 'guichet', logger };

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
