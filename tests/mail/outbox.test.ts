import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { inviteUser } from '../../src/accounts/service.ts';
import { createFileTransport, createSmtpTransport } from '../../src/mail/transport.ts';
import { OutboxWorker, retryDelaySeconds } from '../../src/mail/worker.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createTestTicket, createUser } from '../support/factories.ts';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.ts';

let context: TestContext;
let smtp: TestSmtpServer;

before(async () => {
  smtp = await startSmtpServer();
  context = await createTestContext({
    MAIL_TRANSPORT: 'smtp',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    OUTBOX_RETRY_BASE_SECONDS: '0',
    OUTBOX_MAX_ATTEMPTS: '3',
  });
});
after(async () => {
  await context.close();
  await smtp.close();
});
beforeEach(async () => {
  await context.db.outboundEmail.deleteMany();
  smtp.messages.length = 0;
});

function smtpWorker() {
  const { db, config, logger } = context;
  return new OutboxWorker({ db, config, logger, transport: createSmtpTransport(config) });
}

describe('OutboxWorker over SMTP', () => {
  it('delivers an invitation with both parts', async () => {
    const user = await inviteUser(
      context.db,
      context.config,
      { email: 'Nouvelle@Example.org', name: 'Nadia Nouvelle', role: 'REQUESTER', locale: 'fr' },
      { name: 'Alice Admin' },
    );
    assert.equal(await smtpWorker().drain(), 1);
    assert.equal(smtp.messages.length, 1);
    const [message] = smtp.messages;
    assert.equal(message.to && 'text' in message.to ? message.to.text : '', 'nouvelle@example.org');
    assert.equal(message.subject, "Votre accès au service d'assistance informatique");
    assert.match(message.text ?? '', /Réinitialiser mon mot de passe/);
    assert.match(String(message.html), /Réinitialiser mon mot de passe/);
    assert.match(message.text ?? '', /http:\/\/guichet\.test\/password\/reset\?token=[\w-]{40,}/);
    assert.match(message.messageId ?? '', /^<guichet\.[\w-]+@guichet\.test>$/);
    assert.equal(message.headers.get('auto-submitted'), 'auto-generated');

    const row = await context.db.outboundEmail.findFirstOrThrow({ where: { userId: user.id } });
    assert.equal(row.status, 'SENT');
    assert.equal(row.attempts, 1);
    assert.equal((row.payload as { token: unknown }).token, null, 'the link secret is erased');
  });

  it('writes English emails for English users', async () => {
    await inviteUser(
      context.db,
      context.config,
      { email: 'new.hire@example.org', name: 'New Hire', role: 'REQUESTER', locale: 'en' },
      null,
    );
    await smtpWorker().drain();
    assert.equal(smtp.messages[0].subject, 'Your access to the IT help desk');
    assert.match(smtp.messages[0].text ?? '', /Reset my password/);
  });

  it('threads ticket emails and names the reference', async () => {
    const user = await createUser(context.db);
    const ticket = await createTestTicket(context.db, user, { title: 'Problème d’accès réseau' });
    await smtpWorker().drain();
    const [message] = smtp.messages;
    assert.equal(
      message.subject,
      `[${ticket.reference}] Ticket enregistré : Problème d’accès réseau`,
    );
    assert.equal(message.messageId, ticket.messageId, 'the first email carries the ticket id');
    assert.match(message.text ?? '', new RegExp(ticket.reference));
    assert.match(String(message.html), /Problème d’accès réseau/);
  });

  it('references the thread from later emails', async () => {
    const user = await createUser(context.db);
    const ticket = await createTestTicket(context.db, user);
    await context.db.outboundEmail.create({
      data: {
        kind: 'ticket-created',
        toAddress: user.email,
        userId: user.id,
        locale: 'fr',
        ticketId: ticket.id,
        payload: {},
        messageId: '<later@guichet.test>',
      },
    });
    await smtpWorker().drain();
    const later = smtp.messages.find((message) => message.messageId === '<later@guichet.test>');
    assert.ok(later, 'the second email is delivered');
    assert.equal(later.inReplyTo, ticket.messageId);
    assert.deepEqual([later.references].flat(), [ticket.messageId]);
  });

  it('retries after a refusal', async () => {
    const user = await createUser(context.db);
    await createTestTicket(context.db, user);
    smtp.rejectNext(1);
    const worker = smtpWorker();
    await worker.runOnce();
    const failed = await context.db.outboundEmail.findFirstOrThrow();
    assert.equal(failed.status, 'PENDING');
    assert.equal(failed.attempts, 1);
    assert.match(failed.lastError ?? '', /451/);
    assert.equal(smtp.messages.length, 0);

    await worker.runOnce();
    const sent = await context.db.outboundEmail.findFirstOrThrow();
    assert.equal(sent.status, 'SENT');
    assert.equal(sent.attempts, 2);
    assert.equal(smtp.messages.length, 1);
  });

  it('gives up after the maximum attempts', async () => {
    const user = await createUser(context.db);
    await createTestTicket(context.db, user);
    smtp.rejectNext(3);
    const worker = smtpWorker();
    for (let attempt = 0; attempt < 4; attempt++) await worker.runOnce();
    const row = await context.db.outboundEmail.findFirstOrThrow();
    assert.equal(row.status, 'FAILED');
    assert.equal(row.attempts, 3);
    smtp.rejectNext(0);
  });

  it('waits before the next attempt', async () => {
    assert.equal(retryDelaySeconds(1, 30), 30);
    assert.equal(retryDelaySeconds(2, 30), 60);
    assert.equal(retryDelaySeconds(5, 30), 480);
    assert.equal(retryDelaySeconds(30, 30), 6 * 3600, 'capped at 6 hours');
  });

  it('sends each email once with two workers', async () => {
    const user = await createUser(context.db);
    for (let index = 0; index < 30; index++) await createTestTicket(context.db, user);
    const first = smtpWorker();
    const second = smtpWorker();
    const [a, b] = await Promise.all([first.drain(), second.drain()]);
    assert.equal(a + b, 30, 'the workers claimed 30 emails between them');
    assert.equal(smtp.messages.length, 30);
    const ids = new Set(smtp.messages.map((message) => message.messageId));
    assert.equal(ids.size, 30, 'no email was sent twice');
  });

  it('is woken by NOTIFY when a ticket commits', async () => {
    const { db, config, logger } = context;
    const worker = new OutboxWorker({
      db,
      config: { ...config, OUTBOX_POLL_SECONDS: 3600 },
      logger,
      transport: createSmtpTransport(config),
      listenUrl: context.databaseUrl,
    });
    await worker.start();
    try {
      const user = await createUser(context.db);
      await createTestTicket(context.db, user);
      const deadline = Date.now() + 10_000;
      while (smtp.messages.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(smtp.messages.length, 1, 'sent without waiting for the hourly poll');
    } finally {
      await worker.stop();
    }
  });
});

describe('file transport', () => {
  it('writes a readable .eml file', async () => {
    const directory = path.join(context.dataDir, 'mail');
    const { db, config, logger } = context;
    const worker = new OutboxWorker({
      db,
      config,
      logger,
      transport: createFileTransport(directory),
    });
    const user = await createUser(context.db);
    const ticket = await createTestTicket(context.db, user);
    await worker.drain();
    const files = (await readdir(directory)).filter((name) => name.endsWith('.eml'));
    assert.equal(files.length, 1);
    const message = await simpleParser(await readFile(path.join(directory, files[0])));
    assert.match(message.subject ?? '', new RegExp(`^\\[${ticket.reference}\\]`));
    assert.ok(message.text, 'text part');
    assert.ok(message.html, 'HTML part');
  });
});
