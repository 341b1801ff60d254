// Benchmark of the technicians' queue (src/tickets/queue.ts) on 1,000,000 tickets. It creates a
// database of its own on the PostgreSQL server in DATABASE_URL and applies the migrations. It
// fills the database with set-based SQL: about 5% open tickets, 20 technicians, 5,000
// requesters, the default categories, and titles and descriptions drawn from word lists. After
// ANALYZE, it calls the service functions, not HTTP, for these cases: the first page of open
// tickets by last update and by age, a filtered page (mine, a category and its sub-categories,
// a priority), the page after 50 pages of cursors, and searches for a rare and a common word.
// Each case runs 30 times after 3 warm-up runs. The output gives the median and 95th
// percentile in ms, the row counts, the CPU and the PostgreSQL version. The fill drops the
// indexes of tickets and builds them again from the definitions that the migrations created.
// The database is dropped at the end, unless BENCH_KEEP=1 is set, which keeps it for EXPLAIN
// ANALYZE and prints its address.
//
// Usage: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npm run bench:queue
// The name ends in .bench.ts so that tests/run.ts, which runs every *.test.ts, leaves it out.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createDatabaseClient, type Database } from '../../src/db/client.ts';
import { applyMigrations } from '../../src/db/migrate.ts';
import { decodeQueueCursor, listQueue, type QueueQuery } from '../../src/tickets/queue.ts';
import { createEmptyDatabase } from '../support/database.ts';

const TICKETS = 1_000_000;
const TECHNICIANS = 20;
const REQUESTERS = 5_000;
const RUNS = 30;
const WARM_UP_RUNS = 3;
const DEEP_PAGES = 50;
/** A word that the fill puts in about one title in 3,000, so the search matches ~300 rows. */
const RARE_WORD = 'vidéoprojecteur';

const NOUNS = [
  'imprimante',
  'écran',
  'clavier',
  'souris',
  'portable',
  'serveur',
  'messagerie',
  'réseau',
  'wifi',
  'badge',
  'téléphone',
  'licence',
  'compte',
  'mot de passe',
  'VPN',
  'partage',
  'scanner',
  'disque',
  'sauvegarde',
  'logiciel',
  'navigateur',
  'agenda',
  'tablette',
  'onduleur',
];
const PROBLEMS = [
  'ne démarre plus',
  'très lent',
  'hors service',
  'bloqué',
  'affiche une erreur',
  'à installer',
  'à renouveler',
  'introuvable',
  'déconnecté',
  'à configurer',
  'en panne',
  'ne répond plus',
];
const PLACES = [
  'au 2e étage',
  'en salle de réunion',
  'à l’accueil',
  'au service paie',
  'à la comptabilité',
  'en télétravail',
  'au magasin',
  'à la direction',
  'au bureau 104',
  'au laboratoire',
];

function sqlArray(words: string[]): string {
  return `ARRAY[${words.map((word) => `'${word.replaceAll("'", "''")}'`).join(', ')}]`;
}

/**
 * Drops the secondary indexes of tickets and returns their definitions, because building an
 * index once after a bulk insert is much faster than updating it row by row.
 */
async function dropTicketIndexes(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string; definition: string }>(`
    SELECT indexname AS name, indexdef AS definition FROM pg_indexes
    WHERE schemaname = 'public' AND tablename = 'tickets'
      AND indexname NOT IN (SELECT conname FROM pg_constraint)`);
  for (const row of rows) await client.query(`DROP INDEX "${row.name}"`);
  return rows.map((row) => row.definition);
}

