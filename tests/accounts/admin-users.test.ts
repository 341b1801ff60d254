import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { User } from '../../src/db/client.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import {
  createTestTicket,
  createUser,
  csrfTokenOf,
  PASSWORD,
  signIn,
} from '../support/factories.ts';

let context: TestContext;
let admin: User;
let adminSession: Awaited<ReturnType<typeof signIn>>;

before(async () => {
  context = await createTestContext();
  admin = await createUser(context.db, { role: 'ADMIN', name: 'Alice Admin' });
  adminSession = await signIn(context.app, admin.email);
});
after(() => context.close());

function post(path: string, body: Record<string, string>, session = adminSession) {
  return session.agent
    .post(path)
    .type('form')
    .send({ _csrf: session.csrf, ...body });
}

/** Token of the last invitation email queued for the user, read before the worker erases it. */
async function lastInvitationToken(userId: number): Promise<string> {
  const email = await context.db.outboundEmail.findFirstOrThrow({
    where: { userId, kind: 'invitation' },
    orderBy: { id: 'desc' },
  });
  return (email.payload as { token: string }).token;
}

async function sessionCount(userId: number): Promise<number> {
  const [{ count }] = await context.db.$queryRaw<{ count: bigint }[]>`
    SELECT count(*) AS count FROM session WHERE sess -> 'passport' ->> 'user' = ${String(userId)}`;
  return Number(count);
}

async function signInStatus(email: string): Promise<number> {
  const agent = request.agent(context.app);
  const page = await agent.get('/login');
  const response = await agent
    .post('/login')
    .type('form')
    .send({ email, password: PASSWORD, _csrf: csrfTokenOf(page.text) });
  return response.status;
}

describe('admin user routes access', () => {
  const pages = (id: number) => [
    '/admin/users',
    '/admin/users/new',
    '/admin/users/import',
    `/admin/users/${id}`,
  ];
  const actions = (id: number) => [
    '/admin/users',
    `/admin/users/${id}`,
    `/admin/users/${id}/deactivate`,
    `/admin/users/${id}/reactivate`,
    `/admin/users/${id}/invitation`,
  ];

  it('redirects anonymous users to sign-in', async () => {
    for (const path of pages(admin.id)) {
      const response = await request(context.app).get(path).expect(302);
      assert.match(response.headers.location, /^\/login\?next=%2Fadmin%2Fusers/, path);
    }
  });

  it('rejects anonymous posts', async () => {
    const target = await createUser(context.db);
    for (const path of actions(target.id)) {
      const response = await request(context.app).post(path).type('form').send({ role: 'ADMIN' });
      assert.ok([302, 403].includes(response.status), `${path}: status ${response.status}`);
    }
    const stored = await context.db.user.findUniqueOrThrow({ where: { id: target.id } });
    assert.equal(stored.role, 'REQUESTER');
    assert.equal(stored.active, true);
  });

  for (const role of ['REQUESTER', 'TECHNICIAN'] as const) {
    it(`answers 403 to a ${role.toLowerCase()}`, async () => {
      const user = await createUser(context.db, { role });
      const session = await signIn(context.app, user.email);
      const target = await createUser(context.db);
      for (const path of pages(target.id)) {
        await session.agent.get(path).expect(403);
      }
      for (const path of actions(target.id)) {
        const response = await post(path, { role: 'ADMIN', locale: 'fr' }, session);
        assert.equal(response.status, 403, path);
      }
      const upload = await session.agent
        .post('/admin/users/import')
        .field('_csrf', session.csrf)
        .attach('file', Buffer.from('email,name,role,language\n'), 'users.csv');
      assert.equal(upload.status, 403);
      const stored = await context.db.user.findUniqueOrThrow({ where: { id: target.id } });
      assert.equal(stored.role, 'REQUESTER');
      assert.equal(stored.active, true);
    });
  }

  it('shows the sidebar entry to admins only', async () => {
    const home = await adminSession.agent.get('/').expect(200);
    assert.match(home.text, /href="\/admin\/users"/);
    const requester = await createUser(context.db);
    const session = await signIn(context.app, requester.email);
    const page = await session.agent.get('/').expect(200);
    assert.doesNotMatch(page.text, /href="\/admin\/users"/);
  });
});

