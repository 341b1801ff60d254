import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { Role } from '../../src/db/client.ts';
import { takeTicket, type EventChanges } from '../../src/tickets/actions.ts';
import { closeStaleResolvedTickets } from '../../src/tickets/auto-close.ts';
import { TicketConflictError } from '../../src/tickets/workflow.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createTestTicket, createUser, csrfTokenOf, signIn } from '../support/factories.ts';

let context: TestContext;
before(async () => {
  context = await createTestContext();
});
after(() => context.close());

const STAFF_ROUTES = ['take', 'assign', 'ask', 'note', 'resolve', 'priority'];
const REQUESTER_ROUTES = ['confirm', 'reopen'];
const ALL_ROUTES = [...STAFF_ROUTES, 'reply', ...REQUESTER_ROUTES];

async function signedIn(role: Role = 'REQUESTER', locale: 'fr' | 'en' = 'fr') {
  const user = await createUser(context.db, { role, locale });
  const session = await signIn(context.app, user.email);
  return { user, ...session };
}

/** Creates a ticket of a fresh, signed-in requester and removes the emails of its creation. */
async function newTicket() {
  const requester = await signedIn();
  const ticket = await createTestTicket(context.db, requester.user);
  await context.db.outboundEmail.deleteMany({ where: { ticketId: ticket.id } });
  return { requester, ticket };
}

function post(
  session: { agent: ReturnType<typeof request.agent>; csrf: string },
  reference: string,
  action: string,
  fields: Record<string, string | number> = {},
) {
  return session.agent
    .post(`/tickets/${reference}/${action}`)
    .type('form')
    .send({ ...fields, _csrf: session.csrf });
}

async function reload(ticketId: number) {
  return context.db.ticket.findUniqueOrThrow({
    where: { id: ticketId },
    include: {
      events: { orderBy: { id: 'asc' } },
      emails: { orderBy: { id: 'asc' } },
    },
  });
}

/** Moves a ticket straight to a status, as a fixture for the next action. */
async function setStatus(
  ticketId: number,
  status: 'RESOLVED' | 'CLOSED' | 'WAITING_FOR_USER',
  assigneeId?: number,
) {
  await context.db.ticket.update({
    where: { id: ticketId },
    data: { status, assigneeId, resolvedAt: status === 'RESOLVED' ? new Date() : undefined },
  });
}

describe('ticket action routes: access', () => {
  it('redirects anonymous users to sign-in', async () => {
    const { ticket } = await newTicket();
    // The sign-in page gives an anonymous session its CSRF token, so the request passes the
    // CSRF check and reaches the routes.
    const agent = request.agent(context.app);
    const csrf = csrfTokenOf((await agent.get('/login').expect(200)).text);
    for (const action of ALL_ROUTES) {
      const response = await post({ agent, csrf }, ticket.reference, action, { message: 'M' });
      assert.equal(response.status, 302, action);
      assert.equal(response.headers.location, '/login', action);
    }
    assert.equal((await reload(ticket.id)).events.length, 1, 'nothing happened');
  });

  it('rejects requesters on staff actions with 403', async () => {
    const { requester, ticket } = await newTicket();
    for (const action of STAFF_ROUTES) {
      const response = await post(requester, ticket.reference, action, {
        assigneeId: requester.user.id,
        question: 'Q',
        note: 'N',
        answer: 'A',
        impact: 'HIGH',
        urgency: 'HIGH',
      });
      assert.equal(response.status, 403, action);
    }
    const unchanged = await reload(ticket.id);
    assert.equal(unchanged.status, 'NEW');
    assert.equal(unchanged.events.length, 1, 'only the creation event');
  });

  it('hides the ticket from another requester with 404', async () => {
    const { ticket } = await newTicket();
    const stranger = await signedIn();
    for (const action of ['reply', ...REQUESTER_ROUTES]) {
      const response = await post(stranger, ticket.reference, action, {
        message: 'M',
        comment: 'C',
      });
      assert.equal(response.status, 404, action);
    }
  });

  it('rejects staff on requester actions with 403', async () => {
    const { ticket } = await newTicket();
    await setStatus(ticket.id, 'RESOLVED');
    for (const role of ['TECHNICIAN', 'ADMIN'] as const) {
      const staff = await signedIn(role);
      for (const action of REQUESTER_ROUTES) {
        const response = await post(staff, ticket.reference, action, { comment: 'C' });
        assert.equal(response.status, 403, `${role} ${action}`);
      }
    }
    assert.equal((await reload(ticket.id)).status, 'RESOLVED');
  });
});

