// Kills the pipe command after it has stored an email and while it is processing it, then
// shows that the pass the server runs at start-up processes the email exactly once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { processPendingInbound } from '../../../src/mail/inbound/ingest.ts';
import { replyAddress } from '../../../src/mail/reply-address.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { createTestTicket, createUser } from '../../support/factories.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const APPLICATION_NAME = 'guichet-pipe-under-test';

let context: TestContext;
before(async () => {
  context = await createTestContext();
});
after(() => context.close());

async function poll(description: string, check: () => Promise<boolean>) {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting until ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('killed pipe is processed once later', async () => {
  const requester = await createUser(context.db);
  const ticket = await createTestTicket(context.db, requester);
  await context.db.ticket.update({
    where: { id: ticket.id },
    data: { status: 'WAITING_FOR_USER' },
  });
  const eventsBefore = await context.db.ticketEvent.count({ where: { ticketId: ticket.id } });

  // The pipe's database sessions carry a name to find them, and notice a vanished client
  // within 100 ms even while they wait for a lock (PostgreSQL 14 and later).
  const pipeUrl = new URL(context.databaseUrl);
  pipeUrl.searchParams.set('application_name', APPLICATION_NAME);
  pipeUrl.searchParams.set('options', '-c client_connection_check_interval=100');

  // Holding the ticket's row lock stops the pipe's processing after it has stored the email.
  const locker = new pg.Client({ connectionString: context.databaseUrl });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('SELECT id FROM tickets WHERE id = $1 FOR UPDATE', [ticket.id]);

  const child = spawn(process.execPath, ['--import', 'tsx', 'src/mail/inbound/pipe.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: pipeUrl.toString(),
      DATA_DIR: context.dataDir,
      MAIL_FROM: context.config.MAIL_FROM,
      MAIL_REPLY_SECRET: context.config.MAIL_REPLY_SECRET,
      LOG_LEVEL: 'silent',
    },
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin.end(
    `From: ${requester.email}\r\nTo: ${replyAddress(ticket.id, context.config)}\r\n` +
      `Subject: RE: [${ticket.reference}] Imprimante\r\nMessage-ID: <crash-1@example.org>\r\n` +
      '\r\nLe voyant clignote toujours en orange.\r\n',
  );

  try {
    await poll(
      'the email is stored',
      async () =>
        (await context.db.inboundMessage.count({
          where: { messageKey: '<crash-1@example.org>' },
        })) === 1,
    );
    await poll('the processing waits for the ticket lock', async () => {
      const waiting = await locker.query(
        `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [APPLICATION_NAME],
      );
      return waiting.rowCount === 1;
    });
    child.kill('SIGKILL');
    await exited;
  } finally {
    await locker.query('ROLLBACK');
  }
  await poll('the killed sessions are gone', async () => {
    const sessions = await locker.query(
      'SELECT 1 FROM pg_stat_activity WHERE application_name = $1',
      [APPLICATION_NAME],
    );
    return sessions.rowCount === 0;
  });
  await locker.end();

  const stored = await context.db.inboundMessage.findUniqueOrThrow({
    where: { messageKey: '<crash-1@example.org>' },
  });
  assert.equal(stored.status, 'RECEIVED', 'the crash left the email stored and unprocessed');
  assert.equal(
    await context.db.ticketEvent.count({ where: { ticketId: ticket.id } }),
    eventsBefore,
    'the interrupted processing left no event',
  );

  const deps = { db: context.db, config: context.config, logger: context.logger };
  assert.equal(await processPendingInbound(deps), 1, 'the start-up pass processes it');
  assert.equal(await processPendingInbound(deps), 0, 'a second pass finds nothing');

  const processed = await context.db.inboundMessage.findUniqueOrThrow({ where: { id: stored.id } });
  assert.equal(processed.status, 'PROCESSED');
  const replies = await context.db.ticketEvent.findMany({
    where: { ticketId: ticket.id, body: { contains: 'Le voyant clignote' } },
  });
  assert.equal(replies.length, 1, 'the reply is added once');
  const after = await context.db.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
  assert.equal(after.status, 'IN_PROGRESS', 'the reply moved the ticket back to in progress');
});
