import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createTestTicket, createUser, signIn } from '../support/factories.ts';

let context: TestContext;
let reference: string;
before(async () => {
  context = await createTestContext();
  const user = await createUser(context.db);
  reference = (await createTestTicket(context.db, user)).reference;
});
after(() => context.close());

describe('protected routes', () => {
  const pages = ['/', '/incidents', '/requests', '/incidents/new', '/requests/new'];

  for (const path of pages) {
    it(`GET ${path} redirects anonymous users`, async () => {
      const response = await request(context.app).get(path).expect(302);
      assert.match(response.headers.location, /^\/login/);
    });
  }

  it('GET /tickets/:reference redirects anonymous users', async () => {
    const response = await request(context.app).get(`/tickets/${reference}`).expect(302);
    assert.equal(response.headers.location, `/login?next=%2Ftickets%2F${reference}`);
  });

  for (const path of ['/incidents', '/requests']) {
    it(`POST ${path} rejects anonymous users`, async () => {
      const response = await request(context.app).post(path).type('form').send({ title: 'x' });
      assert.ok([302, 403].includes(response.status), `status ${response.status}`);
      assert.equal(await context.db.ticket.count({ where: { title: 'x' } }), 0);
    });
  }
});

describe('bad requests', () => {
  it('answers 413 to an oversized form', async () => {
    const response = await request(context.app)
      .post('/login')
      .set('Accept-Language', 'fr')
      .type('form')
      .send({ email: 'a@example.org', password: 'x'.repeat(200_000) })
      .expect(413);
    assert.match(response.text, /trop volumineux/);
    assert.doesNotMatch(response.text, /at .*\.ts:\d+/, 'no stack trace');
  });

  it('answers 404 in the user language', async () => {
    const user = await createUser(context.db, { locale: 'en' });
    const { agent } = await signIn(context.app, user.email);
    const response = await agent.get('/no/such/page').set('Accept-Language', 'fr').expect(404);
    assert.match(response.text, /Page not found/, 'the user setting wins over the browser');
  });

  it('rejects a post with a stale CSRF token', async () => {
    const user = await createUser(context.db);
    const { agent } = await signIn(context.app, user.email);
    const response = await agent
      .post('/incidents')
      .type('form')
      .send({ _csrf: 'forged', title: 'x' })
      .expect(403);
    assert.match(response.text, /Le formulaire a expiré/);
  });

  it('answers 400 to a malformed body', async () => {
    const agent = request.agent(context.app);
    await agent.get('/login');
    const response = await agent
      .post('/login')
      .set('Content-Type', 'application/x-www-form-urlencoded; charset=koi8-r')
      .send('email=a');
    assert.ok([400, 415].includes(response.status), `status ${response.status}`);
  });
});

describe('GET /healthz', () => {
  it('reports the database', async () => {
    const response = await request(context.app).get('/healthz').expect(200);
    assert.deepEqual(response.body, { status: 'ok', database: 'ok' });
    assert.equal(response.headers['set-cookie'], undefined, 'no session is created');
  });
});

describe('GET /favicon.ico', () => {
  it('redirects without loading the session', async () => {
    const response = await request(context.app).get('/favicon.ico').expect(301);
    assert.equal(response.headers.location, '/static/favicon.svg');
    assert.equal(response.headers['set-cookie'], undefined);
  });
});

describe('security headers', () => {
  it('forbids inline scripts', async () => {
    const response = await request(context.app).get('/login').expect(200);
    const policy = String(response.headers['content-security-policy']);
    assert.match(policy, /script-src 'self'/);
    assert.doesNotMatch(policy, /unsafe-inline/);
    assert.match(policy, /frame-ancestors 'none'/);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['x-powered-by'], undefined);
    assert.ok(response.headers['x-request-id'], 'each response carries its request id');
  });
});