describe('POST /tickets/:reference/take', () => {
  for (const role of ['TECHNICIAN', 'ADMIN'] as const) {
    it(`lets a ${role} take a new ticket`, async () => {
      const { requester, ticket } = await newTicket();
      const staff = await signedIn(role);
      const response = await post(staff, ticket.reference, 'take');
      assert.equal(response.status, 302);
      assert.equal(response.headers.location, `/tickets/${ticket.reference}`);

      const taken = await reload(ticket.id);
      assert.equal(taken.status, 'IN_PROGRESS');
      assert.equal(taken.assigneeId, staff.user.id);
      const event = taken.events.at(-1)!;
      assert.equal(event.kind, 'TAKEN');
      assert.equal(event.actorId, staff.user.id);
      const changes = event.changes as unknown as EventChanges;
      assert.deepEqual(changes.status, { before: 'NEW', after: 'IN_PROGRESS' });
      assert.deepEqual(changes.assignee, {
        before: null,
        after: { id: staff.user.id, name: staff.user.name },
      });
      assert.deepEqual(
        taken.emails.map((email) => [email.kind, email.toAddress]),
        [['ticket-taken', requester.user.email]],
      );

      const page = await staff.agent.get(`/tickets/${ticket.reference}`).expect(200);
      assert.match(page.text, /Vous avez pris en charge le ticket/);
      assert.match(page.text, new RegExp(`href="mailto:${staff.user.email}"`));
      assert.match(page.text, /Statut : Nouveau → En cours/);
    });
  }

  it('lets exactly one of two concurrent takes win', async () => {
    const { ticket } = await newTicket();
    const first = await createUser(context.db, { role: 'TECHNICIAN' });
    const second = await createUser(context.db, { role: 'TECHNICIAN' });
    const results = await Promise.allSettled([
      takeTicket(context.db, context.config, first, { ticketId: ticket.id }),
      takeTicket(context.db, context.config, second, { ticketId: ticket.id }),
    ]);
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result) => result.status === 'rejected');
    assert.equal(won.length, 1, 'one take succeeds');
    assert.equal(lost.length, 1, 'one take fails');
    assert.ok((lost[0] as PromiseRejectedResult).reason instanceof TicketConflictError);

    const taken = await reload(ticket.id);
    assert.equal(taken.events.filter((event) => event.kind === 'TAKEN').length, 1);
    assert.equal(taken.emails.length, 1, 'one email to the requester');
    assert.ok([first.id, second.id].includes(taken.assigneeId!));
  });

  it('refuses to take a colleague ticket', async () => {
    const { ticket } = await newTicket();
    const first = await createUser(context.db, { role: 'TECHNICIAN' });
    const second = await createUser(context.db, { role: 'TECHNICIAN' });
    await takeTicket(context.db, context.config, first, { ticketId: ticket.id });

    await assert.rejects(
      takeTicket(context.db, context.config, second, { ticketId: ticket.id }),
      TicketConflictError,
    );
    assert.equal((await reload(ticket.id)).assigneeId, first.id, 'the first technician keeps it');
  });

  it('tells the loser of concurrent HTTP takes', async () => {
    const { ticket } = await newTicket();
    const first = await signedIn('TECHNICIAN');
    const second = await signedIn('TECHNICIAN');
    await Promise.all([
      post(first, ticket.reference, 'take'),
      post(second, ticket.reference, 'take'),
    ]);
    const pages = await Promise.all(
      [first, second].map((session) => session.agent.get(`/tickets/${ticket.reference}`)),
    );
    const conflicts = pages.filter((page) =>
      /a été modifié par quelqu&#39;un d&#39;autre/.test(page.text),
    );
    const successes = pages.filter((page) => /Vous avez pris en charge/.test(page.text));
    assert.equal(conflicts.length, 1, 'one technician sees the conflict message');
    assert.equal(successes.length, 1, 'one technician sees the success message');
  });

  it('refuses a resolved ticket with a message', async () => {
    const { ticket } = await newTicket();
    await setStatus(ticket.id, 'RESOLVED');
    const staff = await signedIn('TECHNICIAN');
    await post(staff, ticket.reference, 'take').expect(302);
    const page = await staff.agent.get(`/tickets/${ticket.reference}`).expect(200);
    assert.match(page.text, /ne peut plus être pris en charge/);
    const unchanged = await reload(ticket.id);
    assert.equal(unchanged.status, 'RESOLVED');
    assert.equal(unchanged.assigneeId, null);
  });
});

