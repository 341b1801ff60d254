import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createTestTicket, createUser, firstCategory, signIn } from '../support/factories.ts';

let context: TestContext;
before(async () => {
  context = await createTestContext();
});
after(() => context.close());

describe('GET /', () => {
  it('shows both icons and the counters', async () => {
    const user = await createUser(context.db);
    await createTestTicket(context.db, user);
    await createTestTicket(context.db, user, { type: 'REQUEST' });
    const { agent } = await signIn(context.app, user.email);
    const response = await agent.get('/').expect(200);
    assert.match(response.text, /class="action action-incident" href="\/incidents\/new"/);
    assert.match(response.text, /class="action action-request" href="\/requests\/new"/);
    assert.match(response.text, /Déclarer un incident/);
    assert.match(response.text, /Faire une demande/);
    const openIncidents =
      /href="\/incidents\?status=open">\s*<span class="counter-value">(\d+)</.exec(response.text);
    assert.equal(openIncidents?.[1], '1', 'one open incident');
    assert.match(response.text, /counter-label">Ouvert</);
    for (const label of ['Accueil', 'Incidents', 'Demandes']) {
      assert.match(response.text, new RegExp(`<span>${label}</span>`), `sidebar has ${label}`);
    }
  });
});

describe('GET /incidents/new', () => {
  it('lists active incident categories only', async () => {
    const user = await createUser(context.db);
    const hidden = await context.db.category.create({
      data: { type: 'INCIDENT', nameFr: 'Catégorie retirée', nameEn: 'Retired', active: false },
    });
    const { agent } = await signIn(context.app, user.email);
    const response = await agent.get('/incidents/new').expect(200);
    assert.match(response.text, /Impression/);
    assert.match(response.text, /Poste de travail › Lenteur/, 'sub-categories follow their parent');
    assert.doesNotMatch(response.text, /Installation de logiciel/, 'no request category');
    assert.doesNotMatch(response.text, new RegExp(`value="${hidden.id}"`));
    assert.match(response.text, /Enregistrer et fermer/);
  });

  it('offers request categories for requests', async () => {
    const user = await createUser(context.db);
    const { agent } = await signIn(context.app, user.email);
    const response = await agent.get('/requests/new').expect(200);
    assert.match(response.text, /Installation de logiciel/);
    assert.doesNotMatch(response.text, /Impression/);
  });
});

describe('POST /incidents', () => {
  it('creates the ticket, the event and the email', async () => {
    const user = await createUser(context.db);
    const category = await firstCategory(context.db, 'INCIDENT');
    const { agent, csrf } = await signIn(context.app, user.email);
    const response = await agent
      .post('/incidents')
      .type('form')
      .send({
        categoryId: category.id,
        title: 'Écran noir',
        description: 'Plus rien ne s’affiche.',
        _csrf: csrf,
      })
      .expect(302);
    assert.equal(response.headers.location, '/incidents');

    const ticket = await context.db.ticket.findFirstOrThrow({
      where: { requesterId: user.id },
      include: { events: true, emails: true },
    });
    assert.equal(ticket.title, 'Écran noir');
    assert.equal(ticket.status, 'NEW');
    assert.equal(ticket.assigneeId, null);
    assert.deepEqual(
      ticket.events.map((event) => event.kind),
      ['CREATED'],
    );
    assert.equal(ticket.emails.length, 1);
    assert.equal(ticket.emails[0].kind, 'ticket-created');
    assert.equal(ticket.emails[0].toAddress, user.email);
    assert.equal(
      ticket.emails[0].messageId,
      ticket.messageId,
      'the acknowledgement starts the thread',
    );

    const list = await agent.get('/incidents').expect(200);
    const reference = `INC-${String(ticket.number).padStart(6, '0')}`;
    assert.match(list.text, new RegExp(`Votre ticket ${reference} a été enregistré`));
    assert.match(list.text, new RegExp(`href="/tickets/${reference}"`));
    const again = await agent.get('/incidents').expect(200);
    assert.doesNotMatch(again.text, /a été enregistré/, 'the confirmation shows once');
  });

  it('numbers each type separately', async () => {
    const user = await createUser(context.db);
    const a = await createTestTicket(context.db, user);
    const b = await createTestTicket(context.db, user);
    const c = await createTestTicket(context.db, user, { type: 'REQUEST' });
    assert.equal(b.number, a.number + 1);
    assert.match(c.reference, /^REQ-\d{6}$/);
    assert.match(a.reference, /^INC-\d{6}$/);
  });

  it('numbers concurrent tickets without gaps', async () => {
    const user = await createUser(context.db);
    const tickets = await Promise.all(
      Array.from({ length: 8 }, () => createTestTicket(context.db, user, { type: 'REQUEST' })),
    );
    const numbers = tickets.map((ticket) => ticket.number).sort((x, y) => x - y);
    assert.equal(new Set(numbers).size, 8, 'every number is unique');
    assert.equal(numbers[7] - numbers[0], 7, 'numbers are consecutive');
  });

  it('keeps the input and explains each error', async () => {
    const user = await createUser(context.db);
    const { agent, csrf } = await signIn(context.app, user.email);
    const response = await agent
      .post('/incidents')
      .type('form')
      .send({ categoryId: '', title: '   ', description: 'Le détail est conservé', _csrf: csrf })
      .expect(400);
    assert.match(response.text, /id="categoryId-error"[^>]*>Choisissez une catégorie/);
    assert.match(response.text, /id="title-error"[^>]*>Saisissez un titre/);
    assert.doesNotMatch(response.text, /id="description-error"/);
    assert.match(response.text, />Le détail est conservé<\/textarea>/);
    assert.equal(await context.db.ticket.count({ where: { requesterId: user.id } }), 0);
  });

  it('rejects a category of the other type', async () => {
    const user = await createUser(context.db);
    const requestCategory = await firstCategory(context.db, 'REQUEST');
    const { agent, csrf } = await signIn(context.app, user.email);
    const response = await agent
      .post('/incidents')
      .type('form')
      .send({ categoryId: requestCategory.id, title: 'Titre', description: 'Texte', _csrf: csrf })
      .expect(400);
    assert.match(response.text, /Cette catégorie n&#39;est plus proposée/);
    assert.match(response.text, /value="Titre"/);
  });

  it('rejects a deactivated category', async () => {
    const user = await createUser(context.db);
    const category = await context.db.category.create({
      data: { type: 'INCIDENT', nameFr: 'Ancienne', nameEn: 'Old', active: false },
    });
    const { agent, csrf } = await signIn(context.app, user.email);
    await agent
      .post('/incidents')
      .type('form')
      .send({ categoryId: category.id, title: 'Titre', description: 'Texte', _csrf: csrf })
      .expect(400);
  });

  it('rejects a title over 200 characters', async () => {
    const user = await createUser(context.db);
    const category = await firstCategory(context.db, 'INCIDENT');
    const { agent, csrf } = await signIn(context.app, user.email);
    const response = await agent
      .post('/incidents')
      .type('form')
      .send({ categoryId: category.id, title: 'x'.repeat(201), description: 'Texte', _csrf: csrf })
      .expect(400);
    assert.match(response.text, /Le titre ne doit pas dépasser 200 caractères/);
  });
});

describe('GET /incidents', () => {
  it('lists own tickets newest first', async () => {
    const user = await createUser(context.db);
    const other = await createUser(context.db);
    const older = await createTestTicket(context.db, user, { title: 'Plus ancien' });
    const newer = await createTestTicket(context.db, user, { title: 'Plus récent' });
    const foreign = await createTestTicket(context.db, other, { title: 'Ticket d’un autre' });
    const { agent } = await signIn(context.app, user.email);
    const response = await agent.get('/incidents').expect(200);
    assert.ok(response.text.indexOf(newer.reference) < response.text.indexOf(older.reference));
    assert.doesNotMatch(response.text, new RegExp(foreign.reference));
    assert.match(response.text, /Nouveau/, 'the status is shown');
    assert.match(response.text, /Poste de travail/, 'the category is shown');
  });

  it('paginates by 25 with a cursor', async () => {
    const user = await createUser(context.db);
    const created = [];
    for (let index = 0; index < 27; index++) {
      created.push(
        await createTestTicket(context.db, user, { type: 'REQUEST', title: `Demande ${index}` }),
      );
    }
    const { agent } = await signIn(context.app, user.email);
    const first = await agent.get('/requests').expect(200);
    assert.match(first.text, new RegExp(created[26].reference));
    assert.doesNotMatch(first.text, new RegExp(`${created[0].reference}"`));
    const olderLink = /href="(\/requests\?after=[^"]+)"/.exec(first.text)?.[1];
    assert.ok(olderLink, 'the first page links to older tickets');
    const second = await agent.get(olderLink.replaceAll('&amp;', '&')).expect(200);
    assert.match(second.text, new RegExp(created[0].reference));
    assert.match(second.text, new RegExp(created[1].reference));
    assert.doesNotMatch(second.text, new RegExp(created[2].reference));
    const newerLink = /href="(\/requests\?before=[^"]+)"/.exec(second.text)?.[1];
    assert.ok(newerLink, 'the second page links back');
    const back = await agent.get(newerLink).expect(200);
    assert.match(back.text, new RegExp(created[2].reference));
    assert.doesNotMatch(back.text, new RegExp(`${created[1].reference}"`));
  });

  it('filters by status group', async () => {
    const user = await createUser(context.db);
    const open = await createTestTicket(context.db, user, { title: 'Encore ouvert' });
    const closed = await createTestTicket(context.db, user, { title: 'Déjà clos' });
    await context.db.ticket.update({ where: { id: closed.id }, data: { status: 'CLOSED' } });
    const { agent } = await signIn(context.app, user.email);
    const response = await agent.get('/incidents?status=open').expect(200);
    assert.match(response.text, new RegExp(open.reference));
    assert.doesNotMatch(response.text, new RegExp(closed.reference));
  });

  it('rejects a malformed cursor', async () => {
    const user = await createUser(context.db);
    const { agent } = await signIn(context.app, user.email);
    await agent.get('/incidents?after=not-a-cursor').expect(400);
    await agent.get('/incidents?status=bogus').expect(200);
  });
});