describe('inviting one user', () => {
  it('creates the user and queues the invitation', async () => {
    const form = await adminSession.agent.get('/admin/users/new').expect(200);
    assert.match(form.text, /name="role"/);
    const response = await post('/admin/users', {
      email: 'Nadia.Nouvelle@Example.org',
      name: 'Nadia Nouvelle',
      role: 'TECHNICIAN',
      locale: 'en',
    });
    assert.equal(response.status, 302);
    const user = await context.db.user.findUniqueOrThrow({
      where: { email: 'nadia.nouvelle@example.org' },
    });
    assert.equal(response.headers.location, `/admin/users/${user.id}`);
    assert.equal(user.role, 'TECHNICIAN');
    assert.equal(user.locale, 'en');
    assert.equal(user.passwordHash, null);
    const token = await lastInvitationToken(user.id);
    await request(context.app).get(`/password/reset?token=${token}`).expect(200);

    const page = await adminSession.agent.get(response.headers.location).expect(200);
    assert.match(page.text, /Invitation envoyée à nadia\.nouvelle@example\.org/);
  });

  it('reports an address already in use beside the field', async () => {
    const existing = await createUser(context.db);
    const response = await post('/admin/users', {
      email: existing.email.toUpperCase(),
      name: 'Doublon',
      role: 'REQUESTER',
      locale: 'fr',
    });
    assert.equal(response.status, 400);
    const message = /id="email-error"[^>]*>Un utilisateur existe déjà avec cette adresse/;
    assert.match(response.text, message);
    assert.match(response.text, /value="Doublon"/, 'the input is kept');
  });

  it('rejects invalid fields', async () => {
    const response = await post('/admin/users', {
      email: 'pas-une-adresse',
      name: '',
      role: 'BOSS',
      locale: 'de',
    });
    assert.equal(response.status, 400);
    assert.match(response.text, /id="email-error"/);
    assert.match(response.text, /id="name-error"[^>]*>Saisissez un nom/);
    assert.match(response.text, /id="role-error"/);
    assert.match(response.text, /id="locale-error"/);
    assert.equal(await context.db.user.count({ where: { email: 'pas-une-adresse' } }), 0);
  });
});