describe('POST /tickets/:reference/assign', () => {
  it('assigns to another technician and emails both', async () => {
    const { requester, ticket } = await newTicket();
    const admin = await signedIn('ADMIN');
    const technician = await createUser(context.db, {
      role: 'TECHNICIAN',
      name: 'Théo Technicien',
    });
    await post(admin, ticket.reference, 'assign', { assigneeId: technician.id }).expect(302);

    const assigned = await reload(ticket.id);
    assert.equal(assigned.status, 'IN_PROGRESS');
    assert.equal(assigned.assigneeId, technician.id);
    assert.equal(assigned.events.at(-1)!.kind, 'ASSIGNED');
    assert.deepEqual(
      assigned.emails.map((email) => [email.kind, email.toAddress]),
      [
        ['ticket-assigned', technician.email],
        ['ticket-taken', requester.user.email],
      ],
    );
  });

  it('offers active technicians in a list', async () => {
    const { ticket } = await newTicket();
    const staff = await signedIn('TECHNICIAN');
    const inactive = await createUser(context.db, { role: 'TECHNICIAN', active: false });
    const invited = await createUser(context.db, { role: 'TECHNICIAN' });
    await context.db.user.update({ where: { id: invited.id }, data: { passwordHash: null } });
    const page = await staff.agent.get(`/tickets/${ticket.reference}`).expect(200);
    assert.match(page.text, new RegExp(`<option value="${staff.user.id}"`));
    assert.doesNotMatch(page.text, new RegExp(`<option value="${inactive.id}"`));
    assert.doesNotMatch(
      page.text,
      new RegExp(`<option value="${invited.id}"`),
      'a technician who has not set a password yet is not offered',
    );
    await post(staff, ticket.reference, 'assign', { assigneeId: invited.id }).expect(400);
  });

  it('hides take once someone handles the ticket', async () => {
    const { ticket } = await newTicket();
    const first = await signedIn('TECHNICIAN');
    const second = await signedIn('TECHNICIAN');
    const before = await second.agent.get(`/tickets/${ticket.reference}`).expect(200);
    assert.match(before.text, new RegExp(`action="/tickets/${ticket.reference}/take"`));

    await post(first, ticket.reference, 'take').expect(302);
    for (const session of [first, second]) {
      const page = await session.agent.get(`/tickets/${ticket.reference}`).expect(200);
      assert.doesNotMatch(page.text, new RegExp(`action="/tickets/${ticket.reference}/take"`));
    }
  });

  it('rejects a requester or inactive technician as assignee', async () => {
    const { requester, ticket } = await newTicket();
    const staff = await signedIn('TECHNICIAN');
    const inactive = await createUser(context.db, { role: 'TECHNICIAN', active: false });
    for (const assigneeId of [requester.user.id, inactive.id]) {
      const response = await post(staff, ticket.reference, 'assign', { assigneeId }).expect(400);
      assert.match(
        response.text,
        /id="assigneeId-error"[^>]*>Cette personne n&#39;est pas un technicien actif/,
      );
    }
    const missing = await post(staff, ticket.reference, 'assign', { assigneeId: '' }).expect(400);
    assert.match(missing.text, /Choisissez un technicien dans la liste/);
    assert.equal((await reload(ticket.id)).assigneeId, null);
  });

  it('sends no email to a technician who assigns themselves', async () => {
    const { ticket } = await newTicket();
    const staff = await signedIn('TECHNICIAN');
    await post(staff, ticket.reference, 'assign', { assigneeId: staff.user.id }).expect(302);
    const assigned = await reload(ticket.id);
    assert.deepEqual(
      assigned.emails.map((email) => email.kind),
      ['ticket-taken'],
    );
  });
});

