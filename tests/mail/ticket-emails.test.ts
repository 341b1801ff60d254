import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ParsedMail } from 'mailparser';
import type { User } from '../../src/db/client.ts';
import { replyAddress, verifyReplyAddress, withReplySecret } from '../../src/mail/reply-address.ts';
import { createSmtpTransport } from '../../src/mail/transport.ts';
import { OutboxWorker } from '../../src/mail/worker.ts';
import {
  addInternalNote,
  askForInformation,
  assignTicket,
  reopenTicket,
  replyAsRequester,
  replyAsStaff,
  resolveTicket,
  takeTicket,
} from '../../src/tickets/actions.ts';
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
  });
});
after(async () => {
  await context.close();
  await smtp.close();
});
beforeEach(() => {
  smtp.messages.length = 0;
});

/** Sends every queued email through the SMTP server and returns what it received. */
async function deliver(): Promise<ParsedMail[]> {
  const { db, config, logger } = context;
  const worker = new OutboxWorker({ db, config, logger, transport: createSmtpTransport(config) });
  await worker.drain();
  return [...smtp.messages];
}

function recipientOf(message: ParsedMail): string {
  const to = Array.isArray(message.to) ? message.to[0] : message.to;
  return to?.value[0]?.address ?? '';
}

function replyToOf(message: ParsedMail): string {
  return message.replyTo?.value[0]?.address ?? '';
}

/** Creates a ticket whose acknowledgement email is already sent, so later emails are replies. */
async function sentTicket(requester: User, title = 'Imprimante bloquée') {
  const ticket = await createTestTicket(context.db, requester, { title });
  await deliver();
  smtp.messages.length = 0;
  return ticket;
}

/** Checks what every email about a ticket carries, then returns the message for more checks. */
function assertTicketEmail(
  messages: ParsedMail[],
  expected: {
    to: User;
    ticket: { id: number; reference: string; messageId: string };
    subject: string;
  },
): ParsedMail {
  assert.equal(messages.length, 1, `one email, to ${expected.to.email}`);
  const [message] = messages;
  assert.equal(recipientOf(message), expected.to.email);
  assert.equal(message.subject, `[${expected.ticket.reference}] ${expected.subject}`);
  assert.equal(message.inReplyTo, expected.ticket.messageId);
  assert.deepEqual([message.references].flat(), [expected.ticket.messageId]);
  assert.equal(message.headers.get('auto-submitted'), 'auto-generated');
  const replyTo = replyToOf(message);
  assert.match(
    replyTo,
    new RegExp(`^helpdesk\\+${expected.ticket.id}\\.[0-9a-f]{16}@guichet\\.test$`),
  );
  assert.equal(verifyReplyAddress(replyTo, context.config), expected.ticket.id);
  assert.ok(message.html, 'HTML part');
  return message;
}

