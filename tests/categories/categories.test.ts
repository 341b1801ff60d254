import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { TicketType } from '../../src/db/client.ts';
import { createTicket } from '../../src/tickets/service.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createUser, csrfTokenOf, signIn } from '../support/factories.ts';

type Agent = Awaited<ReturnType<typeof signIn>>;

let context: TestContext;
let admin: Agent;
let requester: Agent;
let technician: Agent;
let requesterUser: Awaited<ReturnType<typeof createUser>>;

before(async () => {
  context = await createTestContext();
  const adminUser = await createUser(context.db, { role: 'ADMIN' });
  requesterUser = await createUser(context.db);
  const technicianUser = await createUser(context.db, { role: 'TECHNICIAN' });
  admin = await signIn(context.app, adminUser.email);
  requester = await signIn(context.app, requesterUser.email);
  technician = await signIn(context.app, technicianUser.email);
});
after(() => context.close());

let nameCounter = 0;

/** Returns a name no other test uses, so that the duplicate-name rule never trips by accident. */
function uniqueName(prefix: string) {
  nameCounter += 1;
  return `${prefix} ${nameCounter}`;
}

async function insertCategory(
  overrides: { type?: TicketType; parentId?: number; position?: number; active?: boolean } = {},
) {
  return context.db.category.create({
    data: {
      type: overrides.type ?? 'INCIDENT',
      parentId: overrides.parentId ?? null,
      position: overrides.position ?? 0,
      active: overrides.active ?? true,
      nameFr: uniqueName('Catégorie'),
      nameEn: uniqueName('Category'),
    },
  });
}

/** Sibling ids in display order, the order of the admin page and of the ticket forms. */
async function siblingIds(type: TicketType, parentId: number | null) {
  const rows = await context.db.category.findMany({
    where: { type, parentId },
    orderBy: [{ position: 'asc' }, { id: 'asc' }],
  });
  return rows.map((row) => row.id);
}

function post(agent: Agent, path: string, form: Record<string, string | number>) {
  return agent.agent
    .post(path)
    .type('form')
    .send({ ...form, _csrf: agent.csrf });
}

/** Returns the <tr> of a category on the admin page, or an empty string when it is missing. */
function rowOf(html: string, id: number) {
  return new RegExp(`id="category-${id}"[\\s\\S]*?</tr>`).exec(html)?.[0] ?? '';
}

function move(id: number, direction: 'up' | 'down', type = 'incidents') {
  return post(admin, `/admin/categories/${type}/${id}/move`, { direction });
}