describe('POST /tickets/:reference/ask and /reply', () => {
  it('asks for information and waits for the requester', async () => {
    const { requester, ticket } = await newTicket();
    const staff = await signedIn('TECHNICIAN');
    await post(staff, ticket.reference, 'take').expect(302);
    await post(staff, ticket.reference, 'ask', { question: 'Quel est le modèle ?' }).expect(302);

    const waiting = await reload(ticket.id);
    assert.equal(waiting.status, 'WAITING_FOR_USER');
    const event = waiting.events.at(-1)!;
    assert.equal(event.kind, 'INFORMATION_REQUESTED');
    assert.equal(event.body, 'Quel est le modèle ?');
    assert.equal(event.internal, false);
    assert.equal(waiting.emails.at(-1)!.kind, 'ticket-information-requested');
    assert.equal(waiting.emails.at(-1)!.toAddress, requester.user.email);

    const page = await requester.agent.get(`/tickets/${ticket.reference}`).expect(200);
    assert.match(page.text, /Quel est le modèle \?/);
    assert.match(page.text, /action="\/tickets\/[^"]+\/reply"/, 'the requester can reply');
    assert.doesNotMatch(page.text, /action="\/tickets\/[^"]+\/take"/);
  });

  it('refuses a second question while waiting', async () => {
    const { ticket } = await newTicket();
    await setStatus(ticket.id, 'WAITING_FOR_USER');
    const staff = await signedIn('TECHNICIAN');
    await post(staff, ticket.reference, 'ask', { question: 'Encore ?' }).expect(302);
    const page = await staff.agent.get(`/tickets/${ticket.reference}`).expect(200);
    assert.match(
      page.text,
      /On ne peut demander des informations que sur un ticket nouveau ou en cours/,
    );
    assert.equal((await reload(ticket.id)).events.length, 1);
  });

  it('keeps the status on a public staff reply', async () => {
    const { requester, ticket } = await newTicket();
    const staff = await signedIn('ADMIN');
    await post(staff, ticket.reference, 'reply', { message: 'Nous regardons.' }).expect(302);
    const replied = await reload(ticket.id);
    assert.equal(replied.status, 'NEW');
    assert.equal(replied.events.at(-1)!.kind, 'COMMENT');
    assert.equal(replied.events.at(-1)!.changes, null, 'nothing but the message changed');
    assert.deepEqual(
      replied.emails.map((email) => [email.kind, email.toAddress]),
      [['ticket-reply', requester.user.email]],
    );
  });

  it('moves a waiting ticket back in progress on the requester reply', async () => {
    const { requester, ticket } = await newTicket();
    const staff = await signedIn('TECHNICIAN');
    await post(staff, ticket.reference, 'take').expect(302);
    await post(staff, ticket.reference, 'ask', { question: 'Quel est le modèle ?' }).expect(302);
    await post(requester, ticket.reference, 'reply', { message: 'Une HP 4250.' }).expect(302);

    const answered = await reload(ticket.id);
    assert.equal(answered.status, 'IN_PROGRESS');
    const event = answered.events.at(-1)!;
    assert.equal(event.kind, 'COMMENT');
    assert.equal(event.actorId, requester.user.id);
    assert.deepEqual((event.changes as unknown as EventChanges).status, {
      before: 'WAITING_FOR_USER',
      after: 'IN_PROGRESS',
    });
    assert.equal(answered.emails.at(-1)!.kind, 'ticket-requester-reply');
    assert.equal(answered.emails.at(-1)!.toAddress, staff.user.email);
  });

  it('keeps an empty reply on the page with an error', async () => {
    const { requester, ticket } = await newTicket();
    const response = await post(requester, ticket.reference, 'reply', { message: '   ' }).expect(
      400,
    );
    assert.match(response.text, /id="message-error"[^>]*>Saisissez votre message/);
    assert.equal((await reload(ticket.id)).events.length, 1);
  });

  it('refuses the requester reply on a closed ticket', async () => {
    const { requester, ticket } = await newTicket();
    await setStatus(ticket.id, 'CLOSED');
    await post(requester, ticket.reference, 'reply', { message: 'Encore là ?' }).expect(302);
    const page = await requester.agent.get(`/tickets/${ticket.reference}`).expect(200);
    assert.match(page.text, /Ce ticket est clos/);
    assert.doesNotMatch(page.text, /action="\/tickets\/[^"]+\/reply"/, 'no reply form');
    assert.equal((await reload(ticket.id)).events.length, 1);
  });
});

