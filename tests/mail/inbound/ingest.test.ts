import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { InboundMatch, InboundStatus, TicketStatus } from '../../../src/db/client.ts';
import {
  processInboundMessage,
  processPendingInbound,
  storeInboundMessage,
  type InboundDeps,
} from '../../../src/mail/inbound/ingest.ts';
import { replyAddress } from '../../../src/mail/reply-address.ts';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { createTestTicket, createUser, signIn } from '../../support/factories.ts';

const CORPUS = path.join(import.meta.dirname, 'corpus');

interface Case {
  file: string;
  /** Status the matched ticket is put in before the message arrives. */
  ticketStatus?: TicketStatus;
  status: InboundStatus;
  matchedBy?: InboundMatch | null;
  reason?: string;
  /** Exact text of the event the message added. */
  text?: string;
  statusAfter?: TicketStatus;
  /** The message opened a ticket instead of adding to the case's ticket. */
  opensTicket?: boolean;
}

const CASES: Case[] = [
  {
    file: 'gmail-fr.eml',
    ticketStatus: 'WAITING_FOR_USER',
    status: 'PROCESSED',
    matchedBy: 'REPLY_ADDRESS',
    text: "Bonjour,\nL'imprimante fonctionne de nouveau après redémarrage.\nMerci !",
    statusAfter: 'IN_PROGRESS',
  },
  {
    file: 'gmail-en.eml',
    status: 'PROCESSED',
    matchedBy: 'HEADERS',
    text: 'Hello,\nThe printer works again after a restart.',
    statusAfter: 'IN_PROGRESS',
  },
  {
    file: 'outlook-fr.eml',
    ticketStatus: 'RESOLVED',
    status: 'PROCESSED',
    matchedBy: 'SUBJECT',
    text: 'Bonjour,\nLe problème est revenu ce matin.\n\nCordialement,\nCamille',
    statusAfter: 'IN_PROGRESS',
  },
  {
    file: 'outlook-en.eml',
    status: 'PROCESSED',
    matchedBy: 'HEADERS',
    text: 'Hi,\nStill broken on my side.',
    statusAfter: 'IN_PROGRESS',
  },
  {
    file: 'apple-mail.eml',
    status: 'PROCESSED',
    matchedBy: 'SUBJECT',
    text: "C'est fait, merci.\n\nEnvoyé de mon iPhone",
    statusAfter: 'IN_PROGRESS',
  },
  {
    file: 'thunderbird.eml',
    ticketStatus: 'CLOSED',
    status: 'PROCESSED',
    matchedBy: 'REPLY_ADDRESS',
    text: 'Bonjour,\nLa panne est revenue, elle affiche de nouveau « erreur 49 ».',
    statusAfter: 'CLOSED',
    opensTicket: true,
  },
  {
    file: 'original-message.eml',
    status: 'PROCESSED',
    matchedBy: 'REPLY_ADDRESS',
    text: 'Le toner a été remplacé.',
    statusAfter: 'IN_PROGRESS',
  },
  {
    file: 'quotes.eml',
    status: 'PROCESSED',
    matchedBy: 'SUBJECT',
    text: 'Voici la photo demandée.',
    statusAfter: 'IN_PROGRESS',
  },
  {
    file: 'html-only.eml',
    status: 'PROCESSED',
    matchedBy: 'REPLY_ADDRESS',
    text: 'Bonjour,\n\nLe voyant clignote en orange.\nJe joins le code : E-49.',
    statusAfter: 'IN_PROGRESS',
  },
  {
    file: 'iso-8859-1.eml',
    status: 'PROCESSED',
    matchedBy: 'REPLY_ADDRESS',
    text: "Le poste ne démarre plus, écran noir à l'allumage.",
    statusAfter: 'IN_PROGRESS',
  },
  {
    file: 'windows-1252-mislabelled.eml',
    status: 'PROCESSED',
    matchedBy: 'REPLY_ADDRESS',
    text: 'L’écran coûte 200 € — le cœur du problème.',
    statusAfter: 'IN_PROGRESS',
  },
  {
    file: 'rfc2047-subject.eml',
    status: 'PROCESSED',
    matchedBy: 'NEW_TICKET',
    text: "Je n'ai plus accès au réseau depuis ce matin.",
    opensTicket: true,
  },
  {
    file: 'attachment-rfc2231.eml',
    status: 'PROCESSED',
    matchedBy: 'REPLY_ADDRESS',
    text: 'Le rapport est joint.',
    statusAfter: 'IN_PROGRESS',
  },
  {
    file: 'auto-reply.eml',
    status: 'IGNORED',
    reason: 'automatic message (Auto-Submitted: auto-replied)',
    statusAfter: 'IN_PROGRESS',
  },
  {
    file: 'bounce.eml',
    status: 'IGNORED',
    reason: 'delivery report (multipart/report)',
    statusAfter: 'IN_PROGRESS',
  },
  {
    file: 'stranger-forward.eml',
    status: 'QUARANTINED',
    matchedBy: 'SUBJECT',
    reason: 'sender is not a participant',
    statusAfter: 'IN_PROGRESS',
  },
  {
    file: 'malformed.eml',
    status: 'QUARANTINED',
    reason: 'malformed message: no sender address in From',
  },
  {
    file: 'no-message-id.eml',
    status: 'PROCESSED',
    matchedBy: 'NEW_TICKET',
    text: 'Ma souris sans fil ne répond plus.',
    opensTicket: true,
  },
  {
    file: 'duplicate.eml',
    status: 'PROCESSED',
    matchedBy: 'REPLY_ADDRESS',
    text: 'Message envoyé deux fois par le serveur.',
    statusAfter: 'IN_PROGRESS',
  },
];