describe('category admin access', () => {
  const pages = ['/admin/categories', '/admin/categories/incidents', '/admin/categories/requests'];
  let categoryId: number;
  let postRoutes: { path: string; form: Record<string, string> }[];

  before(async () => {
    categoryId = (await insertCategory()).id;
    postRoutes = [
      { path: '/admin/categories/incidents', form: { nameFr: 'Intrus', nameEn: 'Intruder' } },
      { path: '/admin/categories/requests', form: { nameFr: 'Intrus', nameEn: 'Intruder' } },
      {
        path: `/admin/categories/incidents/${categoryId}`,
        form: { nameFr: 'Intrus', nameEn: 'Intruder' },
      },
      { path: `/admin/categories/incidents/${categoryId}/move`, form: { direction: 'up' } },
      { path: `/admin/categories/incidents/${categoryId}/active`, form: { active: 'false' } },
    ];
  });

  it('redirects anonymous GETs to sign-in', async () => {
    for (const path of [...pages, `/admin/categories/incidents/${categoryId}/edit`]) {
      const response = await request(context.app).get(path).expect(302);
      assert.equal(
        response.headers.location,
        `/login?next=${encodeURIComponent(path)}`,
        `GET ${path}`,
      );
    }
  });

  it('redirects anonymous POSTs to sign-in', async () => {
    const anonymous = request.agent(context.app);
    const csrf = csrfTokenOf((await anonymous.get('/login').expect(200)).text);
    for (const { path, form } of postRoutes) {
      const response = await anonymous
        .post(path)
        .type('form')
        .send({ ...form, _csrf: csrf });
      assert.equal(response.status, 302, `POST ${path}`);
      assert.equal(response.headers.location, '/login', `POST ${path}`);
    }
    assert.equal(await context.db.category.count({ where: { nameFr: 'Intrus' } }), 0);
  });

  for (const role of ['requester', 'technician'] as const) {
    it(`answers 403 to a ${role}`, async () => {
      const agent = role === 'requester' ? requester : technician;
      for (const path of [...pages, `/admin/categories/incidents/${categoryId}/edit`]) {
        const response = await agent.agent.get(path);
        assert.equal(response.status, 403, `GET ${path}`);
      }
      const before = await context.db.category.findUniqueOrThrow({ where: { id: categoryId } });
      for (const { path, form } of postRoutes) {
        const response = await post(agent, path, form);
        assert.equal(response.status, 403, `POST ${path}`);
      }
      const after = await context.db.category.findUniqueOrThrow({ where: { id: categoryId } });
      assert.deepEqual(after, before, 'the category is unchanged');
      assert.equal(await context.db.category.count({ where: { nameFr: 'Intrus' } }), 0);
    });

    it(`hides the sidebar entry from a ${role}`, async () => {
      const agent = role === 'requester' ? requester : technician;
      const response = await agent.agent.get('/').expect(200);
      assert.doesNotMatch(response.text, /href="\/admin\/categories"/);
    });
  }

  it('shows admins the sidebar entry', async () => {
    const response = await admin.agent.get('/').expect(200);
    assert.match(response.text, /<a href="\/admin\/categories"\s*>/);
    assert.match(response.text, /<span>Catégories<\/span>/);
  });

  it('sends admins to the incident categories', async () => {
    const response = await admin.agent.get('/admin/categories').expect(302);
    assert.equal(response.headers.location, '/admin/categories/incidents');
  });
});

describe('category tree page', () => {
  it('shows parents, indented children, both names and states', async () => {
    const response = await admin.agent.get('/admin/categories/incidents').expect(200);
    assert.match(response.text, /<h1>Catégories<\/h1>/);
    assert.match(response.text, /<span lang="fr">Poste de travail<\/span>/);
    assert.match(response.text, /<span lang="en">Workstation<\/span>/);
    assert.doesNotMatch(response.text, /Installation de logiciel/, 'no request category');

    const workstation = response.text.indexOf('Poste de travail</span>');
    const slowness = response.text.indexOf('Lenteur</span>');
    const printing = response.text.indexOf('Impression</span>');
    assert.ok(workstation < slowness, 'the child follows its parent');
    assert.ok(slowness < printing, 'the next parent follows the children');
    assert.match(response.text, /class="category-child">[\s\S]*?Lenteur/);
    assert.match(response.text, /sous-catégorie de Poste de travail/);
    assert.match(response.text, /masque aussi toutes ses sous-catégories/, 'parent note');
    assert.match(response.text, /state-active/);
  });

  it('lists request categories on their own page', async () => {
    const response = await admin.agent.get('/admin/categories/requests').expect(200);
    assert.match(response.text, /Installation de logiciel/);
    assert.doesNotMatch(response.text, /Impression/);
    assert.match(response.text, /href="\/admin\/categories\/requests" aria-current="page"/);
  });

  it('marks inactive categories and hidden children', async () => {
    const parent = await insertCategory({ active: false });
    const child = await insertCategory({ parentId: parent.id });
    const response = await admin.agent.get('/admin/categories/incidents').expect(200);
    assert.match(rowOf(response.text, parent.id), /Désactivée/);
    assert.match(rowOf(response.text, parent.id), /Réactiver/);
    assert.match(rowOf(response.text, child.id), /Masquée : catégorie parente désactivée/);
  });

  it('disables moves past the edges', async () => {
    const parent = await insertCategory();
    const first = await insertCategory({ parentId: parent.id, position: 10 });
    const last = await insertCategory({ parentId: parent.id, position: 20 });
    const response = await admin.agent.get('/admin/categories/incidents').expect(200);
    const firstRow = rowOf(response.text, first.id);
    const lastRow = rowOf(response.text, last.id);
    assert.match(firstRow, /disabled>Monter/);
    assert.doesNotMatch(firstRow, /disabled>Descendre/);
    assert.match(lastRow, /disabled>Descendre/);
    assert.doesNotMatch(lastRow, /disabled>Monter/);
  });
});