describe('POST /tickets/:reference/note', () => {
  it('keeps internal notes from requesters and email', async () => {
    const { requester, ticket } = await newTicket();
    const staff = await signedIn('TECHNICIAN');
    await post(staff, ticket.reference, 'note', { note: 'Secret : le toner est volé.' }).expect(
      302,
    );

    const noted = await reload(ticket.id);
    const event = noted.events.at(-1)!;
    assert.equal(event.kind, 'NOTE');
    assert.equal(event.internal, true);
    assert.equal(noted.emails.length, 0, 'no email for an internal note');

    const requesterPage = await requester.agent.get(`/tickets/${ticket.reference}`).expect(200);
    assert.doesNotMatch(requesterPage.text, /toner est volé/);
    assert.doesNotMatch(requesterPage.text, /Note interne/);
    const staffPage = await staff.agent.get(`/tickets/${ticket.reference}`).expect(200);
    assert.match(staffPage.text, /toner est volé/);
    assert.match(staffPage.text, /Note interne de/);
  });

  it('accepts a note on a closed ticket', async () => {
    const { ticket } = await newTicket();
    await setStatus(ticket.id, 'CLOSED');
    const staff = await signedIn('ADMIN');
    await post(staff, ticket.reference, 'note', { note: 'Pour mémoire.' }).expect(302);
    const noted = await reload(ticket.id);
    assert.equal(noted.status, 'CLOSED');
    assert.equal(noted.events.at(-1)!.kind, 'NOTE');
  });
});

describe('resolution', () => {
  it('requires the technical answer', async () => {
    const { ticket } = await newTicket();
    const staff = await signedIn('TECHNICIAN');
    const response = await post(staff, ticket.reference, 'resolve', { answer: '' }).expect(400);
    assert.match(response.text, /id="answer-error"[^>]*>Saisissez la réponse technique/);
    assert.equal((await reload(ticket.id)).status, 'NEW');
  });

  it('resolves, then the requester confirms', async () => {
    const { requester, ticket } = await newTicket();
    const staff = await signedIn('TECHNICIAN');
    await post(staff, ticket.reference, 'resolve', { answer: 'Toner remplacé.' }).expect(302);

    const resolved = await reload(ticket.id);
    assert.equal(resolved.status, 'RESOLVED');
    assert.ok(resolved.resolvedAt);
    assert.equal(resolved.assigneeId, staff.user.id, 'the resolver handled the ticket');
    assert.equal(resolved.emails.at(-1)!.kind, 'ticket-resolved');

    const page = await requester.agent.get(`/tickets/${ticket.reference}`).expect(200);
    assert.match(page.text, /id="confirm"/);
    assert.match(page.text, /id="reopen"/);
    assert.match(page.text, /Toner remplacé\./);

    await post(requester, ticket.reference, 'confirm').expect(302);
    const closed = await reload(ticket.id);
    assert.equal(closed.status, 'CLOSED');
    assert.ok(closed.closedAt);
    assert.equal(closed.events.at(-1)!.kind, 'CLOSED');
    assert.equal(closed.events.at(-1)!.actorId, requester.user.id);

    await post(staff, ticket.reference, 'resolve', { answer: 'Encore.' }).expect(302);
    const staffPage = await staff.agent.get(`/tickets/${ticket.reference}`).expect(200);
    assert.match(staffPage.text, /ne peut pas être résolu/);
    assert.equal((await reload(ticket.id)).status, 'CLOSED', 'a closed ticket stays closed');
  });

  it('reopens with the requester comment', async () => {
    const { requester, ticket } = await newTicket();
    const staff = await signedIn('TECHNICIAN');
    await post(staff, ticket.reference, 'take').expect(302);
    await post(staff, ticket.reference, 'resolve', { answer: 'Redémarré.' }).expect(302);
    await post(requester, ticket.reference, 'reopen', { comment: 'Toujours en panne.' }).expect(
      302,
    );

    const reopened = await reload(ticket.id);
    assert.equal(reopened.status, 'IN_PROGRESS');
    assert.equal(reopened.resolvedAt, null);
    const event = reopened.events.at(-1)!;
    assert.equal(event.kind, 'REOPENED');
    assert.equal(event.body, 'Toujours en panne.');
    assert.equal(reopened.emails.at(-1)!.kind, 'ticket-requester-reply');
    assert.equal(reopened.emails.at(-1)!.toAddress, staff.user.email);
  });

  it('refuses confirmation of an unresolved ticket', async () => {
    const { requester, ticket } = await newTicket();
    await post(requester, ticket.reference, 'confirm').expect(302);
    const page = await requester.agent.get(`/tickets/${ticket.reference}`).expect(200);
    assert.match(page.text, /Seul un ticket résolu peut être confirmé/);
    assert.equal((await reload(ticket.id)).status, 'NEW');
  });
});