async function fill(client: pg.Client): Promise<void> {
  const indexes = await dropTicketIndexes(client);
  await client.query(`
    INSERT INTO users (email, name, role, updated_at)
    SELECT 'technicien' || g || '@example.org', 'Technicien ' || g, 'TECHNICIAN', now()
    FROM generate_series(1, ${TECHNICIANS}) AS g`);
  await client.query(`
    INSERT INTO users (email, name, role, updated_at)
    SELECT 'utilisateur' || g || '@example.org', 'Utilisateur ' || g, 'REQUESTER', now()
    FROM generate_series(1, ${REQUESTERS}) AS g`);

  // Random choices are drawn once per row in "drawn", then turned into columns. Users get
  // consecutive ids from their INSERT, so an offset from the first id picks one without
  // reading an array of 5,000 ids for each row. Ticket g is created g × 90 s before now, so
  // a million tickets span about three years.
  await client.query(`
    WITH
      bounds AS (
        SELECT
          (SELECT min(id) FROM users WHERE role = 'TECHNICIAN') AS first_technician,
          (SELECT min(id) FROM users WHERE role = 'REQUESTER') AS first_requester,
          (SELECT array_agg(id ORDER BY id) FROM categories WHERE type = 'INCIDENT')
            AS incident_categories,
          (SELECT array_agg(id ORDER BY id) FROM categories WHERE type = 'REQUEST')
            AS request_categories
      ),
      drawn AS (
        SELECT g, random() AS state, random() AS kind, random() AS pick, random() AS rare,
               random() AS late, random() AS urgent
        FROM generate_series(1, ${TICKETS}) AS g
      ),
      shaped AS (
        SELECT g,
          CASE WHEN kind < 0.6 THEN 'INCIDENT' ELSE 'REQUEST' END::"TicketType" AS type,
          CASE WHEN state < 0.02 THEN 'NEW' WHEN state < 0.04 THEN 'IN_PROGRESS'
               WHEN state < 0.05 THEN 'WAITING_FOR_USER' WHEN state < 0.10 THEN 'RESOLVED'
               ELSE 'CLOSED' END::"TicketStatus" AS status,
          pick, rare, late, urgent,
          now() - g * interval '90 seconds' AS created_at
        FROM drawn
      )
    INSERT INTO tickets (type, number, status, category_id, title, description, requester_id,
                         assignee_id, priority, message_id, created_at, updated_at,
                         resolved_at, closed_at)
    SELECT s.type, s.g, s.status,
      CASE WHEN s.type = 'INCIDENT'
        THEN b.incident_categories[1 + s.g % array_length(b.incident_categories, 1)]
        ELSE b.request_categories[1 + s.g % array_length(b.request_categories, 1)] END,
      initcap((${sqlArray(NOUNS)})[1 + (s.g * 7 % ${NOUNS.length})]) || ' '
        || (${sqlArray(PROBLEMS)})[1 + (s.g * 13 % ${PROBLEMS.length})]
        || CASE WHEN s.rare < 1.0 / 3000 THEN ' (${RARE_WORD})' ELSE '' END,
      'Signalé ' || (${sqlArray(PLACES)})[1 + (s.g * 11 % ${PLACES.length})]
        || ' : ' || (${sqlArray(NOUNS)})[1 + (s.g * 5 % ${NOUNS.length})] || ' '
        || (${sqlArray(PROBLEMS)})[1 + (s.g * 3 % ${PROBLEMS.length})]
        || ' depuis ce matin, merci de regarder.',
      b.first_requester + floor(s.pick * ${REQUESTERS})::int,
      CASE WHEN s.status = 'NEW' THEN NULL ELSE b.first_technician + s.g * 17 % ${TECHNICIANS} END,
      CASE WHEN s.urgent < 0.03 THEN 1 WHEN s.urgent < 0.15 THEN 2 WHEN s.urgent < 0.6 THEN 3
           WHEN s.urgent < 0.9 THEN 4 ELSE 5 END,
      'bench-' || s.g || '@guichet.test',
      s.created_at,
      s.created_at + s.late * interval '10 days',
      CASE WHEN s.status IN ('RESOLVED', 'CLOSED')
        THEN s.created_at + s.late * interval '9 days' END,
      CASE WHEN s.status = 'CLOSED' THEN s.created_at + s.late * interval '10 days' END
    FROM shaped AS s CROSS JOIN bounds AS b`);
  for (const definition of indexes) await client.query(definition);
  await client.query('ANALYZE');
}

function percentile(sorted: number[], fraction: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

/** Runs `action` WARM_UP_RUNS + RUNS times and prints the median and 95th percentile. */
async function measure(label: string, action: () => Promise<{ tickets: unknown[] }>) {
  let rows = 0;
  for (let run = 0; run < WARM_UP_RUNS; run++) rows = (await action()).tickets.length;
  const durations: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    await action();
    durations.push(performance.now() - start);
  }
  durations.sort((a, b) => a - b);
  const median = percentile(durations, 0.5).toFixed(1);
  const p95 = percentile(durations, 0.95).toFixed(1);
  console.log(
    `${label.padEnd(44)} median ${median.padStart(6)} ms   p95 ${p95.padStart(6)} ms   ` +
      `${rows} rows`,
  );
}

async function count(client: pg.Client, sql: string): Promise<number> {
  const result = await client.query<{ count: string }>(sql);
  return Number(result.rows[0].count);
}