describe('user list', () => {
  it('searches by name or address', async () => {
    await createUser(context.db, { name: 'Zoé Recherchée', email: 'zoe.r@example.org' });
    await createUser(context.db, { name: 'Autre Personne', email: 'cible-42@example.org' });
    const byName = await adminSession.agent.get('/admin/users?q=recherch').expect(200);
    assert.match(byName.text, /Zoé Recherchée/);
    assert.doesNotMatch(byName.text, /cible-42/);
    const byEmail = await adminSession.agent.get('/admin/users?q=CIBLE-42').expect(200);
    assert.match(byEmail.text, /cible-42@example\.org/);
    assert.match(byEmail.text, /1 utilisateur</);
  });

  it('shows role, language, state and last sign-in', async () => {
    const user = await createUser(context.db, {
      name: 'Paul Colonnes',
      role: 'TECHNICIAN',
      locale: 'en',
    });
    await signIn(context.app, user.email);
    const page = await adminSession.agent.get('/admin/users?q=Paul%20Colonnes').expect(200);
    assert.match(page.text, /Technicien/);
    assert.match(page.text, /English/);
    assert.match(page.text, /Actif/);
    assert.match(page.text, /<time datetime="\d{4}-/);
  });

  it('splits long lists into pages', async () => {
    for (let index = 0; index < 30; index++) {
      await createUser(context.db, { name: `Pagination ${String(index).padStart(2, '0')}` });
    }
    const first = await adminSession.agent.get('/admin/users?q=Pagination').expect(200);
    assert.match(first.text, /30 utilisateurs/);
    assert.match(first.text, /Pagination 00/);
    assert.doesNotMatch(first.text, /Pagination 25/);
    assert.match(first.text, /href="\/admin\/users\?q=Pagination&amp;page=2"/);
    const second = await adminSession.agent.get('/admin/users?q=Pagination&page=2').expect(200);
    assert.match(second.text, /Pagination 25/);
    assert.match(second.text, /Pagination 29/);
    assert.doesNotMatch(second.text, /Pagination 24/);
  });
});

describe('changing a user', () => {
  it('changes role and language', async () => {
    const user = await createUser(context.db);
    const response = await post(`/admin/users/${user.id}`, { role: 'TECHNICIAN', locale: 'en' });
    assert.equal(response.status, 302);
    const stored = await context.db.user.findUniqueOrThrow({ where: { id: user.id } });
    assert.equal(stored.role, 'TECHNICIAN');
    assert.equal(stored.locale, 'en');
  });

  it('answers 404 for an unknown user', async () => {
    await adminSession.agent.get('/admin/users/999999').expect(404);
    await adminSession.agent.get('/admin/users/abc').expect(404);
  });

  it('keeps the admin role of the admin themselves', async () => {
    const response = await post(`/admin/users/${admin.id}`, { role: 'REQUESTER', locale: 'fr' });
    assert.equal(response.status, 400);
    const message = /id="role-error"[^>]*>Vous ne pouvez pas retirer votre propre rôle/;
    assert.match(response.text, message);
    const stored = await context.db.user.findUniqueOrThrow({ where: { id: admin.id } });
    assert.equal(stored.role, 'ADMIN');
  });

  it('keeps the admin themselves active', async () => {
    const response = await post(`/admin/users/${admin.id}/deactivate`, {});
    assert.equal(response.status, 400);
    assert.match(response.text, /Vous ne pouvez pas désactiver votre propre compte/);
    const stored = await context.db.user.findUniqueOrThrow({ where: { id: admin.id } });
    assert.equal(stored.active, true);
    await adminSession.agent.get('/admin/users').expect(200);
  });
});

describe('deactivation', () => {
  it('ends sessions and blocks sign-in', async () => {
    const user = await createUser(context.db);
    const ticket = await createTestTicket(context.db, user);
    const first = await signIn(context.app, user.email);
    const second = await signIn(context.app, user.email, PASSWORD, true);
    assert.equal(await sessionCount(user.id), 2);

    const response = await post(`/admin/users/${user.id}/deactivate`, {});
    assert.equal(response.status, 302);
    assert.equal(await sessionCount(user.id), 0);
    await first.agent.get('/').expect(302);
    await second.agent.get('/').expect(302);
    assert.equal(await signInStatus(user.email), 401);
    const stored = await context.db.user.findUniqueOrThrow({ where: { id: user.id } });
    assert.equal(stored.active, false);
    assert.equal(await context.db.ticket.count({ where: { id: ticket.id } }), 1, 'tickets stay');

    const page = await adminSession.agent.get(`/admin/users/${user.id}`).expect(200);
    assert.match(page.text, /Désactivé/);
    assert.match(page.text, /Réactiver le compte/);
  });

  it('reactivation allows sign-in again', async () => {
    const user = await createUser(context.db, { active: false });
    assert.equal(await signInStatus(user.email), 401);
    const response = await post(`/admin/users/${user.id}/reactivate`, {});
    assert.equal(response.status, 302);
    assert.equal(await signInStatus(user.email), 302);
  });
});

describe('resending an invitation', () => {
  it('voids the old link and sends a working one', async () => {
    await post('/admin/users', {
      email: 'relance@example.org',
      name: 'Rémi Relance',
      role: 'REQUESTER',
      locale: 'fr',
    });
    const user = await context.db.user.findUniqueOrThrow({
      where: { email: 'relance@example.org' },
    });
    const oldToken = await lastInvitationToken(user.id);

    const page = await adminSession.agent.get(`/admin/users/${user.id}`).expect(200);
    assert.match(page.text, /Renvoyer l&#39;invitation/);
    const response = await post(`/admin/users/${user.id}/invitation`, {});
    assert.equal(response.status, 302);
    const newToken = await lastInvitationToken(user.id);
    assert.notEqual(newToken, oldToken);
    assert.equal(await context.db.outboundEmail.count({ where: { userId: user.id } }), 2);

    const old = await request(context.app).get(`/password/reset?token=${oldToken}`).expect(400);
    assert.match(old.text, /déjà été utilisé/);
    await request(context.app).get(`/password/reset?token=${newToken}`).expect(200);
  });

  it('is refused once a password is set', async () => {
    const user = await createUser(context.db);
    const response = await post(`/admin/users/${user.id}/invitation`, {});
    assert.equal(response.status, 400);
    assert.match(response.text, /a déjà choisi son mot de passe/);
    assert.equal(await context.db.outboundEmail.count({ where: { userId: user.id } }), 0);
  });
});
