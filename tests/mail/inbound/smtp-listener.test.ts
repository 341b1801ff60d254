import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { loadConfig } from '../../../src/config.ts';
import { createDatabaseClient } from '../../../src/db/client.ts';
import {
  smtpListenerOptionsFrom,
  startSmtpListener,
  type SmtpListener,
} from '../../../src/mail/inbound/smtp-listener.ts';
import { replyAddress } from '../../../src/mail/reply-address.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { createTestTicket, createUser } from '../../support/factories.ts';

const MAX_BYTES = 64 * 1024;

let context: TestContext;
let listener: SmtpListener;

function transportTo(port: number) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
}

async function waitFor<T>(
  description: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function smtpResponseCode(error: unknown): number | undefined {
  return (error as { responseCode?: number }).responseCode;
}

/**
 * Runs an SMTP dialogue over a raw socket and returns the reply to each line, so a test can
 * send what Nodemailer would not, such as a large message without the SIZE parameter.
 */
async function converse(port: number, lines: string[]): Promise<string[]> {
  const socket = createConnection({ host: '127.0.0.1', port });
  const replies: string[] = [];
  let buffer = '';
  let failure: Error | undefined;
  let notify = () => {};
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    // A reply is complete at the first line whose code is followed by a space.
    for (let match = /^\d{3} .*\r\n/m.exec(buffer); match; match = /^\d{3} .*\r\n/m.exec(buffer)) {
      const end = match.index + match[0].length;
      replies.push(buffer.slice(0, end));
      buffer = buffer.slice(end);
    }
    notify();
  });
  socket.on('error', (error) => {
    failure = error;
    notify();
  });
  const waitForReplies = async (count: number) => {
    while (replies.length < count) {
      if (failure) throw failure;
      await new Promise<void>((resolve) => (notify = resolve));
    }
  };

  await waitForReplies(1);
  for (const line of lines) {
    socket.write(`${line}\r\n`);
    await waitForReplies(replies.length + 1);
  }
  socket.destroy();
  return replies.slice(1);
}