let context: TestContext;
let deps: InboundDeps;

before(async () => {
  context = await createTestContext();
  deps = { db: context.db, config: context.config, logger: context.logger };
});

after(async () => {
  await context.close();
});

/** Fills the corpus placeholders with this test's people and ticket. */
function corpusMessage(file: string, values: Record<string, string>): Buffer {
  let text = readFileSync(path.join(CORPUS, file)).toString('latin1');
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{{${name}}}`, value);
  return Buffer.from(text, 'latin1');
}

async function setUp() {
  const { db } = context;
  const requester = await createUser(db, { email: `requester-${Math.random()}@example.org` });
  const technician = await createUser(db, { role: 'TECHNICIAN' });
  const ticket = await createTestTicket(db, requester);
  await db.ticket.update({
    where: { id: ticket.id },
    data: { status: 'IN_PROGRESS', assigneeId: technician.id },
  });
  return { requester, technician, ticket };
}

describe('corpus', () => {
  for (const entry of CASES) {
    test(entry.file, async () => {
      const { db, config } = context;
      const { requester, technician, ticket } = await setUp();
      if (entry.ticketStatus) {
        await db.ticket.update({ where: { id: ticket.id }, data: { status: entry.ticketStatus } });
      }
      const raw = corpusMessage(entry.file, {
        REQUESTER: requester.email,
        TECHNICIAN: technician.email,
        REPLY_ADDRESS: replyAddress(ticket.id, config),
        REFERENCE: ticket.reference,
        TICKET_MESSAGE_ID: ticket.messageId,
        NAME: `${entry.file}.${ticket.id}`,
      });
      const ticketsBefore = await db.ticket.count();

      const stored = await storeInboundMessage(deps, raw, 'pipe');
      assert.equal(stored.duplicate, false);
      await processInboundMessage(deps, stored.id);
      if (entry.file === 'duplicate.eml') {
        const again = await storeInboundMessage(deps, raw, 'imap');
        assert.deepEqual(again, { id: stored.id, duplicate: true });
        await processInboundMessage(deps, again.id);
      }

      const message = await db.inboundMessage.findUniqueOrThrow({ where: { id: stored.id } });
      assert.equal(message.status, entry.status, message.reason ?? '');
      if (entry.matchedBy !== undefined) assert.equal(message.matchedBy, entry.matchedBy);
      if (entry.reason) assert.equal(message.reason, entry.reason);
      const opened = (await db.ticket.count()) - ticketsBefore;
      assert.equal(opened, entry.opensTicket ? 1 : 0);
      if (entry.text !== undefined) {
        const event = await db.ticketEvent.findUniqueOrThrow({ where: { id: message.eventId! } });
        const kept =
          event.kind === 'CREATED'
            ? (await db.ticket.findUniqueOrThrow({ where: { id: event.ticketId } })).description
            : event.body;
        assert.equal(kept, entry.text);
        assert.equal(event.ticketId, message.ticketId);
      } else {
        assert.equal(message.eventId, null);
      }
      if (entry.statusAfter) {
        const after = await db.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
        assert.equal(after.status, entry.statusAfter);
      }
      if (entry.status === 'PROCESSED') {
        const events = await db.ticketEvent.count({ where: { id: message.eventId! } });
        assert.equal(events, 1);
      }
    });
  }

  test('a reply to a closed ticket opens a ticket linked to it', async () => {
    const { db } = context;
    const message = await db.inboundMessage.findFirstOrThrow({
      where: { messageKey: { startsWith: '<thunderbird.eml.' } },
    });
    const opened = await db.ticket.findUniqueOrThrow({ where: { id: message.ticketId! } });
    assert.notEqual(opened.followUpOfId, null);
    assert.equal(opened.title, 'Imprimante hors service');
  });

  test('the RFC 2047 subject becomes the title of the new ticket', async () => {
    const message = await context.db.inboundMessage.findFirstOrThrow({
      where: { messageKey: { startsWith: '<rfc2047-subject.eml.' } },
      include: { ticket: true },
    });
    assert.equal(message.ticket!.title, "Problème d'accès réseau");
    assert.equal(message.subject, "Problème d'accès réseau");
  });

  test('a message without Message-ID is keyed by the SHA-256 of its bytes', async () => {
    const count = await context.db.inboundMessage.count({
      where: { messageKey: { startsWith: 'sha256:' }, subject: 'Souris sans fil' },
    });
    assert.equal(count, 1);
  });
});

describe('attachments and raw messages', () => {
  let attachmentId: number;
  let messageId: number;
  let owner: { email: string };

  before(async () => {
    const { requester, ticket } = await setUp();
    owner = requester;
    const raw = corpusMessage('attachment-rfc2231.eml', {
      REQUESTER: requester.email,
      REPLY_ADDRESS: replyAddress(ticket.id, context.config),
      REFERENCE: ticket.reference,
      NAME: `attachment.${ticket.id}`,
    });
    const stored = await storeInboundMessage(deps, raw, 'smtp');
    await processInboundMessage(deps, stored.id);
    messageId = stored.id;
    const attachment = await context.db.attachment.findFirstOrThrow({
      where: { ticketId: ticket.id },
    });
    attachmentId = attachment.id;
    assert.equal(attachment.fileName, 'rapport détaillé.pdf');
    assert.equal(attachment.contentType, 'application/pdf');
  });

  test('the requester downloads the attachment with a safe file name', async () => {
    const { agent } = await signIn(context.app, owner.email);
    const response = await agent.get(`/attachments/${attachmentId}`).expect(200);
    assert.equal(response.headers['content-type'], 'application/pdf');
    const disposition = response.headers['content-disposition'];
    assert.match(disposition, /^attachment; filename="rapport detaille.pdf"/);
    assert.match(disposition, /filename\*=UTF-8''rapport%20d%C3%A9taill%C3%A9\.pdf/);
  });

  test('the ticket page links the attachment and the original email', async () => {
    const { agent } = await signIn(context.app, owner.email);
    const attachment = await context.db.attachment.findUniqueOrThrow({
      where: { id: attachmentId },
      include: { ticket: true },
    });
    const reference = `INC-${String(attachment.ticket.number).padStart(6, '0')}`;
    const page = await agent.get(`/tickets/${reference}`).expect(200);
    assert.match(page.text, new RegExp(`href="/attachments/${attachmentId}"`));
    assert.match(page.text, new RegExp(`href="/inbound/${messageId}"`));
  });

  test('a ticket opened by email links its attachment', async () => {
    const requester = await createUser(context.db);
    const raw = corpusMessage('attachment-rfc2231.eml', {
      REQUESTER: requester.email,
      REPLY_ADDRESS: 'helpdesk@example.com',
      REFERENCE: 'nouvelle demande',
      NAME: `new-ticket-attachment.${requester.id}`,
    });
    const stored = await storeInboundMessage(deps, raw, 'smtp');
    await processInboundMessage(deps, stored.id);
    const ticket = await context.db.ticket.findFirstOrThrow({
      where: { requesterId: requester.id },
      include: { attachments: true },
    });
    assert.equal(ticket.attachments.length, 1, 'the attachment is stored on the new ticket');

    const { agent } = await signIn(context.app, requester.email);
    const reference = `INC-${String(ticket.number).padStart(6, '0')}`;
    const page = await agent.get(`/tickets/${reference}`).expect(200);
    assert.match(page.text, new RegExp(`href="/attachments/${ticket.attachments[0].id}"`));
    assert.match(page.text, new RegExp(`href="/inbound/${stored.id}"`));
  });

  test('another requester gets 404 and an anonymous visitor the sign-in page', async () => {
    const other = await createUser(context.db);
    const { agent } = await signIn(context.app, other.email);
    await agent.get(`/attachments/${attachmentId}`).expect(404);
    await agent.get(`/inbound/${messageId}`).expect(404);
    const anonymous = await request(context.app).get(`/attachments/${attachmentId}`).expect(302);
    assert.match(anonymous.headers.location, /^\/login/);
  });

  test('staff and the sender see the raw message', async () => {
    const technician = await createUser(context.db, { role: 'TECHNICIAN' });
    const staff = await signIn(context.app, technician.email);
    const response = await staff.agent.get(`/inbound/${messageId}`).expect(200);
    assert.match(response.headers['content-type'], /^text\/html/);
    assert.match(response.text, /Le rapport est joint/, 'the decoded text is shown');
    assert.match(response.text, /3 déc\. 2026/, 'the date is in the French format');
    assert.match(response.text, /href="\/tickets\/INC-\d{6}"/, 'the page links back to its ticket');
    assert.match(response.text, new RegExp(`href="/inbound/${messageId}\\?format=eml"`));
    const source = await staff.agent.get(`/inbound/${messageId}?format=eml`).expect(200);
    assert.match(source.headers['content-type'], /^message\/rfc822/);
    assert.match(source.headers['content-disposition'], /^attachment; filename="message-\d+\.eml"/);
    assert.match(source.text, /filename\*=UTF-8''rapport%20d%C3%A9taill%C3%A9\.pdf/, 'raw bytes');
    const sender = await signIn(context.app, owner.email);
    await sender.agent.get(`/inbound/${messageId}`).expect(200);
  });
});

describe('loops, strangers and throttling', () => {
  test('an unknown sender is ignored, and the admin page lists it', async () => {
    const raw = Buffer.from(
      'From: someone@outside.example\r\nTo: helpdesk@guichet.test\r\nSubject: Bonjour\r\n' +
        'Message-ID: <unknown-sender@outside.example>\r\n\r\nBonjour\r\n',
    );
    const stored = await storeInboundMessage(deps, raw, 'smtp');
    await processInboundMessage(deps, stored.id);
    const message = await context.db.inboundMessage.findUniqueOrThrow({ where: { id: stored.id } });
    assert.equal(message.status, 'IGNORED');
    assert.equal(message.reason, 'unknown sender');

    const admin = await createUser(context.db, { role: 'ADMIN' });
    const { agent } = await signIn(context.app, admin.email);
    const page = await agent.get('/admin/inbound').expect(200);
    assert.match(page.text, /someone@outside\.example/);
    assert.match(page.text, /Expéditeur inconnu/, 'the reason is shown in French');

    const english = await createUser(context.db, { role: 'ADMIN', locale: 'en' });
    const session = await signIn(context.app, english.email);
    const englishPage = await session.agent.get('/admin/inbound').expect(200);
    assert.match(englishPage.text, /Unknown sender/, 'and in English for English admins');
  });

  test('admin retry and discard', async () => {
    const raw = Buffer.from(
      'From: Nouvelle Personne <newcomer@example.org>\r\nTo: helpdesk@guichet.test\r\n' +
        'Subject: Clavier cassé\r\nMessage-ID: <retry@example.org>\r\n\r\nTouche A absente.\r\n',
    );
    const stored = await storeInboundMessage(deps, raw, 'smtp');
    await processInboundMessage(deps, stored.id);
    await createUser(context.db, { email: 'newcomer@example.org' });
    const admin = await createUser(context.db, { role: 'ADMIN' });
    const { agent, csrf } = await signIn(context.app, admin.email);
    await agent
      .post(`/admin/inbound/${stored.id}/retry`)
      .type('form')
      .send({ _csrf: csrf })
      .expect(302);
    const message = await context.db.inboundMessage.findUniqueOrThrow({ where: { id: stored.id } });
    assert.equal(message.status, 'PROCESSED');
    assert.equal(message.matchedBy, 'NEW_TICKET');

    const junk = await storeInboundMessage(
      deps,
      Buffer.from('From: x@outside.example\r\nSubject: x\r\nMessage-ID: <junk@x>\r\n\r\nx\r\n'),
      'smtp',
    );
    await processInboundMessage(deps, junk.id);
    await agent
      .post(`/admin/inbound/${junk.id}/discard`)
      .type('form')
      .send({ _csrf: csrf })
      .expect(302);
    const discarded = await context.db.inboundMessage.findUniqueOrThrow({ where: { id: junk.id } });
    assert.equal(discarded.status, 'DISCARDED');
  });

  test('the admin page is for admins only', async () => {
    const anonymous = await request(context.app).get('/admin/inbound').expect(302);
    assert.match(anonymous.headers.location, /^\/login/);
    for (const role of ['REQUESTER', 'TECHNICIAN'] as const) {
      const user = await createUser(context.db, { role });
      const { agent, csrf } = await signIn(context.app, user.email);
      await agent.get('/admin/inbound').expect(403);
      await agent.post('/admin/inbound/1/discard').type('form').send({ _csrf: csrf }).expect(403);
    }
  });

  test("Guichet's own emails coming back are ignored", async () => {
    const { ticket } = await setUp();
    const sent = await context.db.outboundEmail.findFirstOrThrow({
      where: { ticketId: ticket.id },
    });
    const raw = Buffer.from(
      `From: Guichet <helpdesk@guichet.test>\r\nTo: someone@example.org\r\nSubject: x\r\n` +
        `Message-ID: ${sent.messageId}\r\n\r\nx\r\n`,
    );
    const stored = await storeInboundMessage(deps, raw, 'imap');
    await processInboundMessage(deps, stored.id);
    const message = await context.db.inboundMessage.findUniqueOrThrow({ where: { id: stored.id } });
    assert.equal(message.status, 'IGNORED');
    assert.equal(message.reason, 'sent by Guichet itself');
  });

  test('a sender over INBOUND_MAX_PER_HOUR is throttled', async () => {
    const user = await createUser(context.db);
    const statuses: string[] = [];
    for (let index = 0; index < context.config.INBOUND_MAX_PER_HOUR + 1; index++) {
      const raw = Buffer.from(
        `From: ${user.email}\r\nTo: helpdesk@guichet.test\r\nSubject: Message ${index}\r\n` +
          `Message-ID: <flood-${index}@example.org>\r\n\r\nTexte ${index}\r\n`,
      );
      const stored = await storeInboundMessage(deps, raw, 'smtp');
      await processInboundMessage(deps, stored.id);
      const row = await context.db.inboundMessage.findUniqueOrThrow({ where: { id: stored.id } });
      statuses.push(row.status);
    }
    assert.equal(statuses.filter((status) => status === 'PROCESSED').length, 30);
    assert.equal(statuses.at(-1), 'IGNORED');
  });
});

describe('crash safety and concurrency', () => {
  test('a message stored but not processed is processed once by a later pass', async () => {
    const user = await createUser(context.db);
    const raw = Buffer.from(
      `From: ${user.email}\r\nTo: helpdesk@guichet.test\r\nSubject: Avant la panne\r\n` +
        `Message-ID: <before-crash@example.org>\r\n\r\nStocké puis interrompu.\r\n`,
    );
    const stored = await storeInboundMessage(deps, raw, 'smtp');
    // A new set of dependencies represents the process started after the crash.
    const restarted: InboundDeps = { ...deps, config: { ...deps.config } };
    assert.ok((await processPendingInbound(restarted)) >= 1);
    assert.equal(await processPendingInbound(restarted), 0);
    await processInboundMessage(restarted, stored.id);
    const message = await context.db.inboundMessage.findUniqueOrThrow({ where: { id: stored.id } });
    assert.equal(message.status, 'PROCESSED');
    assert.equal(await context.db.ticket.count({ where: { title: 'Avant la panne' } }), 1);
  });

  test('two concurrent passes process each message once', async () => {
    const user = await createUser(context.db);
    for (let index = 0; index < 8; index++) {
      const raw = Buffer.from(
        `From: ${user.email}\r\nTo: helpdesk@guichet.test\r\nSubject: Parallèle ${index}\r\n` +
          `Message-ID: <parallel-${index}@example.org>\r\n\r\nTexte\r\n`,
      );
      await storeInboundMessage(deps, raw, 'smtp');
    }
    const [first, second] = await Promise.all([
      processPendingInbound(deps),
      processPendingInbound(deps),
    ]);
    assert.equal(first + second, 8);
    const tickets = await context.db.ticket.count({
      where: { title: { startsWith: 'Parallèle' } },
    });
    assert.equal(tickets, 8);
  });
});

describe('configured for unknown senders and small attachments', () => {
  test('an unknown sender gets a requester account; a large file is left out', async () => {
    const open = await createTestContext({
      INBOUND_ALLOW_UNKNOWN_SENDERS: 'true',
      INBOUND_MAX_ATTACHMENT_BYTES: '10',
    });
    try {
      const openDeps: InboundDeps = { db: open.db, config: open.config, logger: open.logger };
      const raw = corpusMessage('attachment-rfc2231.eml', {
        REQUESTER: 'newcomer@outside.example',
        REPLY_ADDRESS: 'helpdesk@guichet.test',
        REFERENCE: 'nothing',
        NAME: 'unknown-sender',
      });
      const stored = await storeInboundMessage(openDeps, raw, 'smtp');
      await processInboundMessage(openDeps, stored.id);
      const message = await open.db.inboundMessage.findUniqueOrThrow({ where: { id: stored.id } });
      assert.equal(message.status, 'PROCESSED');
      assert.equal(message.matchedBy, 'NEW_TICKET');
      assert.match(message.reason ?? '', /left out: rapport détaillé\.pdf/);
      const user = await open.db.user.findUniqueOrThrow({
        where: { email: 'newcomer@outside.example' },
      });
      assert.equal(user.role, 'REQUESTER');
      assert.equal(user.name, 'Camille Martin');
      assert.equal(await open.db.attachment.count(), 0);
    } finally {
      await open.close();
    }
  });
});

describe('placeholders', () => {
  test('a subjectless email gets a title in the sender language', async () => {
    const user = await createUser(context.db, { locale: 'en' });
    const raw = Buffer.from(
      `From: ${user.email}\r\nTo: helpdesk@guichet.test\r\n` +
        `Message-ID: <no-subject.${user.id}@example.org>\r\n\r\nThe printer is jammed.\r\n`,
    );
    const stored = await storeInboundMessage(deps, raw, 'smtp');
    await processInboundMessage(deps, stored.id);
    const ticket = await context.db.ticket.findFirstOrThrow({ where: { requesterId: user.id } });
    assert.equal(ticket.title, '(no subject)');
  });
});
