import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ensureFirstAdmin } from '../../src/accounts/service.ts';
import { hashToken, issueToken } from '../../src/accounts/tokens.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createUser, csrfTokenOf, signIn } from '../support/factories.ts';

let context: TestContext;
before(async () => {
  context = await createTestContext({
    ADMIN_EMAIL: 'Admin@Example.org',
    ADMIN_NAME: 'Alice Admin',
  });
});
after(() => context.close());

const NEW_PASSWORD = 'un mot de passe solide';

async function invitationToken(userId: number) {
  return context.db.$transaction((tx) => issueToken(tx, userId, 'INVITATION'));
}

async function submitPassword(token: string, password: string, confirmation = password) {
  const agent = request.agent(context.app);
  // The sign-in page always has a form, even when the reset link is no longer valid.
  const page = await agent.get('/login');
  return agent
    .post('/password/reset')
    .set('Accept-Language', 'fr')
    .type('form')
    .send({ token, password, confirmation, _csrf: csrfTokenOf(page.text) });
}

describe('ensureFirstAdmin', () => {
  it('creates and invites the admin once', async () => {
    const logger = context.logger;
    await ensureFirstAdmin(context.db, context.config, logger);
    await ensureFirstAdmin(context.db, context.config, logger);
    const admins = await context.db.user.findMany({ where: { role: 'ADMIN' } });
    assert.equal(admins.length, 1);
    assert.equal(admins[0].email, 'admin@example.org', 'the address is stored lower-cased');
    assert.equal(admins[0].passwordHash, null, 'no password until the invitation is used');
    const emails = await context.db.outboundEmail.findMany({ where: { userId: admins[0].id } });
    assert.equal(emails.length, 1);
    assert.equal(emails[0].kind, 'invitation');
    const tokens = await context.db.oneTimeToken.findMany({ where: { userId: admins[0].id } });
    assert.equal(tokens.length, 1);
    const payloadToken = (emails[0].payload as { token: string }).token;
    assert.equal(tokens[0].tokenHash, hashToken(payloadToken), 'only the hash is stored');
    const days = (tokens[0].expiresAt.getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 6.9, `invitation valid ${days} days, expected 7`);
    assert.ok(days <= 7, `invitation valid ${days} days, expected 7`);
  });
});

describe('GET /password/reset', () => {
  it('shows the form for a valid token', async () => {
    const user = await createUser(context.db);
    const token = await invitationToken(user.id);
    const response = await request(context.app)
      .get(`/password/reset?token=${token}`)
      .set('Accept-Language', 'fr')
      .expect(200);
    assert.match(response.text, /Réinitialiser mon mot de passe/);
    assert.match(response.text, /name="confirmation"/);
  });

  it('rejects an unknown token', async () => {
    const response = await request(context.app)
      .get('/password/reset?token=unknown-token-aaaaaaaaaaaaaaaaaaa')
      .set('Accept-Language', 'fr')
      .expect(400);
    assert.match(response.text, /Ce lien n&#39;est pas valide/);
  });

  it('rejects a missing or malformed token', async () => {
    await request(context.app).get('/password/reset').expect(400);
    await request(context.app).get('/password/reset?token[]=a&token[]=b').expect(400);
    await request(context.app).get('/password/reset?token=%3Cscript%3E').expect(400);
  });

  it('rejects an expired token', async () => {
    const user = await createUser(context.db);
    const token = await invitationToken(user.id);
    await context.db.oneTimeToken.update({
      where: { tokenHash: hashToken(token) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const response = await request(context.app)
      .get(`/password/reset?token=${token}`)
      .set('Accept-Language', 'en')
      .expect(400);
    assert.match(response.text, /This link has expired/);
  });
});

describe('POST /password/reset', () => {
  it('saves the password and links to sign-in', async () => {
    const user = await createUser(context.db);
    const token = await invitationToken(user.id);
    const response = await submitPassword(token, NEW_PASSWORD);
    assert.equal(response.status, 200);
    assert.match(response.text, /Votre mot de passe a été enregistré/);
    assert.match(response.text, /<a [^>]*href="\/login"[^>]*>Connectez-vous<\/a>/);
    await signIn(context.app, user.email, NEW_PASSWORD);
  });

  it('works only once', async () => {
    const user = await createUser(context.db);
    const token = await invitationToken(user.id);
    assert.equal((await submitPassword(token, NEW_PASSWORD)).status, 200);
    const again = await submitPassword(token, 'another strong password');
    assert.equal(again.status, 400);
    assert.match(again.text, /déjà été utilisé/);
    await signIn(context.app, user.email, NEW_PASSWORD);
  });

  it('rejects different confirmation', async () => {
    const user = await createUser(context.db);
    const token = await invitationToken(user.id);
    const response = await submitPassword(token, NEW_PASSWORD, 'autre chose encore');
    assert.equal(response.status, 400);
    assert.match(
      response.text,
      /id="confirmation-error"[^>]*>Les deux mots de passe ne sont pas identiques/,
    );
    assert.match(response.text, new RegExp(`name="token" value="${token}"`), 'the token is kept');
    const stored = await context.db.oneTimeToken.findUniqueOrThrow({
      where: { tokenHash: hashToken(token) },
    });
    assert.equal(stored.usedAt, null, 'a rejected form does not use the token');
  });

  it('rejects a short password', async () => {
    const user = await createUser(context.db);
    const token = await invitationToken(user.id);
    const response = await submitPassword(token, 'court');
    assert.equal(response.status, 400);
    assert.match(
      response.text,
      /id="password-error"[^>]*>Le mot de passe doit contenir au moins 10 caractères/,
    );
  });

  it('rejects an expired token', async () => {
    const user = await createUser(context.db);
    const token = await invitationToken(user.id);
    const agent = request.agent(context.app);
    const page = await agent.get(`/password/reset?token=${token}`);
    await context.db.oneTimeToken.update({
      where: { tokenHash: hashToken(token) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const response = await agent
      .post('/password/reset')
      .type('form')
      .send({
        token,
        password: NEW_PASSWORD,
        confirmation: NEW_PASSWORD,
        _csrf: csrfTokenOf(page.text),
      });
    assert.equal(response.status, 400);
    const stored = await context.db.user.findUniqueOrThrow({ where: { id: user.id } });
    assert.notEqual(stored.passwordHash, null, 'the factory password is unchanged');
  });

  it('ends the other sessions of the user', async () => {
    const user = await createUser(context.db);
    const { agent } = await signIn(context.app, user.email);
    const token = await context.db.$transaction((tx) => issueToken(tx, user.id, 'PASSWORD_RESET'));
    assert.equal((await submitPassword(token, NEW_PASSWORD)).status, 200);
    await agent.get('/').expect(302);
  });

  it('rejects a deactivated user', async () => {
    const user = await createUser(context.db, { active: false });
    const token = await invitationToken(user.id);
    assert.equal((await submitPassword(token, NEW_PASSWORD)).status, 400);
  });
});
