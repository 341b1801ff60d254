import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createUser, csrfTokenOf, PASSWORD, signIn } from '../support/factories.ts';

let context: TestContext;
before(async () => {
  context = await createTestContext();
});
after(() => context.close());

function sessionCookie(setCookie: string[] | string | undefined): string {
  let cookies: string[] = [];
  if (Array.isArray(setCookie)) cookies = setCookie;
  else if (setCookie) cookies = [setCookie];
  const cookie = cookies.find((value) => value.startsWith('guichet.sid='));
  assert.ok(cookie, 'the response sets the session cookie');
  return cookie;
}

describe('GET /login', () => {
  it('shows email, password and remember me', async () => {
    const response = await request(context.app)
      .get('/login')
      .set('Accept-Language', 'fr')
      .expect(200);
    assert.match(response.text, /name="email"/);
    assert.match(response.text, /name="password"/);
    assert.match(response.text, /Se souvenir de moi/);
  });

  it('is in English for English browsers', async () => {
    const response = await request(context.app)
      .get('/login')
      .set('Accept-Language', 'en-GB,en;q=0.8');
    assert.match(response.text, /Remember me/);
    assert.match(response.text, /<html lang="en">/);
  });
});

describe('POST /login', () => {
  it('signs in with a browser-session cookie by default', async () => {
    const user = await createUser(context.db);
    const { response } = await signIn(context.app, user.email);
    const cookie = sessionCookie(response.headers['set-cookie']);
    assert.doesNotMatch(cookie, /Expires=/i, 'the cookie ends with the browser');
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    assert.equal(response.headers.location, '/');
  });

  it('keeps the session 30 days with remember me', async () => {
    const user = await createUser(context.db);
    const { response } = await signIn(context.app, user.email, PASSWORD, true);
    const cookie = sessionCookie(response.headers['set-cookie']);
    const expires = new Date(/Expires=([^;]+)/i.exec(cookie)?.[1] ?? '');
    const days = (expires.getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 29.9, `cookie expires in ${days} days, expected 30`);
    assert.ok(days <= 30, `cookie expires in ${days} days, expected 30`);
  });

  it('regenerates the session identifier', async () => {
    const user = await createUser(context.db);
    const agent = request.agent(context.app);
    const page = await agent.get('/login');
    const before = sessionCookie(page.headers['set-cookie']).split(';')[0];
    const response = await agent
      .post('/login')
      .type('form')
      .send({ email: user.email, password: PASSWORD, _csrf: csrfTokenOf(page.text) })
      .expect(302);
    const afterSignIn = sessionCookie(response.headers['set-cookie']).split(';')[0];
    assert.notEqual(afterSignIn, before);
  });

  it('accepts the email in any case', async () => {
    const user = await createUser(context.db);
    await signIn(context.app, user.email.toUpperCase());
  });

  it('returns to the requested page', async () => {
    const user = await createUser(context.db);
    const agent = request.agent(context.app);
    const redirect = await agent.get('/requests').expect(302);
    assert.equal(redirect.headers.location, '/login?next=%2Frequests');
    const page = await agent.get(redirect.headers.location);
    assert.match(page.text, /name="next" value="\/requests"/);
    const response = await agent
      .post('/login')
      .type('form')
      .send({
        email: user.email,
        password: PASSWORD,
        next: '/requests',
        _csrf: csrfTokenOf(page.text),
      });
    assert.equal(response.headers.location, '/requests');
  });

  it('ignores a next path to another site', async () => {
    const user = await createUser(context.db);
    const agent = request.agent(context.app);
    const page = await agent.get('/login');
    const response = await agent
      .post('/login')
      .type('form')
      .send({
        email: user.email,
        password: PASSWORD,
        next: '//evil.example',
        _csrf: csrfTokenOf(page.text),
      });
    assert.equal(response.headers.location, '/');
  });

  it('rejects a wrong password and keeps the email', async () => {
    const user = await createUser(context.db);
    const agent = request.agent(context.app);
    const page = await agent.get('/login').set('Accept-Language', 'fr');
    const response = await agent
      .post('/login')
      .set('Accept-Language', 'fr')
      .type('form')
      .send({ email: user.email, password: 'wrong password', _csrf: csrfTokenOf(page.text) })
      .expect(401);
    assert.match(response.text, /Adresse e-mail ou mot de passe incorrect/);
    assert.match(response.text, new RegExp(`value="${user.email}"`));
  });

  it('shows a message beside each invalid field', async () => {
    const agent = request.agent(context.app);
    const page = await agent.get('/login');
    const response = await agent
      .post('/login')
      .set('Accept-Language', 'fr')
      .type('form')
      .send({ email: 'pas-une-adresse', password: '', _csrf: csrfTokenOf(page.text) })
      .expect(400);
    assert.match(response.text, /id="email-error"[^>]*>Saisissez une adresse e-mail valide/);
    assert.match(response.text, /id="password-error"[^>]*>Saisissez votre mot de passe/);
    assert.match(response.text, /value="pas-une-adresse"/);
  });

  it('rejects a deactivated user', async () => {
    const user = await createUser(context.db, { active: false });
    const agent = request.agent(context.app);
    const page = await agent.get('/login');
    await agent
      .post('/login')
      .type('form')
      .send({ email: user.email, password: PASSWORD, _csrf: csrfTokenOf(page.text) })
      .expect(401);
  });

  it('rejects a form without CSRF token', async () => {
    const user = await createUser(context.db);
    const agent = request.agent(context.app);
    await agent.get('/login');
    const response = await agent
      .post('/login')
      .set('Accept-Language', 'fr')
      .type('form')
      .send({ email: user.email, password: PASSWORD })
      .expect(403);
    assert.match(response.text, /Le formulaire a expiré/);
  });

  it('blocks an account after 5 failures', async () => {
    const user = await createUser(context.db);
    const agent = request.agent(context.app);
    const page = await agent.get('/login');
    const csrf = csrfTokenOf(page.text);
    for (let attempt = 1; attempt <= 5; attempt++) {
      await agent
        .post('/login')
        .type('form')
        .send({ email: user.email, password: 'nope', _csrf: csrf })
        .expect(401);
    }
    const blocked = await agent
      .post('/login')
      .set('Accept-Language', 'fr')
      .type('form')
      .send({ email: user.email, password: PASSWORD, _csrf: csrf })
      .expect(429);
    assert.match(blocked.text, /Trop de tentatives/);
    assert.ok(Number(blocked.headers['retry-after']) > 0, 'Retry-After is set');
  });

  it('blocks an address after 30 failures', async () => {
    await context.db.rateLimit.deleteMany();
    const agent = request.agent(context.app);
    const page = await agent.get('/login');
    const csrf = csrfTokenOf(page.text);
    for (let attempt = 1; attempt <= 30; attempt++) {
      await agent
        .post('/login')
        .type('form')
        .send({ email: `unknown-${attempt}@example.org`, password: 'nope', _csrf: csrf })
        .expect(401);
    }
    const user = await createUser(context.db);
    await agent
      .post('/login')
      .type('form')
      .send({ email: user.email, password: PASSWORD, _csrf: csrf })
      .expect(429);
    await context.db.rateLimit.deleteMany();
  });
});

describe('POST /logout', () => {
  it('ends the session in the store', async () => {
    const user = await createUser(context.db);
    const { agent, csrf } = await signIn(context.app, user.email);
    const sessionsBefore = await context.db.session.count();
    const response = await agent.post('/logout').type('form').send({ _csrf: csrf }).expect(302);
    assert.equal(response.headers.location, '/login?signedOut=1');
    assert.equal(
      await context.db.session.count(),
      sessionsBefore - 1,
      'the session row is deleted',
    );
    const home = await agent.get('/').expect(302);
    assert.equal(home.headers.location, '/login');
  });

  it('ends a deactivated user session', async () => {
    const user = await createUser(context.db);
    const { agent } = await signIn(context.app, user.email);
    await context.db.user.update({ where: { id: user.id }, data: { active: false } });
    await agent.get('/').expect(302);
  });
});