describe('GET /tickets/:reference', () => {
  it('shows fields, status, assignee and history', async () => {
    const user = await createUser(context.db);
    const ticket = await createTestTicket(context.db, user);
    const { agent } = await signIn(context.app, user.email);
    const response = await agent.get(`/tickets/${ticket.reference}`).expect(200);
    assert.match(response.text, /Imprimante du 2e étage hors service/);
    assert.match(response.text, /Elle affiche « erreur 49 » depuis ce matin./);
    assert.match(response.text, /Personne pour l&#39;instant/);
    assert.match(response.text, /Ticket ouvert par/);
    assert.match(response.text, /status-new/);
  });

  it('returns 404 for another requester', async () => {
    const owner = await createUser(context.db);
    const other = await createUser(context.db);
    const ticket = await createTestTicket(context.db, owner);
    const { agent } = await signIn(context.app, other.email);
    const response = await agent.get(`/tickets/${ticket.reference}`).expect(404);
    assert.match(response.text, /Page introuvable/);
    assert.doesNotMatch(response.text, /Imprimante/);
  });

  it('shows every ticket to staff', async () => {
    const owner = await createUser(context.db);
    const ticket = await createTestTicket(context.db, owner);
    for (const role of ['TECHNICIAN', 'ADMIN'] as const) {
      const staff = await createUser(context.db, { role });
      const { agent } = await signIn(context.app, staff.email);
      await agent.get(`/tickets/${ticket.reference}`).expect(200);
      const list = await agent.get('/incidents').expect(200);
      assert.match(list.text, new RegExp(ticket.reference), `${role} sees it in the list`);
    }
  });

  it('returns 404 for unknown references', async () => {
    const user = await createUser(context.db);
    const { agent } = await signIn(context.app, user.email);
    await agent.get('/tickets/INC-999999').expect(404);
    await agent.get('/tickets/XYZ-000001').expect(404);
    await agent.get('/tickets/INC-0').expect(404);
    await agent.get('/tickets/%E0%A4%A').expect(400);
  });
});