describe('inbound SMTP listener', () => {
  before(async () => {
    context = await createTestContext();
    listener = await startSmtpListener(context, {
      host: '127.0.0.1',
      port: 0,
      domains: context.config.inboundDomains,
      maxBytes: MAX_BYTES,
    });
  });
  after(async () => {
    await listener?.close();
    await context?.close();
  });
  beforeEach(async () => {
    await context.db.inboundMessage.deleteMany();
  });

  it('stores a message to a plus-address', async () => {
    const transport = transportTo(listener.port);
    const info = await transport.sendMail({
      from: 'Alice <alice@example.org>',
      to: 'helpdesk+42.0123456789abcdef@guichet.test',
      subject: 'Re: Imprimante',
      text: 'Elle marche de nouveau.',
      messageId: '<reply-1@example.org>',
    });
    transport.close();

    assert.match(info.response, /^250 /);
    const rows = await context.db.inboundMessage.findMany();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].source, 'smtp');
    assert.equal(rows[0].messageKey, '<reply-1@example.org>');
    const raw = Buffer.from(rows[0].raw).toString('utf8');
    assert.match(raw, /^Return-Path: <alice@example\.org>\r\n/);
    assert.match(raw, /\r\nDelivered-To: helpdesk\+42\.0123456789abcdef@guichet\.test\r\n/);
    assert.match(raw, /\r\nSubject: Re: Imprimante\r\n/);
    assert.match(raw, /Elle marche de nouveau\./);
  });

  it('processes a reply after storing it', async () => {
    const requester = await createUser(context.db, { email: 'requester@example.org' });
    const ticket = await createTestTicket(context.db, requester);
    const transport = transportTo(listener.port);
    await transport.sendMail({
      from: requester.email,
      to: 'Guichet <helpdesk@guichet.test>',
      bcc: replyAddress(ticket.id, context.config),
      subject: 'Re: Imprimante du 2e étage hors service',
      text: 'Le technicien peut passer cet après-midi.',
    });
    transport.close();

    const row = await waitFor(
      'the reply to be processed',
      () => context.db.inboundMessage.findFirstOrThrow(),
      (found) => found.status !== 'RECEIVED',
    );
    assert.equal(row.status, 'PROCESSED');
    assert.equal(row.ticketId, ticket.id);
    assert.equal(row.matchedBy, 'REPLY_ADDRESS');
  });

  it('accepts the domain in any case', async () => {
    const transport = transportTo(listener.port);
    const info = await transport.sendMail({
      from: 'alice@example.org',
      to: 'HelpDesk@GUICHET.TEST',
      subject: 'Écran noir',
      text: 'Mon écran reste noir.',
    });
    transport.close();

    assert.equal(info.accepted.length, 1);
    assert.deepEqual(info.rejected, []);
    assert.equal(await context.db.inboundMessage.count(), 1);
  });

  it('rejects a foreign domain with 550', async () => {
    const transport = transportTo(listener.port);
    const sending = transport.sendMail({
      from: 'spammer@example.net',
      to: 'someone@example.org',
      subject: 'Relay',
      text: 'Relay this.',
    });
    await assert.rejects(sending, (error) => {
      assert.equal(smtpResponseCode(error), 550);
      return true;
    });
    transport.close();

    assert.equal(await context.db.inboundMessage.count(), 0);
  });

  it('keeps the served recipients of a mixed message', async () => {
    const transport = transportTo(listener.port);
    const info = await transport.sendMail({
      from: 'alice@example.org',
      to: ['helpdesk@guichet.test', 'bob@example.org'],
      subject: 'Copie',
      text: 'Deux destinataires.',
    });
    transport.close();

    assert.deepEqual(info.accepted, ['helpdesk@guichet.test']);
    assert.deepEqual(info.rejected, ['bob@example.org']);
    const row = await context.db.inboundMessage.findFirstOrThrow();
    const raw = Buffer.from(row.raw).toString('utf8');
    assert.match(raw, /Delivered-To: helpdesk@guichet\.test\r\n/);
    assert.doesNotMatch(raw, /Delivered-To: bob@example\.org/);
  });

  it('rejects a declared oversized message with 552', async () => {
    const transport = transportTo(listener.port);
    const sending = transport.sendMail({
      from: 'alice@example.org',
      to: 'helpdesk@guichet.test',
      subject: 'Trop gros',
      text: 'x'.repeat(MAX_BYTES * 2),
    });
    await assert.rejects(sending, (error) => {
      assert.equal(smtpResponseCode(error), 552);
      return true;
    });
    transport.close();

    assert.equal(await context.db.inboundMessage.count(), 0);
  });

  it('announces SIZE and rejects an undeclared oversized message', async () => {
    const line = 'y'.repeat(998);
    const body = Array.from({ length: Math.ceil((MAX_BYTES * 2) / 1000) }, () => line);
    const replies = await converse(listener.port, [
      'EHLO client.example.org',
      'MAIL FROM:<alice@example.org>',
      'RCPT TO:<helpdesk@guichet.test>',
      'DATA',
      ['Subject: Sans taille', '', ...body, '.'].join('\r\n'),
      'QUIT',
    ]);

    assert.match(replies[0], new RegExp(`^250[- ]SIZE ${MAX_BYTES}\\r$`, 'm'));
    assert.doesNotMatch(replies[0], /STARTTLS|AUTH/);
    assert.match(replies[1], /^250 /);
    assert.match(replies[2], /^250 /);
    assert.match(replies[3], /^354 /);
    assert.match(replies[4], /^552 /);
    assert.equal(await context.db.inboundMessage.count(), 0);
  });

  it('stores a retried message once', async () => {
    const message = {
      from: 'alice@example.org',
      to: 'helpdesk@guichet.test',
      subject: 'Deux fois',
      text: 'Envoyé deux fois.',
      messageId: '<retried@example.org>',
    };
    const transport = transportTo(listener.port);
    const first = await transport.sendMail(message);
    const second = await transport.sendMail(message);
    transport.close();

    assert.match(first.response, /^250 /);
    assert.match(second.response, /^250 /);
    assert.equal(await context.db.inboundMessage.count(), 1);
  });

  it('answers 451 when the database is down', async () => {
    // Port 1 on 127.0.0.1 has no PostgreSQL, so every query fails to connect.
    const unreachable = createDatabaseClient('postgresql://postgres@127.0.0.1:1/none', 1);
    const failing = await startSmtpListener(
      { ...context, db: unreachable },
      { host: '127.0.0.1', port: 0, domains: ['guichet.test'], maxBytes: MAX_BYTES },
    );
    const transport = transportTo(failing.port);
    const sending = transport.sendMail({
      from: 'alice@example.org',
      to: 'helpdesk@guichet.test',
      subject: 'Base arrêtée',
      text: 'À réessayer.',
    });
    await assert.rejects(sending, (error) => {
      assert.equal(smtpResponseCode(error), 451);
      return true;
    });
    transport.close();
    await failing.close();
    await unreachable.$disconnect();
  });
});

describe('inbound SMTP configuration', () => {
  const base = { MAIL_FROM: 'Guichet <helpdesk@guichet.test>' };

  it('is off without INBOUND_SMTP_PORT', () => {
    assert.equal(smtpListenerOptionsFrom(loadConfig(base)), null);
  });

  it('defaults to localhost, MAIL_FROM domain and 25 MB', () => {
    const options = smtpListenerOptionsFrom(loadConfig({ ...base, INBOUND_SMTP_PORT: '2525' }));
    assert.deepEqual(options, {
      host: '127.0.0.1',
      port: 2525,
      domains: ['guichet.test'],
      maxBytes: 25 * 1024 * 1024,
      tlsCertFile: undefined,
      tlsKeyFile: undefined,
    });
  });

  it('reads a list of domains', () => {
    const config = loadConfig({
      ...base,
      INBOUND_SMTP_PORT: '2525',
      INBOUND_DOMAINS: 'Example.org, support.example.org',
    });
    assert.deepEqual(config.inboundDomains, ['example.org', 'support.example.org']);
  });

  it('rejects invalid settings', () => {
    const invalidDomain = { ...base, INBOUND_DOMAINS: 'not a domain' };
    assert.throws(() => loadConfig(invalidDomain), /INBOUND_DOMAINS/);
    assert.throws(
      () => loadConfig({ ...base, INBOUND_SMTP_TLS_CERT: '/etc/ssl/cert.pem' }),
      /INBOUND_SMTP_TLS_CERT, INBOUND_SMTP_TLS_KEY: set both or neither/,
    );
    assert.throws(() => loadConfig({ ...base, INBOUND_MAX_BYTES: '10' }), /INBOUND_MAX_BYTES/);
  });
});
