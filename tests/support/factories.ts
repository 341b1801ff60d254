import { randomUUID } from 'node:crypto';
type App = Parameters<typeof request>[0];
import request from 'supertest';
import { hashPassword } from '../../src/accounts/passwords.ts';
import type { Database, Locale, Role, TicketType } from '../../src/db/client.ts';
import { createTicket } from '../../src/tickets/service.ts';

export const PASSWORD = 'correct horse battery staple';

let passwordHash: Promise<string> | undefined;

export async function createUser(
  db: Database,
  overrides: { role?: Role; locale?: Locale; email?: string; name?: string; active?: boolean } = {},
) {
  passwordHash ??= hashPassword(PASSWORD);
  const suffix = randomUUID().slice(0, 8);
  return db.user.create({
    data: {
      email: overrides.email ?? `user-${suffix}@example.org`,
      name: overrides.name ?? `Utilisatrice ${suffix}`,
      role: overrides.role ?? 'REQUESTER',
      locale: overrides.locale ?? 'fr',
      active: overrides.active ?? true,
      passwordHash: await passwordHash,
    },
  });
}

export async function firstCategory(db: Database, type: TicketType) {
  return db.category.findFirstOrThrow({
    where: { type, active: true, parentId: null },
    orderBy: { position: 'asc' },
  });
}

export async function createTestTicket(
  db: Database,
  requester: { id: number; email: string; locale: Locale },
  overrides: { type?: TicketType; title?: string } = {},
) {
  const type = overrides.type ?? 'INCIDENT';
  const category = await firstCategory(db, type);
  return createTicket(db, { mailDomain: 'guichet.test' }, requester, {
    type,
    categoryId: category.id,
    title: overrides.title ?? 'Imprimante du 2e étage hors service',
    description: 'Elle affiche « erreur 49 » depuis ce matin.',
  });
}

/** Extracts the CSRF token of the first form in an HTML page. */
export function csrfTokenOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('No CSRF token in the page');
  return match[1];
}

/** Signs in through the form; returns the supertest agent and its session's CSRF token. */
export async function signIn(app: App, email: string, password = PASSWORD, remember = false) {
  const agent = request.agent(app);
  const page = await agent.get('/login').expect(200);
  const response = await agent
    .post('/login')
    .type('form')
    .send({
      email,
      password,
      _csrf: csrfTokenOf(page.text),
      ...(remember ? { remember: 'on' } : {}),
    });
  if (response.status !== 302) {
    throw new Error(`Sign-in as ${email} returned ${response.status}`);
  }
  const home = await agent.get('/').expect(200);
  return { agent, csrf: csrfTokenOf(home.text), response };
}
