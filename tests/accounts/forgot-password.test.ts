import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import request from 'supertest';
import { settlePasswordResetRequests } from '../../src/accounts/forgot-routes.ts';
import { checkToken, hashToken } from '../../src/accounts/tokens.ts';
import { createSmtpTransport } from '../../src/mail/transport.ts';
import { OutboxWorker } from '../../src/mail/worker.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createUser, csrfTokenOf, signIn } from '../support/factories.ts';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.ts';

let context: TestContext;
let smtp: TestSmtpServer;

before(async () => {
  smtp = await startSmtpServer();
  context = await createTestContext({
    MAIL_TRANSPORT: 'smtp',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    OUTBOX_RETRY_BASE_SECONDS: '0',
  });
});
after(async () => {
  await context.close();
  await smtp.close();
});
beforeEach(async () => {
  await context.db.outboundEmail.deleteMany();
  await context.db.rateLimit.deleteMany({ where: { key: { startsWith: 'forgot:' } } });
  smtp.messages.length = 0;
});

const NEW_PASSWORD = 'un tout nouveau mot de passe';

/** Posts the form as an anonymous visitor and waits until the request has been processed. */
async function requestReset(email: string, language = 'fr') {
  const agent = request.agent(context.app);
  const page = await agent.get('/password/forgot').set('Accept-Language', language).expect(200);
  const response = await agent
    .post('/password/forgot')
    .set('Accept-Language', language)
    .type('form')
    .send({ email, _csrf: csrfTokenOf(page.text) });
  await settlePasswordResetRequests();
  return response;
}

async function deliverEmails() {
  const { db, config, logger } = context;
  return new OutboxWorker({ db, config, logger, transport: createSmtpTransport(config) }).drain();
}

function resetToken(text: string): string {
  const match = /http:\/\/guichet\.test\/password\/reset\?token=([\w-]+)/.exec(text);
  assert.ok(match, 'the email contains the reset link');
  return match[1];
}

async function submitPassword(token: string) {
  const agent = request.agent(context.app);
  const page = await agent.get('/login');
  return agent
    .post('/password/reset')
    .type('form')
    .send({
      token,
      password: NEW_PASSWORD,
      confirmation: NEW_PASSWORD,
      _csrf: csrfTokenOf(page.text),
    });
}

describe('forgot password', () => {
  it('is linked from the sign-in page', async () => {
    const page = await request(context.app).get('/login').set('Accept-Language', 'fr').expect(200);
    assert.match(page.text, /<a href="\/password\/forgot">Mot de passe oublié \?<\/a>/);
    const form = await request(context.app).get('/password/forgot').expect(200);
    assert.match(form.text, /name="email"/);
  });

  it('answers the same page for known and unknown addresses', async () => {
    const user = await createUser(context.db, { email: 'connue@example.org' });
    const known = await requestReset(user.email);
    const unknown = await requestReset('inconnue@example.org');
    assert.equal(known.status, 200);
    assert.equal(unknown.status, 200);
    assert.equal(
      known.text.replace(user.email, 'ADDRESS'),
      unknown.text.replace('inconnue@example.org', 'ADDRESS'),
    );
    assert.match(known.text, /Si un compte actif correspond/);

    assert.equal(await deliverEmails(), 1);
    assert.equal(smtp.messages.length, 1);
    const [message] = smtp.messages;
    assert.equal(message.to && 'text' in message.to ? message.to.text : '', user.email);
    assert.equal(message.subject, 'Réinitialisation de votre mot de passe');
    assert.match(message.text ?? '', /valable une heure/);
    assert.match(String(message.html), /Choisir un nouveau mot de passe/);
  });

  it('sends nothing to a deactivated user', async () => {
    const user = await createUser(context.db, { active: false });
    const response = await requestReset(user.email);
    assert.equal(response.status, 200);
    assert.equal(await context.db.outboundEmail.count(), 0);
  });

  it('rejects an invalid address', async () => {
    const response = await requestReset('pas-une-adresse');
    assert.equal(response.status, 400);
    assert.match(response.text, /id="email-error"/);
  });

  it('sends a link that works once and ends other sessions', async () => {
    const user = await createUser(context.db, { locale: 'en' });
    const { agent: otherSession } = await signIn(context.app, user.email);
    await requestReset(user.email.toUpperCase());
    await deliverEmails();
    const [message] = smtp.messages;
    assert.equal(message.subject, 'Resetting your password');
    const token = resetToken(message.text ?? '');

    const stored = await context.db.oneTimeToken.findUniqueOrThrow({
      where: { tokenHash: hashToken(token) },
    });
    assert.equal(stored.purpose, 'PASSWORD_RESET');
    const lifetimeSeconds = (stored.expiresAt.getTime() - stored.createdAt.getTime()) / 1000;
    assert.ok(Math.abs(lifetimeSeconds - 3600) < 5, `link valid ${lifetimeSeconds} s`);

    await request(context.app).get(`/password/reset?token=${token}`).expect(200);
    assert.equal((await submitPassword(token)).status, 200);
    await otherSession.get('/').expect(302);
    await signIn(context.app, user.email, NEW_PASSWORD);
    const again = await submitPassword(token);
    assert.equal(again.status, 400);
  });

  it('expires the link after one hour', async () => {
    const user = await createUser(context.db);
    await requestReset(user.email);
    await deliverEmails();
    const token = resetToken(smtp.messages[0].text ?? '');
    const inFiftyNineMinutes = new Date(Date.now() + 59 * 60 * 1000);
    const inSixtyOneMinutes = new Date(Date.now() + 61 * 60 * 1000);
    assert.equal((await checkToken(context.db, token, inFiftyNineMinutes)).status, 'valid');
    assert.equal((await checkToken(context.db, token, inSixtyOneMinutes)).status, 'expired');

    await context.db.oneTimeToken.update({
      where: { tokenHash: hashToken(token) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const page = await request(context.app).get(`/password/reset?token=${token}`).expect(400);
    assert.match(page.text, /Ce lien a expiré/);
    assert.equal((await submitPassword(token)).status, 400);
  });

  it('limits requests per address', async () => {
    const user = await createUser(context.db);
    for (let attempt = 0; attempt < 3; attempt++) {
      assert.equal((await requestReset(user.email)).status, 200);
    }
    const blocked = await requestReset(user.email);
    assert.equal(blocked.status, 429);
    assert.match(blocked.text, /Trop de demandes de réinitialisation/);
    assert.ok(Number(blocked.headers['retry-after']) > 0);
    assert.equal(await context.db.outboundEmail.count(), 3, 'no email for the blocked request');

    const unknown = 'personne@example.org';
    for (let attempt = 0; attempt < 3; attempt++) await requestReset(unknown);
    assert.equal((await requestReset(unknown)).status, 429, 'unknown addresses are limited alike');
  });

  it('limits requests per client', async () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      assert.equal((await requestReset(`client-${attempt}@example.org`)).status, 200);
    }
    assert.equal((await requestReset('client-20@example.org')).status, 429);
  });
});