describe('ticket emails', () => {
  it('tells the requester who took the ticket, in French', async () => {
    const requester = await createUser(context.db, { locale: 'fr' });
    const technician = await createUser(context.db, { role: 'TECHNICIAN', name: 'Théo Martin' });
    const ticket = await sentTicket(requester);
    await takeTicket(context.db, context.config, technician, { ticketId: ticket.id });

    const message = assertTicketEmail(await deliver(), {
      to: requester,
      ticket,
      subject: 'Ticket pris en charge : Imprimante bloquée',
    });
    assert.match(message.text ?? '', /Théo Martin a pris en charge votre ticket/);
    assert.match(message.text ?? '', new RegExp(technician.email));
    assert.match(String(message.html), new RegExp(`href="mailto:${technician.email}"`));
  });

  it('tells the requester who took the ticket, in English', async () => {
    const requester = await createUser(context.db, { locale: 'en' });
    const technician = await createUser(context.db, { role: 'TECHNICIAN', name: 'Theo Martin' });
    const ticket = await sentTicket(requester, 'Printer jammed');
    await takeTicket(context.db, context.config, technician, { ticketId: ticket.id });

    const message = assertTicketEmail(await deliver(), {
      to: requester,
      ticket,
      subject: 'Ticket taken in charge: Printer jammed',
    });
    assert.match(message.text ?? '', /Theo Martin has taken your ticket/);
  });

  it('sends the question with both ways to reply', async () => {
    const requester = await createUser(context.db, { locale: 'fr' });
    const technician = await createUser(context.db, { role: 'TECHNICIAN' });
    const ticket = await sentTicket(requester);
    await askForInformation(context.db, context.config, technician, {
      ticketId: ticket.id,
      body: 'Quel message affiche l’écran ?',
    });

    const message = assertTicketEmail(await deliver(), {
      to: requester,
      ticket,
      subject: 'Informations demandées : Imprimante bloquée',
    });
    assert.match(message.text ?? '', /Quel message affiche l’écran \?/);
    assert.match(message.text ?? '', /Répondez à cet e-mail ou sur la page du ticket/);
    assert.match(
      message.text ?? '',
      new RegExp(`http://guichet\\.test/tickets/${ticket.reference}`),
    );
  });

  it('sends a technician reply to the requester, in English', async () => {
    const requester = await createUser(context.db, { locale: 'en' });
    const technician = await createUser(context.db, { role: 'ADMIN', name: 'Ada Admin' });
    const ticket = await sentTicket(requester, 'VPN down');
    await replyAsStaff(context.db, context.config, technician, {
      ticketId: ticket.id,
      body: 'We are restarting the gateway.',
    });

    const message = assertTicketEmail(await deliver(), {
      to: requester,
      ticket,
      subject: 'New reply: VPN down',
    });
    assert.match(message.text ?? '', /Ada Admin replied on your ticket/);
    assert.match(message.text ?? '', /We are restarting the gateway\./);
  });

  it('sends the requester reply to the assignee', async () => {
    const requester = await createUser(context.db, { name: 'Rémi Demandeur' });
    const technician = await createUser(context.db, { role: 'TECHNICIAN', locale: 'en' });
    const ticket = await sentTicket(requester);
    await takeTicket(context.db, context.config, technician, { ticketId: ticket.id });
    await deliver();
    smtp.messages.length = 0;
    await replyAsRequester(context.db, context.config, requester, {
      ticketId: ticket.id,
      body: 'Le voyant clignote en orange.',
    });

    const message = assertTicketEmail(await deliver(), {
      to: technician,
      ticket,
      subject: 'Reply from the requester: Imprimante bloquée',
    });
    assert.match(message.text ?? '', /Rémi Demandeur replied on ticket/);
    assert.match(message.text ?? '', /Le voyant clignote en orange\./);
  });

  it('sends nothing on a requester reply to an unassigned ticket', async () => {
    const requester = await createUser(context.db);
    const ticket = await sentTicket(requester);
    await replyAsRequester(context.db, context.config, requester, {
      ticketId: ticket.id,
      body: 'Précision.',
    });
    assert.equal((await deliver()).length, 0);
  });

  it('sends the answer and summary on resolution', async () => {
    const requester = await createUser(context.db, { locale: 'fr' });
    const technician = await createUser(context.db, { role: 'TECHNICIAN', name: 'Théo Martin' });
    const ticket = await sentTicket(requester);
    await takeTicket(context.db, context.config, technician, { ticketId: ticket.id });
    await deliver();
    smtp.messages.length = 0;
    await resolveTicket(context.db, context.config, technician, {
      ticketId: ticket.id,
      body: 'Le bac 2 était mal engagé ; il est remis en place.',
    });

    const message = assertTicketEmail(await deliver(), {
      to: requester,
      ticket,
      subject: 'Ticket résolu : Imprimante bloquée',
    });
    const text = message.text ?? '';
    assert.match(text, /Le bac 2 était mal engagé ; il est remis en place\./);
    assert.match(text, new RegExp(`Référence : ${ticket.reference}`));
    assert.match(text, /Titre : Imprimante bloquée/);
    assert.match(text, /Catégorie : \S+/);
    assert.match(text, /Ouvert le : \d/);
    assert.match(text, /Résolu le : \d/);
    assert.match(text, /Traité par : Théo Martin/);
    assert.match(text, /clos automatiquement dans 7 jours/);
    const page = `http://guichet.test/tickets/${ticket.reference}`;
    assert.ok(text.includes(`${page}#confirm`), 'link to confirm');
    assert.ok(text.includes(`${page}#reopen`), 'link to reopen');
    assert.match(String(message.html), /Confirmer la résolution/);
  });

  it('sends a reopening to the assignee', async () => {
    const requester = await createUser(context.db, { name: 'Rémi Demandeur' });
    const technician = await createUser(context.db, { role: 'TECHNICIAN' });
    const ticket = await sentTicket(requester);
    await takeTicket(context.db, context.config, technician, { ticketId: ticket.id });
    await resolveTicket(context.db, context.config, technician, {
      ticketId: ticket.id,
      body: 'Fait.',
    });
    await deliver();
    smtp.messages.length = 0;
    await reopenTicket(context.db, context.config, requester, {
      ticketId: ticket.id,
      body: 'Toujours bloquée.',
    });

    const message = assertTicketEmail(await deliver(), {
      to: technician,
      ticket,
      subject: 'Ticket rouvert : Imprimante bloquée',
    });
    assert.match(message.text ?? '', /Rémi Demandeur indique que le ticket .* n'est pas résolu/);
    assert.match(message.text ?? '', /Toujours bloquée\./);
  });

  it('tells a technician a ticket was assigned to them', async () => {
    const requester = await createUser(context.db);
    const admin = await createUser(context.db, { role: 'ADMIN', name: 'Ada Admin' });
    const technician = await createUser(context.db, { role: 'TECHNICIAN', locale: 'en' });
    const ticket = await sentTicket(requester);
    await assignTicket(context.db, context.config, admin, {
      ticketId: ticket.id,
      assigneeId: technician.id,
    });

    const messages = await deliver();
    const assigned = messages.filter((message) => recipientOf(message) === technician.email);
    const message = assertTicketEmail(assigned, {
      to: technician,
      ticket,
      subject: 'Ticket assigned to you: Imprimante bloquée',
    });
    assert.match(message.text ?? '', /Ada Admin assigned ticket/);
    assert.match(message.text ?? '', /Elle affiche « erreur 49 »/, 'the description is included');
    const taken = messages.filter((candidate) => recipientOf(candidate) === requester.email);
    assert.equal(taken.length, 1, 'the requester learns who handles the ticket');
  });

  it('emails nobody about their own action', async () => {
    const technician = await createUser(context.db, { role: 'TECHNICIAN' });
    const ticket = await sentTicket(technician);
    await assignTicket(context.db, context.config, technician, {
      ticketId: ticket.id,
      assigneeId: technician.id,
    });
    await replyAsRequester(context.db, context.config, technician, {
      ticketId: ticket.id,
      body: 'Note à moi-même.',
    });
    await resolveTicket(context.db, context.config, technician, {
      ticketId: ticket.id,
      body: 'Réglé.',
    });
    assert.equal((await deliver()).length, 0);
  });

  it('never emails an internal note', async () => {
    const requester = await createUser(context.db);
    const technician = await createUser(context.db, { role: 'TECHNICIAN' });
    const ticket = await sentTicket(requester);
    await takeTicket(context.db, context.config, technician, { ticketId: ticket.id });
    await deliver();
    smtp.messages.length = 0;
    await addInternalNote(context.db, technician, {
      ticketId: ticket.id,
      body: 'Ne pas dire au demandeur.',
    });
    assert.equal((await deliver()).length, 0);
    const queued = await context.db.outboundEmail.count({
      where: { ticketId: ticket.id, status: 'PENDING' },
    });
    assert.equal(queued, 0);
  });

  it('puts the Reply-To on the acknowledgement too', async () => {
    const requester = await createUser(context.db);
    const ticket = await createTestTicket(context.db, requester);
    const [message] = await deliver();
    assert.equal(verifyReplyAddress(replyToOf(message), context.config), ticket.id);
  });
});

describe('reply addresses', () => {
  const config = withReplySecret(
    { MAIL_FROM: 'Guichet <helpdesk@example.org>', MAIL_REPLY_SECRET: undefined },
    'a-session-secret-of-at-least-32-characters',
  );

  it('round-trips a ticket id', () => {
    const address = replyAddress(123, config);
    assert.match(address, /^helpdesk\+123\.[0-9a-f]{16}@example\.org$/);
    assert.equal(verifyReplyAddress(address, config), 123);
    assert.equal(verifyReplyAddress(address.toUpperCase(), config), 123, 'case-insensitive');
    assert.equal(verifyReplyAddress(`<${address}>`, config), 123, 'angle brackets');
  });

  it('rejects an altered ticket id', () => {
    const tag = replyAddress(123, config).split('.')[1].split('@')[0];
    assert.equal(verifyReplyAddress(`helpdesk+124.${tag}@example.org`, config), null);
  });

  it('rejects an altered or forged tag', () => {
    const address = replyAddress(123, config);
    const tag = /\.([0-9a-f]+)@/.exec(address)![1];
    const flipped = tag.slice(0, -1) + (tag.endsWith('0') ? '1' : '0');
    assert.equal(verifyReplyAddress(address.replace(tag, flipped), config), null);
    assert.equal(verifyReplyAddress('helpdesk+123.0000000000000000@example.org', config), null);
    assert.equal(
      verifyReplyAddress(address.replace(tag, tag.slice(0, 8)), config),
      null,
      'truncated',
    );
  });

  it('rejects another mailbox or domain', () => {
    const address = replyAddress(123, config);
    assert.equal(
      verifyReplyAddress(address.replace('@example.org', '@evil.example'), config),
      null,
    );
    assert.equal(verifyReplyAddress(address.replace('helpdesk+', 'support+'), config), null);
  });

  it('rejects an address signed with another secret', () => {
    const other = withReplySecret(
      {
        MAIL_FROM: 'Guichet <helpdesk@example.org>',
        MAIL_REPLY_SECRET: 'another-secret-of-at-least-32-characters',
      },
      'unused',
    );
    assert.equal(verifyReplyAddress(replyAddress(123, other), config), null);
  });

  it('rejects malformed addresses', () => {
    for (const address of [
      '',
      'helpdesk@example.org',
      'helpdesk+abc.def@example.org',
      'helpdesk+0.x@example.org',
    ]) {
      assert.equal(verifyReplyAddress(address, config), null, address);
    }
  });

  it('derives the default from the session secret', () => {
    const fromSession = withReplySecret(
      { MAIL_FROM: 'helpdesk@example.org', MAIL_REPLY_SECRET: undefined },
      's'.repeat(40),
    );
    const explicit = { MAIL_FROM: 'helpdesk@example.org', MAIL_REPLY_SECRET: 'e'.repeat(40) };
    assert.equal(withReplySecret(explicit, 's'.repeat(40)).MAIL_REPLY_SECRET, 'e'.repeat(40));
    assert.notEqual(replyAddress(1, fromSession), replyAddress(1, explicit));
  });
});
