// Benchmark of incoming email: storing and processing with the ingestion core
// (src/mail/inbound/ingest.ts), then the same through the SMTP listener over 127.0.0.1. Each
// part runs on a migrated database of its own, created on the PostgreSQL server in
// DATABASE_URL, with 500 requesters, 10 technicians and 300 open tickets. It generates
// BENCH_MESSAGES messages (default 3,000). Of these, 55% are replies from requesters to their
// tickets' reply addresses, 30% open new tickets, 10% are out-of-office auto-replies and 5%
// come from unknown senders. The output gives messages per second for each step, the outcome
// of every message by status, the CPU, and the Node.js and PostgreSQL versions. The databases
// are dropped at the end.
//
// Usage: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npm run bench:inbound
// The name ends in .bench.ts so that tests/run.ts, which runs every *.test.ts, leaves it out.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config.ts';
import { createDatabaseClient, type Database } from '../../src/db/client.ts';
import {
  processPendingInbound,
  storeInboundMessage,
  type InboundDeps,
} from '../../src/mail/inbound/ingest.ts';
import { startSmtpListener } from '../../src/mail/inbound/smtp-listener.ts';
import { replyAddress, withReplySecret } from '../../src/mail/reply-address.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createTestTicket } from '../support/factories.ts';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 3000);
const REQUESTERS = 500;
const TECHNICIANS = 10;
const TICKETS = 300;
/** Connections that Nodemailer opens to the SMTP listener at once, as a relay would. */
const SMTP_CONNECTIONS = 4;

const NOUNS = ['imprimante', 'écran', 'clavier', 'VPN', 'messagerie', 'badge', 'wifi', 'licence'];
const PROBLEMS = ['ne démarre plus', 'très lent', 'hors service', 'affiche une erreur'];

interface Fixture {
  deps: InboundDeps;
  database: TestDatabase;
  tickets: { id: number; requesterEmail: string }[];
  requesters: string[];
}

function pick<T>(list: T[], index: number): T {
  return list[index % list.length];
}

async function createFixture(label: string): Promise<Fixture> {
  const database = await createTestDatabase();
  const config: Config = withReplySecret(
    loadConfig({
      DATABASE_URL: database.url,
      MAIL_FROM: 'Guichet <helpdesk@guichet.test>',
      BASE_URL: 'http://guichet.test',
      LOG_LEVEL: 'silent',
    }),
    `bench-secret-${label}`.padEnd(40, 'x'),
  );
  const db: Database = createDatabaseClient(database.url, 10);
  const deps = { db, config, logger: pino({ level: 'silent' }) };

  await db.user.createMany({
    data: Array.from({ length: TECHNICIANS }, (_, index) => ({
      email: `technicien${index}@guichet.test`,
      name: `Technicien ${index}`,
      role: 'TECHNICIAN' as const,
    })),
  });
  await db.user.createMany({
    data: Array.from({ length: REQUESTERS }, (_, index) => ({
      email: `utilisateur${index}@example.org`,
      name: `Utilisateur ${index}`,
      role: 'REQUESTER' as const,
    })),
  });
  const requesters = await db.user.findMany({
    where: { role: 'REQUESTER' },
    orderBy: { id: 'asc' },
  });
  const tickets: Fixture['tickets'] = [];
  for (let index = 0; index < TICKETS; index++) {
    const requester = requesters[(index * 7) % requesters.length];
    const ticket = await createTestTicket(db, requester, {
      title: `${pick(NOUNS, index)} ${pick(PROBLEMS, index)}`,
    });
    tickets.push({ id: ticket.id, requesterEmail: requester.email });
  }
  return { deps, database, tickets, requesters: requesters.map((user) => user.email) };
}

/** Builds the raw messages, each with a unique Message-ID that contains `label`. */
async function generateMessages(fixture: Fixture, label: string): Promise<Buffer[]> {
  const { config } = fixture.deps;
  const messages: Buffer[] = [];
  for (let index = 0; index < MESSAGES; index++) {
    const kind = index % 20;
    const messageId = `<bench-${label}-${index}@example.org>`;
    const noun = pick(NOUNS, index);
    let options: ConstructorParameters<typeof MailComposer>[0];
    if (kind < 11) {
      const ticket = pick(fixture.tickets, index * 13);
      options = {
        from: ticket.requesterEmail,
        to: replyAddress(ticket.id, config),
        subject: `Re: ${noun}`,
        text: `Bonjour,\n\nToujours le même problème avec ${noun}.\n\n> Message précédent cité\n`,
      };
    } else if (kind < 17) {
      options = {
        from: pick(fixture.requesters, index * 31),
        to: 'helpdesk@guichet.test',
        subject: `${noun} ${pick(PROBLEMS, index)}`,
        text: `Bonjour,\n\nMon ${noun} ${pick(PROBLEMS, index)} depuis ce matin.\n\nMerci`,
      };
    } else if (kind < 19) {
      const ticket = pick(fixture.tickets, index * 17);
      options = {
        from: ticket.requesterEmail,
        to: replyAddress(ticket.id, config),
        subject: 'Réponse automatique : absent du bureau',
        text: 'Je suis absent jusqu’au 15 et lirai votre message à mon retour.',
        headers: { 'Auto-Submitted': 'auto-replied' },
      };
    } else {
      options = {
        from: `inconnu${index}@example.net`,
        to: 'helpdesk@guichet.test',
        subject: 'Demande',
        text: 'Bonjour, je ne suis pas encore utilisateur.',
      };
    }
    messages.push(await new MailComposer({ ...options, messageId }).compile().build());
  }
  return messages;
}

