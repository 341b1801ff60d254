import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { TicketStatus, TicketType, User } from '../../src/db/client.ts';
import {
  decodeQueueCursor,
  encodeQueueCursor,
  escapeLikePattern,
  listQueue,
  type QueueQuery,
} from '../../src/tickets/queue.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createUser, signIn } from '../support/factories.ts';

let context: TestContext;
let technician: User;
let colleague: User;
let admin: User;
let requester: User;
let technicianAgent: Awaited<ReturnType<typeof signIn>>['agent'];

before(async () => {
  context = await createTestContext();
  technician = await createUser(context.db, { role: 'TECHNICIAN', name: 'Théo Technicien' });
  colleague = await createUser(context.db, { role: 'TECHNICIAN', name: 'Chloé Collègue' });
  admin = await createUser(context.db, { role: 'ADMIN', name: 'Ada Admin' });
  requester = await createUser(context.db, { name: 'Rémi Demandeur' });
  ({ agent: technicianAgent } = await signIn(context.app, technician.email));
});
after(() => context.close());

// Numbers far above the ones createTicket hands out, so both never collide.
let nextNumber = 900_000;
const base = new Date('2026-01-01T08:00:00.000Z');

/** Returns the date `minutes` after 2026-01-01 08:00 UTC. */
function at(minutes: number): Date {
  return new Date(base.getTime() + minutes * 60_000);
}

interface TicketFields {
  type?: TicketType;
  status?: TicketStatus;
  categoryId: number;
  title?: string;
  description?: string;
  assigneeId?: number | null;
  priority?: number;
  createdAt?: Date;
  updatedAt?: Date;
}

async function makeTicket(fields: TicketFields) {
  const ticket = await context.db.ticket.create({
    data: {
      type: fields.type ?? 'INCIDENT',
      number: ++nextNumber,
      status: fields.status ?? 'NEW',
      categoryId: fields.categoryId,
      title: fields.title ?? 'Poste lent',
      description: fields.description ?? 'Le poste met dix minutes à démarrer.',
      requesterId: requester.id,
      assigneeId: fields.assigneeId ?? null,
      priority: fields.priority ?? 3,
      messageId: `<${randomUUID()}@guichet.test>`,
    },
  });
  return context.db.ticket.update({
    where: { id: ticket.id },
    data: { createdAt: fields.createdAt ?? at(0), updatedAt: fields.updatedAt ?? at(0) },
  });
}

/** Creates a category, so that each test can filter on tickets of its own. */
async function makeCategory(type: TicketType = 'INCIDENT', parentId: number | null = null) {
  const name = `Catégorie ${randomUUID().slice(0, 8)}`;
  return context.db.category.create({ data: { type, parentId, nameFr: name, nameEn: name } });
}

/** Lists the queue as the technician, with the query's defaults filled in. */
async function queue(query: Partial<QueueQuery>) {
  return listQueue(context.db, technician, { status: 'open', sort: 'updated', ...query });
}

function idsOf(page: { tickets: { id: number }[] }): number[] {
  return page.tickets.map((ticket) => ticket.id);
}