describe('adding a category', () => {
  it('adds a top-level category last', async () => {
    const lastBefore = (await siblingIds('INCIDENT', null)).at(-1);
    const response = await post(admin, '/admin/categories/incidents', {
      nameFr: '  Visioconférence  ',
      nameEn: 'Video conferencing',
      parentId: '',
    }).expect(302);

    const category = await context.db.category.findFirstOrThrow({
      where: { nameFr: 'Visioconférence' },
    });
    assert.equal(response.headers.location, `/admin/categories/incidents#category-${category.id}`);
    assert.equal(category.type, 'INCIDENT');
    assert.equal(category.parentId, null);
    assert.equal(category.active, true);
    assert.equal(category.nameEn, 'Video conferencing');
    const order = await siblingIds('INCIDENT', null);
    assert.equal(order.at(-1), category.id, 'goes last');
    assert.equal(order.at(-2), lastBefore);

    const page = await admin.agent.get('/admin/categories/incidents').expect(200);
    assert.match(page.text, /La catégorie « Visioconférence » a été ajoutée\./);
  });

  it('adds a sub-category offered on the ticket form', async () => {
    const parent = await insertCategory();
    await post(admin, '/admin/categories/incidents', {
      nameFr: 'Casque audio',
      nameEn: 'Headset',
      parentId: parent.id,
    }).expect(302);

    const child = await context.db.category.findFirstOrThrow({ where: { nameFr: 'Casque audio' } });
    assert.equal(child.parentId, parent.id);
    const form = await requester.agent.get('/incidents/new').expect(200);
    const option = new RegExp(`value="${child.id}"[^>]*>${parent.nameFr} › Casque audio<`);
    assert.match(form.text, option);
  });

  it('adds a request category on the request page', async () => {
    await post(admin, '/admin/categories/requests', {
      nameFr: 'Licence logicielle',
      nameEn: 'Software licence',
    }).expect(302);
    const category = await context.db.category.findFirstOrThrow({
      where: { nameFr: 'Licence logicielle' },
    });
    assert.equal(category.type, 'REQUEST');
  });

  it('keeps the input of an invalid form', async () => {
    const response = await post(admin, '/admin/categories/incidents', {
      nameFr: '   ',
      nameEn: 'Kept <value>',
    }).expect(400);
    assert.match(response.text, /Saisissez le nom en français\./);
    assert.match(response.text, /id="nameFr"[^>]*aria-invalid="true"/);
    assert.match(response.text, /value="Kept &lt;value&gt;"/);
    assert.match(response.text, /La catégorie n&#39;a pas été enregistrée/);
  });

  it('limits names to 100 characters', async () => {
    const tooLong = await post(admin, '/admin/categories/incidents', {
      nameFr: 'é'.repeat(101),
      nameEn: 'e'.repeat(101),
    }).expect(400);
    assert.match(tooLong.text, /Le nom en français ne doit pas dépasser 100 caractères\./);
    assert.match(tooLong.text, /Le nom en anglais ne doit pas dépasser 100 caractères\./);
    assert.match(tooLong.text, new RegExp(`value="${'é'.repeat(101)}"`), 'input kept');

    await post(admin, '/admin/categories/incidents', {
      nameFr: 'é'.repeat(100),
      nameEn: 'e'.repeat(100),
    }).expect(302);
  });

  it('rejects a name used by an active sibling', async () => {
    const response = await post(admin, '/admin/categories/incidents', {
      nameFr: 'IMPRESSION',
      nameEn: 'printing',
    }).expect(400);
    assert.match(response.text, /porte déjà ce nom en français/);
    assert.match(response.text, /porte déjà ce nom en anglais/);
    assert.match(response.text, /value="IMPRESSION"/);
    assert.equal(await context.db.category.count({ where: { nameFr: 'IMPRESSION' } }), 0);
  });

  it('accepts a name used by an inactive sibling or a cousin', async () => {
    const inactive = await insertCategory({ active: false });
    await post(admin, '/admin/categories/incidents', {
      nameFr: inactive.nameFr,
      nameEn: inactive.nameEn,
    }).expect(302);
    const parent = await insertCategory();
    const child = await post(admin, '/admin/categories/incidents', {
      nameFr: 'Impression',
      nameEn: 'Printing',
      parentId: parent.id,
    });
    assert.equal(child.status, 302, 'a sub-category may share a top-level name');
    const otherType = await post(admin, '/admin/categories/requests', {
      nameFr: 'Impression',
      nameEn: 'Printing',
    });
    assert.equal(otherType.status, 302, 'the other type has its own names');
  });

  it('rejects parents that break the one-level rule', async () => {
    const parent = await insertCategory();
    const child = await insertCategory({ parentId: parent.id });
    const requestParent = await insertCategory({ type: 'REQUEST' });
    const cases = [
      { parentId: String(child.id), message: /doit être une catégorie principale/ },
      { parentId: String(requestParent.id), message: /doit être du même type/ },
      { parentId: '2147483647', message: /Choisissez la catégorie parente dans la liste/ },
      { parentId: 'abc', message: /Choisissez la catégorie parente dans la liste/ },
    ];
    for (const { parentId, message } of cases) {
      const response = await post(admin, '/admin/categories/incidents', {
        nameFr: 'Sans parent valide',
        nameEn: 'No valid parent',
        parentId,
      });
      assert.equal(response.status, 400, `parent ${parentId}`);
      assert.match(response.text, message, `parent ${parentId}`);
      assert.match(response.text, /id="parentId"[^>]*aria-invalid="true"/, `parent ${parentId}`);
      assert.match(response.text, /value="Sans parent valide"/, `parent ${parentId}`);
    }
    assert.equal(await context.db.category.count({ where: { nameFr: 'Sans parent valide' } }), 0);
  });
});

describe('renaming a category', () => {
  it('renames both languages', async () => {
    const category = await insertCategory();
    const editPath = `/admin/categories/incidents/${category.id}/edit`;
    const edit = await admin.agent.get(editPath).expect(200);
    assert.match(edit.text, new RegExp(`value="${category.nameFr}"`));
    assert.match(edit.text, new RegExp(`value="${category.nameEn}"`));

    const response = await post(admin, `/admin/categories/incidents/${category.id}`, {
      nameFr: ' Sauvegardes ',
      nameEn: ' Backups ',
      parentId: '',
    }).expect(302);
    assert.equal(response.headers.location, `/admin/categories/incidents#category-${category.id}`);

    const renamed = await context.db.category.findUniqueOrThrow({ where: { id: category.id } });
    assert.equal(renamed.nameFr, 'Sauvegardes');
    assert.equal(renamed.nameEn, 'Backups');
    assert.equal(renamed.position, category.position, 'same place');
  });

  it('keeps its own name and changes only case', async () => {
    const category = await insertCategory();
    await post(admin, `/admin/categories/incidents/${category.id}`, {
      nameFr: category.nameFr.toUpperCase(),
      nameEn: category.nameEn,
    }).expect(302);
    const renamed = await context.db.category.findUniqueOrThrow({ where: { id: category.id } });
    assert.equal(renamed.nameFr, category.nameFr.toUpperCase());
  });

  it('rejects a sibling name and keeps the input', async () => {
    const category = await insertCategory();
    const response = await post(admin, `/admin/categories/incidents/${category.id}`, {
      nameFr: 'Messagerie',
      nameEn: 'Something new',
    }).expect(400);
    assert.match(response.text, /porte déjà ce nom en français/);
    assert.match(response.text, /value="Messagerie"/);
    assert.match(response.text, /value="Something new"/);
    const unchanged = await context.db.category.findUniqueOrThrow({ where: { id: category.id } });
    assert.equal(unchanged.nameFr, category.nameFr);
  });

  it('rejects empty names with a message each', async () => {
    const category = await insertCategory();
    const response = await post(admin, `/admin/categories/incidents/${category.id}`, {
      nameFr: '',
      nameEn: '',
    }).expect(400);
    assert.match(response.text, /Saisissez le nom en français\./);
    assert.match(response.text, /Saisissez le nom en anglais\./);
  });
});

describe('reordering categories', () => {
  it('swaps a child with its neighbours', async () => {
    const parent = await insertCategory();
    const first = await insertCategory({ parentId: parent.id, position: 10 });
    const second = await insertCategory({ parentId: parent.id, position: 20 });
    const third = await insertCategory({ parentId: parent.id, position: 30 });

    const response = await move(second.id, 'up').expect(302);
    assert.equal(response.headers.location, `/admin/categories/incidents#category-${second.id}`);
    assert.deepEqual(await siblingIds('INCIDENT', parent.id), [second.id, first.id, third.id]);

    await move(second.id, 'down').expect(302);
    await move(second.id, 'down').expect(302);
    assert.deepEqual(await siblingIds('INCIDENT', parent.id), [first.id, third.id, second.id]);
  });

  it('leaves positions unchanged at the edges', async () => {
    const parent = await insertCategory();
    const first = await insertCategory({ parentId: parent.id, position: 10 });
    const last = await insertCategory({ parentId: parent.id, position: 20 });
    const positions = async () => {
      const children = await context.db.category.findMany({
        where: { parentId: parent.id },
        orderBy: { id: 'asc' },
      });
      return children.map((category) => category.position);
    };

    await move(first.id, 'up').expect(302);
    await move(last.id, 'down').expect(302);
    assert.deepEqual(await positions(), [10, 20]);
    assert.deepEqual(await siblingIds('INCIDENT', parent.id), [first.id, last.id]);
  });

  it('separates siblings with equal positions', async () => {
    const parent = await insertCategory();
    const first = await insertCategory({ parentId: parent.id, position: 0 });
    const second = await insertCategory({ parentId: parent.id, position: 0 });
    await move(second.id, 'up').expect(302);
    assert.deepEqual(await siblingIds('INCIDENT', parent.id), [second.id, first.id]);
  });

  it('moves top-level categories among themselves only', async () => {
    const before = await siblingIds('INCIDENT', null);
    const workstationChildren = await siblingIds('INCIDENT', before[0]);
    await move(before[0], 'up').expect(302);
    assert.deepEqual(await siblingIds('INCIDENT', null), before, 'first stays first');

    await move(before[0], 'down').expect(302);
    const after = await siblingIds('INCIDENT', null);
    assert.deepEqual(after, [before[1], before[0], ...before.slice(2)]);
    assert.deepEqual(await siblingIds('INCIDENT', before[0]), workstationChildren);

    await move(after.at(-1)!, 'down').expect(302);
    assert.deepEqual(await siblingIds('INCIDENT', null), after, 'last stays last');
    await move(before[0], 'up').expect(302);
    assert.deepEqual(await siblingIds('INCIDENT', null), before);
  });

  it('shows the new order on the ticket form', async () => {
    const parent = await insertCategory();
    const first = await insertCategory({ parentId: parent.id, position: 10 });
    const second = await insertCategory({ parentId: parent.id, position: 20 });
    await move(second.id, 'up').expect(302);
    const form = await requester.agent.get('/incidents/new').expect(200);
    assert.ok(
      form.text.indexOf(`value="${second.id}"`) < form.text.indexOf(`value="${first.id}"`),
      'the moved category comes first',
    );
  });

  it('rejects an unknown direction', async () => {
    const category = await insertCategory();
    await post(admin, `/admin/categories/incidents/${category.id}/move`, {
      direction: 'sideways',
    }).expect(400);
  });
});

describe('nesting categories', () => {
  it('gives a parent and puts the category last', async () => {
    const parent = await insertCategory();
    const existing = await insertCategory({ parentId: parent.id, position: 50 });
    const category = await insertCategory();
    await post(admin, `/admin/categories/incidents/${category.id}`, {
      nameFr: category.nameFr,
      nameEn: category.nameEn,
      parentId: parent.id,
    }).expect(302);
    const nested = await context.db.category.findUniqueOrThrow({ where: { id: category.id } });
    assert.equal(nested.parentId, parent.id);
    assert.deepEqual(await siblingIds('INCIDENT', parent.id), [existing.id, category.id]);
    assert.equal(nested.position, 60);
  });

  it('makes a sub-category top-level', async () => {
    const parent = await insertCategory();
    const child = await insertCategory({ parentId: parent.id });
    const edit = await admin.agent.get(`/admin/categories/incidents/${child.id}/edit`).expect(200);
    assert.match(edit.text, new RegExp(`<option value="${parent.id}" selected>`));
    assert.doesNotMatch(edit.text, new RegExp(`<option value="${child.id}"`), 'not its own parent');

    await post(admin, `/admin/categories/incidents/${child.id}`, {
      nameFr: child.nameFr,
      nameEn: child.nameEn,
      parentId: '',
    }).expect(302);
    const moved = await context.db.category.findUniqueOrThrow({ where: { id: child.id } });
    assert.equal(moved.parentId, null);
    assert.equal((await siblingIds('INCIDENT', null)).at(-1), child.id);
  });

  it('keeps a parent with children top-level', async () => {
    const parent = await insertCategory();
    await insertCategory({ parentId: parent.id });
    const target = await insertCategory();
    const edit = await admin.agent.get(`/admin/categories/incidents/${parent.id}/edit`).expect(200);
    assert.doesNotMatch(edit.text, /id="parentId"/);
    assert.match(edit.text, /elle reste donc une catégorie principale/);

    const response = await post(admin, `/admin/categories/incidents/${parent.id}`, {
      nameFr: parent.nameFr,
      nameEn: parent.nameEn,
      parentId: target.id,
    }).expect(400);
    assert.match(response.text, /ne peut donc pas devenir une sous-catégorie/);
    const unchanged = await context.db.category.findUniqueOrThrow({ where: { id: parent.id } });
    assert.equal(unchanged.parentId, null);
  });

  it('rejects itself, a child and another type as parent', async () => {
    const category = await insertCategory();
    const otherParent = await insertCategory();
    const child = await insertCategory({ parentId: otherParent.id });
    const requestParent = await insertCategory({ type: 'REQUEST' });
    const cases = [
      { parentId: category.id, message: /ne peut pas être sa propre catégorie parente/ },
      { parentId: child.id, message: /doit être une catégorie principale/ },
      { parentId: requestParent.id, message: /doit être du même type/ },
    ];
    for (const { parentId, message } of cases) {
      const response = await post(admin, `/admin/categories/incidents/${category.id}`, {
        nameFr: 'Nom gardé',
        nameEn: category.nameEn,
        parentId,
      });
      assert.equal(response.status, 400, `parent ${parentId}`);
      assert.match(response.text, message, `parent ${parentId}`);
      assert.match(response.text, /value="Nom gardé"/, `parent ${parentId}`);
    }
    const unchanged = await context.db.category.findUniqueOrThrow({ where: { id: category.id } });
    assert.equal(unchanged.parentId, null);
    assert.equal(unchanged.nameFr, category.nameFr);
  });

  it('checks names against the new siblings', async () => {
    const parent = await insertCategory();
    const sibling = await insertCategory({ parentId: parent.id });
    const category = await insertCategory();
    const response = await post(admin, `/admin/categories/incidents/${category.id}`, {
      nameFr: sibling.nameFr,
      nameEn: category.nameEn,
      parentId: parent.id,
    }).expect(400);
    assert.match(response.text, /porte déjà ce nom en français/);
  });
});

describe('deactivating categories', () => {
  function setActive(id: number, active: boolean) {
    return post(admin, `/admin/categories/incidents/${id}/active`, { active: String(active) });
  }

  it('hides a category from new tickets but not from old ones', async () => {
    const category = await insertCategory();
    const ticket = await createTicket(context.db, { mailDomain: 'guichet.test' }, requesterUser, {
      type: 'INCIDENT',
      categoryId: category.id,
      title: 'Ancien ticket',
      description: 'Texte',
    });

    const response = await setActive(category.id, false).expect(302);
    assert.equal(response.headers.location, `/admin/categories/incidents#category-${category.id}`);
    const stored = await context.db.category.findUniqueOrThrow({ where: { id: category.id } });
    assert.equal(stored.active, false);

    const form = await requester.agent.get('/incidents/new').expect(200);
    assert.doesNotMatch(form.text, new RegExp(`value="${category.id}"`));
    const page = await requester.agent.get(`/tickets/${ticket.reference}`).expect(200);
    assert.match(page.text, new RegExp(category.nameFr));

    const tree = await admin.agent.get('/admin/categories/incidents').expect(200);
    assert.match(tree.text, /n&#39;est plus proposée pour les nouveaux tickets/);
  });

  it('hides the children of a deactivated parent', async () => {
    const parent = await insertCategory();
    const child = await insertCategory({ parentId: parent.id });
    await setActive(parent.id, false).expect(302);

    const form = await requester.agent.get('/incidents/new').expect(200);
    assert.doesNotMatch(form.text, new RegExp(`value="${child.id}"`));
    const stored = await context.db.category.findUniqueOrThrow({ where: { id: child.id } });
    assert.equal(stored.active, true, 'the child keeps its own flag');
    const tree = await admin.agent.get('/admin/categories/incidents').expect(200);
    assert.match(tree.text, /ni elle ni ses sous-catégories ne sont proposées/);

    await setActive(parent.id, true).expect(302);
    const again = await requester.agent.get('/incidents/new').expect(200);
    assert.match(again.text, new RegExp(`value="${child.id}"`));
  });

  it('rejects reactivation over an active name', async () => {
    const category = await insertCategory();
    await setActive(category.id, false).expect(302);
    await post(admin, '/admin/categories/incidents', {
      nameFr: category.nameFr,
      nameEn: 'Replacement',
    }).expect(302);

    await setActive(category.id, true).expect(302);
    const stored = await context.db.category.findUniqueOrThrow({ where: { id: category.id } });
    assert.equal(stored.active, false);
    const tree = await admin.agent.get('/admin/categories/incidents').expect(200);
    assert.match(tree.text, /n&#39;a pas été réactivée/);
  });

  it('rejects an invalid flag', async () => {
    const category = await insertCategory();
    await post(admin, `/admin/categories/incidents/${category.id}/active`, {
      active: 'maybe',
    }).expect(400);
  });
});

describe('unknown and foreign ids', () => {
  it('answers 404 to unknown ids', async () => {
    for (const id of ['999999', '0', 'abc', '99999999999']) {
      const base = `/admin/categories/incidents/${id}`;
      assert.equal((await admin.agent.get(`${base}/edit`)).status, 404, `GET ${base}/edit`);
      const update = await post(admin, base, { nameFr: 'Fantôme', nameEn: 'Ghost' });
      assert.equal(update.status, 404, `POST ${base}`);
      assert.equal((await post(admin, `${base}/move`, { direction: 'up' })).status, 404);
      assert.equal((await post(admin, `${base}/active`, { active: 'false' })).status, 404);
    }
    assert.equal(await context.db.category.count({ where: { nameFr: 'Fantôme' } }), 0);
  });

  it('answers 404 to a category of the other type', async () => {
    const category = await insertCategory({ type: 'REQUEST' });
    const base = `/admin/categories/incidents/${category.id}`;
    assert.equal((await admin.agent.get(`${base}/edit`)).status, 404);
    assert.equal((await post(admin, base, { nameFr: 'Autre', nameEn: 'Other type' })).status, 404);
    assert.equal((await post(admin, `${base}/move`, { direction: 'up' })).status, 404);
    assert.equal((await post(admin, `${base}/active`, { active: 'false' })).status, 404);
    const unchanged = await context.db.category.findUniqueOrThrow({ where: { id: category.id } });
    assert.deepEqual(unchanged, category);

    await admin.agent.get(`/admin/categories/requests/${category.id}/edit`).expect(200);
  });
});