function rate(count: number, milliseconds: number): string {
  return `${Math.round((count * 1000) / milliseconds)} messages/s`.padStart(16);
}

function line(label: string, count: number, milliseconds: number): void {
  const seconds = (milliseconds / 1000).toFixed(2).padStart(7);
  const counted = String(count).padStart(6);
  console.log(`  ${label.padEnd(38)} ${counted} in ${seconds} s ${rate(count, milliseconds)}`);
}

async function printOutcomes(db: Database): Promise<void> {
  const groups = await db.inboundMessage.groupBy({ by: ['status'], _count: { _all: true } });
  const parts = groups.map((group) => `${group.status} ${group._count._all}`).sort();
  console.log(`  outcomes: ${parts.join(', ')}`);
}

async function waitUntilProcessed(db: Database, expected: number): Promise<void> {
  for (;;) {
    const stored = await db.inboundMessage.count();
    const waiting = await db.inboundMessage.count({ where: { status: 'RECEIVED' } });
    if (stored >= expected && waiting === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function benchmarkCore(): Promise<void> {
  const fixture = await createFixture('core');
  try {
    const messages = await generateMessages(fixture, 'core');
    console.log(`Core (storeInboundMessage, then processPendingInbound), ${MESSAGES} messages:`);

    const storeStart = performance.now();
    for (const raw of messages) await storeInboundMessage(fixture.deps, raw, 'pipe');
    const storeTime = performance.now() - storeStart;
    line('store, one at a time', MESSAGES, storeTime);

    const processStart = performance.now();
    const processed = await processPendingInbound(fixture.deps);
    const processTime = performance.now() - processStart;
    line('process pending, one pass', processed, processTime);
    line('store and process', MESSAGES, storeTime + processTime);
    await printOutcomes(fixture.deps.db);
  } finally {
    await fixture.deps.db.$disconnect();
    await fixture.database.drop();
  }
}

async function benchmarkSmtp(): Promise<void> {
  const fixture = await createFixture('smtp');
  const listener = await startSmtpListener(fixture.deps, {
    host: '127.0.0.1',
    port: 0,
    domains: fixture.deps.config.inboundDomains,
    maxBytes: fixture.deps.config.INBOUND_MAX_BYTES,
  });
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: listener.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: SMTP_CONNECTIONS,
    maxMessages: Infinity,
  });
  try {
    const messages = await generateMessages(fixture, 'smtp');
    console.log(
      `SMTP listener, Nodemailer over 127.0.0.1 with ${SMTP_CONNECTIONS} connections, ` +
        `${MESSAGES} messages:`,
    );
    const start = performance.now();
    await Promise.all(
      messages.map((raw) =>
        transport.sendMail({
          envelope: { from: 'relay@example.org', to: extractRecipient(raw) },
          raw,
        }),
      ),
    );
    const acceptedTime = performance.now() - start;
    line('accepted (stored before 250)', MESSAGES, acceptedTime);
    await waitUntilProcessed(fixture.deps.db, MESSAGES);
    line('accepted and processed', MESSAGES, performance.now() - start);
    await printOutcomes(fixture.deps.db);
  } finally {
    transport.close();
    await listener.close();
    await fixture.deps.db.$disconnect();
    await fixture.database.drop();
  }
}

function extractRecipient(raw: Buffer): string {
  const match = /^To: (.+)$/m.exec(raw.toString('utf8'));
  if (!match) throw new Error('Generated message without a To header');
  return match[1].trim().replace(/^.*<([^>]+)>.*$/, '$1');
}

async function main(): Promise<void> {
  const database = createDatabaseClient(process.env.DATABASE_URL ?? '', 1);
  const [{ server_version: version }] = await database.$queryRaw<{ server_version: string }[]>`
    SHOW server_version`;
  await database.$disconnect();
  const cpus = os.cpus();
  console.log(`CPU: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores`);
  console.log(`Node.js ${process.version}, PostgreSQL ${version}`);
  console.log(
    `Data: ${REQUESTERS} requesters, ${TECHNICIANS} technicians, ${TICKETS} open tickets; ` +
      'messages: 55% replies, 30% new tickets, 10% auto-replies, 5% unknown senders',
  );
  console.log();
  await benchmarkCore();
  console.log();
  await benchmarkSmtp();
}

if (!process.env.DATABASE_URL) {
  console.error(
    'DATABASE_URL is not set: set it to a server where the benchmark may create databases.',
  );
  process.exit(1);
}
await main();