describe('POST /tickets/:reference/priority', () => {
  it('computes the priority from impact and urgency', async () => {
    const { requester, ticket } = await newTicket();
    const created = await reload(ticket.id);
    assert.deepEqual([created.impact, created.urgency, created.priority], ['MEDIUM', 'MEDIUM', 3]);

    const staff = await signedIn('TECHNICIAN');
    await post(staff, ticket.reference, 'priority', { impact: 'HIGH', urgency: 'HIGH' }).expect(
      302,
    );
    const changed = await reload(ticket.id);
    assert.deepEqual([changed.impact, changed.urgency, changed.priority], ['HIGH', 'HIGH', 1]);
    const event = changed.events.at(-1)!;
    assert.equal(event.kind, 'PRIORITY_CHANGED');
    assert.deepEqual((event.changes as unknown as EventChanges).priority, {
      before: { impact: 'MEDIUM', urgency: 'MEDIUM', priority: 3 },
      after: { impact: 'HIGH', urgency: 'HIGH', priority: 1 },
    });

    const page = await requester.agent.get(`/tickets/${ticket.reference}`).expect(200);
    assert.match(page.text, /1 – Critique/);
    assert.match(page.text, /Priorité : 3 – Moyenne → 1 – Critique/);
    assert.doesNotMatch(page.text, /action="\/tickets\/[^"]+\/priority"/, 'requesters only see it');
  });

  it('rejects an unknown level', async () => {
    const { ticket } = await newTicket();
    const staff = await signedIn('TECHNICIAN');
    const response = await post(staff, ticket.reference, 'priority', {
      impact: 'HUGE',
      urgency: 'LOW',
    }).expect(400);
    assert.match(response.text, /id="impact-error"/);
    assert.equal((await reload(ticket.id)).priority, 3);
  });
});

describe('closeStaleResolvedTickets', () => {
  it('closes tickets resolved long enough ago', async () => {
    const requester = await createUser(context.db);
    const stale = await createTestTicket(context.db, requester);
    const recent = await createTestTicket(context.db, requester);
    const open = await createTestTicket(context.db, requester);
    // Other tests resolve tickets at the real time, so the clock stays near it.
    const now = new Date();
    const day = 24 * 3600 * 1000;
    await context.db.ticket.update({
      where: { id: stale.id },
      data: { status: 'RESOLVED', resolvedAt: new Date(now.getTime() - 7 * day - 1000) },
    });
    await context.db.ticket.update({
      where: { id: recent.id },
      data: { status: 'RESOLVED', resolvedAt: new Date(now.getTime() - 6 * day) },
    });

    const closed = await closeStaleResolvedTickets(context.db, now, 7);
    assert.deepEqual(closed, [stale.id]);

    const staleAfter = await reload(stale.id);
    assert.equal(staleAfter.status, 'CLOSED');
    assert.deepEqual(staleAfter.closedAt, now);
    const event = staleAfter.events.at(-1)!;
    assert.equal(event.kind, 'CLOSED');
    assert.equal(event.actorId, null, 'a system event');
    assert.deepEqual((event.changes as unknown as EventChanges).status, {
      before: 'RESOLVED',
      after: 'CLOSED',
    });
    assert.equal((await reload(recent.id)).status, 'RESOLVED');
    assert.equal((await reload(open.id)).status, 'NEW');

    assert.deepEqual(
      await closeStaleResolvedTickets(context.db, now, 7),
      [],
      'a second run closes nothing',
    );
    const later = new Date(now.getTime() + day);
    assert.deepEqual(await closeStaleResolvedTickets(context.db, later, 7), [recent.id]);
  });
});