async function run(db: Database, client: pg.Client): Promise<void> {
  const technician = (
    await client.query<{ id: number }>(
      `SELECT assignee_id AS id FROM tickets WHERE status = 'IN_PROGRESS'
       GROUP BY assignee_id ORDER BY count(*) DESC LIMIT 1`,
    )
  ).rows[0];
  const parent = (
    await client.query<{ id: number }>(
      `SELECT id FROM categories WHERE type = 'INCIDENT' AND parent_id IS NULL
        AND EXISTS (SELECT 1 FROM categories AS child WHERE child.parent_id = categories.id)
       ORDER BY id LIMIT 1`,
    )
  ).rows[0];
  const viewer = { id: technician.id };
  const open: QueueQuery = { status: 'open', sort: 'updated' };
  const filtered: QueueQuery = { ...open, assignee: 'mine', categoryId: parent.id, priority: 3 };
  const search: QueueQuery = { ...open, status: 'all', search: RARE_WORD };

  console.log('Rows:');
  console.log(`  tickets                 ${await count(client, 'SELECT count(*) FROM tickets')}`);
  console.log(
    `  open tickets            ${await count(
      client,
      `SELECT count(*) FROM tickets WHERE status IN ('NEW', 'IN_PROGRESS', 'WAITING_FOR_USER')`,
    )}`,
  );
  console.log(`  users                   ${await count(client, 'SELECT count(*) FROM users')}`);
  const categories = await count(client, 'SELECT count(*) FROM categories');
  console.log(`  categories              ${categories}`);
  console.log(
    `  filtered page matches   ${await count(
      client,
      `SELECT count(*) FROM tickets WHERE assignee_id = ${technician.id} AND priority = 3
       AND status IN ('NEW', 'IN_PROGRESS', 'WAITING_FOR_USER')
       AND category_id IN (SELECT id FROM categories WHERE ${parent.id} IN (id, parent_id))`,
    )}`,
  );
  console.log(
    `  "${RARE_WORD}" matches ${await count(
      client,
      `SELECT count(*) FROM tickets WHERE title ILIKE '%${RARE_WORD}%'
       OR description ILIKE '%${RARE_WORD}%'`,
    )}`,
  );
  console.log();

  // The cursor of page DEEP_PAGES + 1, reached by following "next" links.
  let cursor: string | null = null;
  const walkStart = performance.now();
  for (let page = 0; page < DEEP_PAGES; page++) {
    const current: QueueQuery['cursor'] = cursor ? decodeQueueCursor(cursor)! : undefined;
    cursor = (await listQueue(db, viewer, { ...open, cursor: current })).next;
    if (!cursor) throw new Error(`The queue has fewer than ${DEEP_PAGES} pages of open tickets`);
  }
  const walk = performance.now() - walkStart;
  const deep = { ...open, cursor: decodeQueueCursor(cursor!)! };

  console.log(`Timings over ${RUNS} runs after ${WARM_UP_RUNS} warm-up runs, page size 50:`);
  await measure('first page, open tickets by last update', () => listQueue(db, viewer, open));
  await measure('open tickets by age', () => listQueue(db, viewer, { ...open, sort: 'age' }));
  await measure('mine + category + priority 3', () => listQueue(db, viewer, filtered));
  await measure(`page ${DEEP_PAGES + 1} by cursor`, () => listQueue(db, viewer, deep));
  await measure(`search "${RARE_WORD}", all statuses`, () => listQueue(db, viewer, search));
  await measure('search "imprimante", open tickets', () =>
    listQueue(db, viewer, { ...open, search: 'imprimante' }),
  );
  console.log(`(following ${DEEP_PAGES} pages of cursors once took ${walk.toFixed(0)} ms)`);
}

async function main(): Promise<void> {
  const database = await createEmptyDatabase();
  const client = new pg.Client({ connectionString: database.url });
  let db: Database | undefined;
  try {
    await applyMigrations(database.url);
    await client.connect();
    const version = (await client.query<{ version: string }>('SELECT version()')).rows[0];
    const cpus = os.cpus();
    console.log(
      `Machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ` +
        `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`,
    );
    console.log(`PostgreSQL: ${version.version}`);

    const fillStart = performance.now();
    await fill(client);
    console.log(`Filled and analyzed in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`);

    db = createDatabaseClient(database.url, 2);
    await run(db, client);
  } finally {
    await db?.$disconnect();
    await client.end().catch(() => {});
    if (process.env.BENCH_KEEP === '1') console.log(`Kept the database: ${database.url}`);
    else await database.drop();
  }
}

await main();