describe('GET /queue access', () => {
  it('redirects anonymous users to sign-in', async () => {
    const response = await request(context.app).get('/queue').expect(302);

    assert.equal(response.headers.location, '/login?next=%2Fqueue');
  });

  it('rejects requesters with 403', async () => {
    const { agent } = await signIn(context.app, requester.email);

    await agent.get('/queue').expect(403);
    const home = await agent.get('/').expect(200);
    assert.doesNotMatch(home.text, /href="\/queue"/, 'no sidebar entry for requesters');
  });

  it('shows the page to technicians', async () => {
    const response = await technicianAgent.get('/queue').expect(200);

    assert.match(response.text, /<h1>File d’attente<\/h1>|<h1>File d&#39;attente<\/h1>/);
    assert.match(response.text, /href="\/queue" aria-current="page"/, 'sidebar entry is current');
    assert.match(response.text, /<label for="q">Rechercher<\/label>/);
  });

  it('shows the page to admins', async () => {
    const { agent } = await signIn(context.app, admin.email);

    const response = await agent.get('/queue').expect(200);

    assert.match(response.text, /href="\/queue"/);
  });
});

describe('GET /queue page', () => {
  it('lists open tickets of both types with their columns', async () => {
    const incidents = await makeCategory('INCIDENT');
    const requests = await makeCategory('REQUEST');
    const tag = `zèbre${randomUUID().slice(0, 6)}`;
    const incident = await makeTicket({
      categoryId: incidents.id,
      title: `Imprimante ${tag}`,
      assigneeId: colleague.id,
      priority: 2,
    });
    const waiting = await makeTicket({
      type: 'REQUEST',
      categoryId: requests.id,
      status: 'WAITING_FOR_USER',
      title: `Logiciel ${tag}`,
    });
    const closed = await makeTicket({
      categoryId: incidents.id,
      status: 'CLOSED',
      title: `Clos ${tag}`,
    });

    const response = await technicianAgent.get(`/queue?q=${tag}`).expect(200);

    const incidentReference = `INC-${String(incident.number).padStart(6, '0')}`;
    const requestReference = `REQ-${String(waiting.number).padStart(6, '0')}`;
    assert.match(response.text, new RegExp(`href="/tickets/${incidentReference}"`));
    assert.match(response.text, new RegExp(`href="/tickets/${requestReference}"`));
    assert.doesNotMatch(response.text, new RegExp(`INC-0*${closed.number}`), 'closed is hidden');
    assert.match(response.text, /Rémi Demandeur/, 'requester column');
    assert.match(response.text, /Chloé Collègue/, 'assignee column');
    assert.match(response.text, /2 – Haute/, 'priority column');
    assert.match(response.text, new RegExp(incidents.nameFr), 'category column');
    assert.match(response.text, /En attente \(utilisateur\)/, 'status column');
    assert.doesNotMatch(response.text, /\b\d+ tickets?\b/, 'no count of matches');
  });

  it('keeps the filters in the form', async () => {
    const category = await makeCategory();
    const url =
      `/queue?type=INCIDENT&status=NEW&category=${category.id}&assignee=mine` +
      '&priority=4&sort=age&q=imprimante';

    const response = await technicianAgent.get(url).expect(200);

    assert.match(response.text, /<option value="INCIDENT" selected>/);
    assert.match(response.text, /<option value="NEW" selected>/);
    assert.match(response.text, new RegExp(`<option value="${category.id}" selected>`));
    assert.match(response.text, /<option value="mine" selected>/);
    assert.match(response.text, /<option value="4" selected>/);
    assert.match(response.text, /<option value="age" selected>/);
    assert.match(response.text, /name="q" type="search" maxlength="200" value="imprimante"/);
  });
});

describe('listQueue filters', () => {
  it('filters by type', async () => {
    const category = await makeCategory();
    const incident = await makeTicket({ categoryId: category.id });
    const requestTicket = await makeTicket({ categoryId: category.id, type: 'REQUEST' });

    const incidents = await queue({ categoryId: category.id, type: 'INCIDENT' });
    const requests = await queue({ categoryId: category.id, type: 'REQUEST' });

    assert.deepEqual(idsOf(incidents), [incident.id]);
    assert.deepEqual(idsOf(requests), [requestTicket.id]);
  });

  it('filters by each status, open and all', async () => {
    const category = await makeCategory();
    const statuses = ['NEW', 'IN_PROGRESS', 'WAITING_FOR_USER', 'RESOLVED', 'CLOSED'] as const;
    const tickets = new Map<TicketStatus, number>();
    for (const [index, status] of statuses.entries()) {
      const ticket = await makeTicket({ categoryId: category.id, status, updatedAt: at(index) });
      tickets.set(status, ticket.id);
    }

    for (const status of statuses) {
      const page = await queue({ categoryId: category.id, status });
      assert.deepEqual(idsOf(page), [tickets.get(status)], `status ${status}`);
    }
    const open = await queue({ categoryId: category.id });
    const all = await queue({ categoryId: category.id, status: 'all' });
    assert.deepEqual(
      idsOf(open),
      ['WAITING_FOR_USER', 'IN_PROGRESS', 'NEW'].map((status) =>
        tickets.get(status as TicketStatus),
      ),
    );
    assert.deepEqual(
      idsOf(all),
      [...statuses].reverse().map((status) => tickets.get(status)),
    );
  });

  it('includes sub-categories of a category', async () => {
    const parent = await makeCategory();
    const child = await makeCategory('INCIDENT', parent.id);
    const inParent = await makeTicket({ categoryId: parent.id, updatedAt: at(2) });
    const inChild = await makeTicket({ categoryId: child.id, updatedAt: at(1) });

    const parentPage = await queue({ categoryId: parent.id });
    const childPage = await queue({ categoryId: child.id });

    assert.deepEqual(idsOf(parentPage), [inParent.id, inChild.id]);
    assert.deepEqual(idsOf(childPage), [inChild.id]);
  });

  it('filters by assignee', async () => {
    const category = await makeCategory();
    const mine = await makeTicket({ categoryId: category.id, assigneeId: technician.id });
    const theirs = await makeTicket({ categoryId: category.id, assigneeId: colleague.id });
    const nobody = await makeTicket({ categoryId: category.id });

    assert.deepEqual(idsOf(await queue({ categoryId: category.id, assignee: 'mine' })), [mine.id]);
    assert.deepEqual(idsOf(await queue({ categoryId: category.id, assignee: 'unassigned' })), [
      nobody.id,
    ]);
    assert.deepEqual(idsOf(await queue({ categoryId: category.id, assignee: colleague.id })), [
      theirs.id,
    ]);
  });

  it('filters by priority', async () => {
    const category = await makeCategory();
    const critical = await makeTicket({ categoryId: category.id, priority: 1 });
    await makeTicket({ categoryId: category.id, priority: 5 });

    const page = await queue({ categoryId: category.id, priority: 1 });

    assert.deepEqual(idsOf(page), [critical.id]);
  });

  it('combines filters', async () => {
    const category = await makeCategory();
    const matching = await makeTicket({
      categoryId: category.id,
      assigneeId: technician.id,
      priority: 2,
    });
    await makeTicket({ categoryId: category.id, assigneeId: technician.id, priority: 3 });
    await makeTicket({ categoryId: category.id, priority: 2 });

    const page = await queue({ categoryId: category.id, assignee: 'mine', priority: 2 });

    assert.deepEqual(idsOf(page), [matching.id]);
  });
});

describe('listQueue sorts', () => {
  it('sorts by last update, newest first', async () => {
    const { id: categoryId } = await makeCategory();
    const old = await makeTicket({ categoryId, createdAt: at(0), updatedAt: at(50) });
    const recent = await makeTicket({ categoryId, createdAt: at(10), updatedAt: at(90) });
    const middle = await makeTicket({ categoryId, createdAt: at(20), updatedAt: at(70) });

    const page = await queue({ categoryId, sort: 'updated' });

    assert.deepEqual(idsOf(page), [recent.id, middle.id, old.id]);
  });

  it('sorts by age, oldest first', async () => {
    const { id: categoryId } = await makeCategory();
    const second = await makeTicket({ categoryId, createdAt: at(10), updatedAt: at(99) });
    const first = await makeTicket({ categoryId, createdAt: at(0), updatedAt: at(1) });
    const third = await makeTicket({ categoryId, createdAt: at(20), updatedAt: at(5) });

    const page = await queue({ categoryId, sort: 'age' });

    assert.deepEqual(idsOf(page), [first.id, second.id, third.id]);
  });

  it('breaks ties on the id', async () => {
    const category = await makeCategory();
    const earlier = await makeTicket({ categoryId: category.id, updatedAt: at(5) });
    const later = await makeTicket({ categoryId: category.id, updatedAt: at(5) });

    const page = await queue({ categoryId: category.id });

    assert.deepEqual(idsOf(page), [later.id, earlier.id]);
  });
});

describe('queue search', () => {
  it('finds text in titles', async () => {
    const category = await makeCategory();
    const tag = `girafe${randomUUID().slice(0, 6)}`;
    const title = `Écran ${tag.toUpperCase()}`;
    const ticket = await makeTicket({ categoryId: category.id, title });
    await makeTicket({ categoryId: category.id, title: 'Autre chose' });

    const page = await queue({ search: tag });

    assert.deepEqual(idsOf(page), [ticket.id], 'case-insensitive match on the title');
  });

  it('finds text in descriptions', async () => {
    const category = await makeCategory();
    const tag = `okapi${randomUUID().slice(0, 6)}`;
    const ticket = await makeTicket({ categoryId: category.id, description: `Message ${tag} ici` });

    const page = await queue({ search: tag });

    assert.deepEqual(idsOf(page), [ticket.id]);
  });

  it('treats % and _ literally', async () => {
    const category = await makeCategory();
    const tag = randomUUID().slice(0, 6);
    const percent = await makeTicket({
      categoryId: category.id,
      title: `Disque plein 100% ${tag}`,
    });
    await makeTicket({ categoryId: category.id, title: `Disque plein 1000 ${tag}` });

    const page = await queue({ search: `100% ${tag}` });
    const underscore = await queue({ search: `1_0 ${tag}` });

    assert.deepEqual(idsOf(page), [percent.id]);
    assert.deepEqual(idsOf(underscore), []);
    assert.equal(escapeLikePattern('a%b_c\\d'), 'a\\%b\\_c\\\\d');
  });

  it('filters to a reference in the service', async () => {
    const category = await makeCategory();
    const ticket = await makeTicket({ categoryId: category.id });

    const page = await queue({ search: `inc-${ticket.number}` });

    assert.deepEqual(idsOf(page), [ticket.id]);
  });

  it('jumps to the ticket of a reference', async () => {
    const category = await makeCategory();
    const ticket = await makeTicket({ categoryId: category.id, status: 'CLOSED' });
    const reference = `INC-${String(ticket.number).padStart(6, '0')}`;

    const exact = await technicianAgent.get(`/queue?q=${reference}`).expect(302);
    const short = await technicianAgent.get(`/queue?q=inc-${ticket.number}`).expect(302);

    assert.equal(exact.headers.location, `/tickets/${reference}`);
    assert.equal(short.headers.location, `/tickets/${reference}`, 'any case, any zero padding');
  });

  it('shows an empty list for an unknown reference', async () => {
    const response = await technicianAgent.get('/queue?q=REQ-999999999').expect(200);

    assert.match(response.text, /Aucun ticket ne correspond à ces filtres/);
  });
});

describe('queue pagination', () => {
  it('pages forward and back by cursor', async () => {
    const category = await makeCategory();
    const tickets = [];
    for (let minute = 0; minute < 7; minute++) {
      tickets.push(await makeTicket({ categoryId: category.id, updatedAt: at(minute) }));
    }
    const expected = tickets.map((ticket) => ticket.id).reverse();
    const query = { categoryId: category.id, pageSize: 3 };

    const first = await queue(query);
    assert.deepEqual(idsOf(first), expected.slice(0, 3));
    assert.equal(first.previous, null, 'no page before the first');
    assert.ok(first.next);

    const second = await queue({ ...query, cursor: decodeQueueCursor(first.next)! });
    assert.deepEqual(idsOf(second), expected.slice(3, 6));
    assert.ok(second.previous);
    assert.ok(second.next);

    const third = await queue({ ...query, cursor: decodeQueueCursor(second.next)! });
    assert.deepEqual(idsOf(third), expected.slice(6));
    assert.equal(third.next, null, 'no page after the last');

    const back = await queue({
      ...query,
      cursor: decodeQueueCursor(third.previous!)!,
      direction: 'before',
    });
    assert.deepEqual(idsOf(back), expected.slice(3, 6));
    const start = await queue({
      ...query,
      cursor: decodeQueueCursor(back.previous!)!,
      direction: 'before',
    });
    assert.deepEqual(idsOf(start), expected.slice(0, 3));
    assert.equal(start.previous, null, 'back on the first page');
  });

  it('pages in age order', async () => {
    const category = await makeCategory();
    const tickets = [];
    for (let minute = 0; minute < 4; minute++) {
      tickets.push(await makeTicket({ categoryId: category.id, createdAt: at(minute) }));
    }
    const query = { categoryId: category.id, sort: 'age' as const, pageSize: 2 };

    const first = await queue(query);
    const second = await queue({ ...query, cursor: decodeQueueCursor(first.next!)! });

    assert.deepEqual(idsOf(first), [tickets[0].id, tickets[1].id]);
    assert.deepEqual(idsOf(second), [tickets[2].id, tickets[3].id]);
  });

  it('links the next page with the filters', async () => {
    const category = await makeCategory();
    for (let minute = 0; minute < 52; minute++) {
      await makeTicket({ categoryId: category.id, updatedAt: at(minute), priority: 4 });
    }

    const filters = `category=${category.id}&priority=4`;
    const first = await technicianAgent.get(`/queue?${filters}`).expect(200);
    const next = /href="(\/queue\?[^"]*after=[^"]+)" rel="next"/.exec(first.text);
    assert.ok(next, 'next page link');
    const url = next[1].replaceAll('&amp;', '&');
    assert.match(url, new RegExp(`category=${category.id}`));
    assert.match(url, /priority=4/);
    assert.equal((first.text.match(/<tr>/g) ?? []).length, 51, 'header and 50 rows');

    const second = await technicianAgent.get(url).expect(200);
    assert.equal((second.text.match(/<tr>/g) ?? []).length, 3, 'header and 2 rows');
    assert.match(second.text, /rel="prev"/);
    assert.doesNotMatch(second.text, /rel="next"/);
  });

  it('round-trips a cursor', () => {
    const cursor = { value: at(3), id: 42 };

    assert.deepEqual(decodeQueueCursor(encodeQueueCursor(cursor)), cursor);
  });
});

describe('GET /queue with bad input', () => {
  it('ignores unknown filter values', async () => {
    const url = '/queue?status=LOST&type=BUG&category=abc&assignee=someone&priority=9&sort=x';

    const response = await technicianAgent.get(url).expect(200);

    assert.match(response.text, /<option value="open" selected>/, 'status back to open');
    assert.match(response.text, /<option value="updated" selected>/, 'sort back to update');
    assert.doesNotMatch(response.text, /<option value="(INCIDENT|REQUEST)" selected>/);
    assert.doesNotMatch(response.text, /<option value="\d+" selected>/, 'no category, assignee');
  });

  it('ignores repeated parameters', async () => {
    await technicianAgent.get('/queue?status=NEW&status=CLOSED&category=1&category=2').expect(200);
  });

  it('rejects a malformed cursor with 400', async () => {
    const notADate = Buffer.from('not-a-date_1').toString('base64url');
    const hugeId = Buffer.from('2026-01-01T00:00:00.000Z_99999999999').toString('base64url');
    const extraPart = Buffer.from('2026-01-01T00:00:00.000Z_1_2').toString('base64url');

    for (const cursor of ['garbage', '%25%25%25', notADate, hugeId, extraPart]) {
      await technicianAgent.get(`/queue?after=${cursor}`).expect(400);
      await technicianAgent.get(`/queue?before=${cursor}`).expect(400);
    }
  });

  it('ignores a cursor over 200 characters', async () => {
    await technicianAgent.get(`/queue?after=${'x'.repeat(300)}`).expect(200);
  });

  it('rejects a 1,000-character search with 400', async () => {
    const response = await technicianAgent.get(`/queue?q=${'a'.repeat(1000)}`).expect(400);

    assert.match(response.text, /La recherche ne doit pas dépasser 200 caractères/);
    assert.match(response.text, /aria-invalid="true"/);
  });

  it('rejects a search under 3 characters with 400', async () => {
    const response = await technicianAgent.get('/queue?q=ab').expect(400);

    assert.match(response.text, /Saisissez au moins 3 caractères/);
  });

  it('rejects a repeated search parameter with 400', async () => {
    await technicianAgent.get('/queue?q=abc&q=def').expect(400);
  });

  it('accepts an empty search', async () => {
    await technicianAgent.get('/queue?q=&type=&category=&assignee=&priority=').expect(200);
  });
});
