// The whole helpdesk workflow in Chromium against a real server process, each person in their
// own browser context: the first admin invites a technician and a requester, the requester
// declares an incident, the technician takes it, asks a question, writes an internal note, asks
// a second question that the requester answers by replying to its email through the inbound
// SMTP listener, resolves it, and the requester confirms. Every page is checked with axe-core
// (WCAG 2.1 A and AA); full-page screenshots go to SCREENSHOT_DIR when it is set.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressObject, ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  browserSkipReason,
  expectNoAxeViolations,
  launchBrowser,
  saveScreenshot,
} from '../support/browser.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startServer, type TestServer } from '../support/server.ts';

const ADMIN_EMAIL = 'admin@example.org';
/** ADMIN_NAME's default in src/config.ts. */
const ADMIN_NAME = 'Administrateur';
/** MAIL_FROM's default in src/config.ts is helpdesk@example.com. */
const REPLY_TO_PATTERN = /^helpdesk\+\d+\.[0-9a-f]{16}@example\.com$/;
const INVITATION_SUBJECT = "Votre accès au service d'assistance informatique";
const REFERENCE = 'INC-000001';
const TITLE = 'Messagerie inaccessible depuis le poste de l’accueil';
const CATEGORY = 'Impression';
/** How long the requester's page is reloaded while the emailed answer is being processed. */
const INBOUND_TIMEOUT_MS = 10_000;
const RELOAD_INTERVAL_MS = 250;

interface Person {
  label: string;
  name: string;
  email: string;
  password: string;
  context: BrowserContext;
  page: Page;
  errors: string[];
}

let database: TestDatabase;
let server: TestServer;
let browser: Browser;
let inboundSmtpPort: number;

/** Returns a TCP port that was free on 127.0.0.1 a moment ago. */
async function findFreePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Runs `action` and waits for the main frame's next load event, such as after a form post. */
async function loadAfter(page: Page, action: () => Promise<unknown>): Promise<void> {
  const loaded = page.waitForEvent('load');
  await action();
  await loaded;
}

/** Returns the path and query of the page's URL, so assertions do not depend on the port. */
function pathOf(page: Page): string {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

/** Checks the page with axe-core and saves its screenshot as `name`. */
async function inspectPage(person: Person, label: string, name: string): Promise<void> {
  await expectNoAxeViolations(person.page, `${label} (${person.label})`);
  await saveScreenshot(person.page, name);
}

/**
 * Collects script errors, console errors and failed subresources of the page. Pages themselves
 * may fail on purpose, such as the 400 of an invalid form, so document responses and Chromium's
 * "Failed to load resource" messages, which repeat them, are left out.
 */
function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (message.text().startsWith('Failed to load resource')) return;
    errors.push(`console on ${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`script on ${page.url()}: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() < 400 || response.request().resourceType() === 'document') return;
    errors.push(`${response.status()} for ${response.url()} on ${page.url()}`);
  });
  page.on('requestfailed', (request) => {
    if (request.resourceType() === 'document') return;
    errors.push(`${request.failure()?.errorText} for ${request.url()} on ${page.url()}`);
  });
  return errors;
}

/** Opens a browser context of its own for one person, in French, on a desktop screen. */
async function openBrowserFor(
  label: string,
  account: { name: string; email: string; password: string },
): Promise<Person> {
  const context = await browser.newContext({
    locale: 'fr-FR',
    viewport: { width: 1280, height: 800 },
  });
  const page = await context.newPage();
  return { label, ...account, context, page, errors: collectPageErrors(page) };
}

function addressesOf(field: AddressObject | AddressObject[] | undefined): string[] {
  if (!field) return [];
  const fields = Array.isArray(field) ? field : [field];
  return fields.flatMap((item) => item.value.map((address) => address.address ?? ''));
}

/** Waits for the email to `address` whose subject is exactly `subject`. */
function waitForEmailTo(address: string, subject: string): Promise<ParsedMail> {
  return server.waitForEmail(
    (email) => addressesOf(email.to).includes(address) && email.subject === subject,
  );
}

async function emailsTo(address: string): Promise<ParsedMail[]> {
  return (await server.readEmails()).filter((email) => addressesOf(email.to).includes(address));
}

/** Formats a date like the "Envoyé :" line of a reply from Outlook in French. */
function formatOutlookDate(date: Date): string {
  return new Intl.DateTimeFormat('fr-FR', { dateStyle: 'full', timeStyle: 'short' }).format(date);
}

/**
 * Replies to `original` as `person` would from Outlook in French: `text` on top, then the
 * "De : … Objet :" block and the original text below it, unquoted, addressed to its Reply-To
 * and threaded with In-Reply-To and References. It is sent to Guichet's inbound SMTP listener.
 */
async function replyByEmail(person: Person, original: ParsedMail, text: string): Promise<void> {
  const replyTo = addressesOf(original.replyTo);
  const messageId = original.messageId ?? '';
  const references = [original.references ?? []].flat();
  const recipients = [original.to ?? []].flat().map((field) => field.text);
  const body = [
    text,
    '',
    '',
    `De : ${original.from?.text ?? ''}`,
    `Envoyé : ${formatOutlookDate(original.date ?? new Date())}`,
    `À : ${recipients.join(', ')}`,
    `Objet : ${original.subject ?? ''}`,
    '',
    original.text ?? '',
  ].join('\n');
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: inboundSmtpPort,
    secure: false,
    ignoreTLS: true,
  });
  try {
    await transport.sendMail({
      from: { name: person.name, address: person.email },
      to: replyTo[0],
      subject: `RE: ${original.subject ?? ''}`,
      inReplyTo: messageId,
      references: [...references, messageId],
      text: body,
    });
  } finally {
    transport.close();
  }
}

/** Reads the text of the single flash message shown at the top of the page. */
async function flashText(page: Page): Promise<string> {
  return ((await page.getByRole('status').textContent()) ?? '').trim();
}

/**
 * Flash messages that were missing or unexpected after a redirect. They are collected instead
 * of failing the journey at once, and a test of their own reports them.
 */
const flashProblems: string[] = [];

/** Checks that the page loaded after `action` shows `expected` as its only flash message. */
async function expectFlash(person: Person, expected: string, action: string): Promise<void> {
  const { page } = person;
  const shown = (await page.getByRole('status').allTextContents()).map((text) => text.trim());
  if (shown.length === 1 && shown[0] === expected) return;
  flashProblems.push(
    `after ${action}, ${person.label} saw ${JSON.stringify(shown)} on ${pathOf(page)} ` +
      `instead of ${JSON.stringify([expected])}`,
  );
}

/** Reads the ticket page's details list into a map from each <dt> text to its <dd> text. */
async function ticketDetails(page: Page): Promise<Map<string, string>> {
  const pairs = await page.locator('.details-list').evaluate((list) => {
    const terms = [...list.querySelectorAll('dt')];
    return terms.map((term) => {
      const definition = term.nextElementSibling?.textContent ?? '';
      return [term.textContent ?? '', definition];
    });
  });
  return new Map(pairs.map(([term, value]) => [term.trim(), value.replace(/\s+/g, ' ').trim()]));
}

/** Checks the status shown both in the ticket page's header and in its details. */
async function expectTicketStatus(person: Person, expected: string): Promise<void> {
  const badge = await person.page.locator('.page-header .status').textContent();
  assert.equal(badge?.trim(), expected, `status badge on the ticket page of ${person.label}`);
  const details = await ticketDetails(person.page);
  assert.equal(details.get('Statut'), expected, `"Statut" detail on the page of ${person.label}`);
}

/** Formats a date as the French emails do (formatDateTime in src/i18n/index.ts). */
function formatFrenchDateTime(date: Date): string {
  return new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

async function signIn(person: Person): Promise<void> {
  const { page } = person;
  if (pathOf(page) !== '/login') await page.goto(`${server.baseUrl}/login`);
  await page.getByLabel('Adresse e-mail').fill(person.email);
  await page.getByLabel('Mot de passe').fill(person.password);
  await loadAfter(page, () => page.getByRole('button', { name: 'Se connecter' }).click());
  assert.equal(pathOf(page), '/', `sign-in of ${person.label} does not lead to the home page`);
  assert.equal(
    (await page.locator('.account-name').textContent())?.trim(),
    person.name,
    `the top bar does not name ${person.label}`,
  );
}

/**
 * Opens the invitation email of `person` in the browser, follows its link and sets the
 * password. Returns the invitation, for checks of its wording.
 */
async function acceptInvitation(person: Person, screenshotPrefix: string): Promise<ParsedMail> {
  const { page } = person;
  const invitation = await waitForEmailTo(person.email, INVITATION_SUBJECT);
  await page.setContent(invitation.html as string);
  const button = page.getByRole('link', { name: 'Réinitialiser mon mot de passe' });
  assert.equal(await button.count(), 1, `invitation of ${person.label} has no password link`);
  const link = (await button.getAttribute('href')) ?? '';
  assert.ok(
    link.startsWith(`${server.baseUrl}/password/reset?token=`),
    `invitation link ${link} of ${person.label} does not lead to BASE_URL/password/reset`,
  );
  assert.ok(invitation.text?.includes(link), 'invitation text part lacks the HTML link');

  await page.goto(link);
  await inspectPage(person, 'password page', `${screenshotPrefix}-password`);
  await page.getByLabel('Nouveau mot de passe').fill(person.password);
  await page.getByLabel('Confirmez le mot de passe').fill(person.password);
  await loadAfter(page, () =>
    page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click(),
  );
  assert.equal(
    await flashText(page),
    'Votre mot de passe a été enregistré.',
    `no "saved" message after ${person.label} set a password`,
  );
  await loadAfter(page, () => page.getByRole('link', { name: 'Connectez-vous' }).click());
  assert.equal(pathOf(page), '/login', '"Connectez-vous" does not lead to /login');
  return invitation;
}

/** Fills and sends the admin's invite form, and returns the new user's page path. */
async function invite(
  admin: Person,
  account: { name: string; email: string },
  role: string,
): Promise<string> {
  const { page } = admin;
  await loadAfter(page, () => page.getByRole('link', { name: 'Inviter un utilisateur' }).click());
  assert.equal(pathOf(page), '/admin/users/new', '"Inviter un utilisateur" leads elsewhere');
  await page.getByLabel('Adresse e-mail').fill(account.email);
  await page.getByLabel('Nom', { exact: true }).fill(account.name);
  await page.getByLabel('Rôle').selectOption({ label: role });
  await page.getByLabel('Langue').selectOption({ label: 'Français' });
  await loadAfter(page, () => page.getByRole('button', { name: "Envoyer l'invitation" }).click());
  assert.match(pathOf(page), /^\/admin\/users\/\d+$/, 'inviting does not open the user page');
  await expectFlash(admin, `Invitation envoyée à ${account.email}.`, 'inviting a user');
  assert.equal(
    (await page.getByRole('heading', { level: 1 }).textContent())?.trim(),
    account.name,
    'the user page after the invitation names someone else',
  );
  const details = await ticketDetails(page);
  assert.equal(details.get('État'), 'Invitation en attente', `state of ${account.email}`);
  return pathOf(page);
}

/** Opens the ticket from the "Incidents" module's list. */
async function openTicketFromList(person: Person): Promise<void> {
  const { page } = person;
  const modules = page.getByRole('navigation', { name: 'Modules' });
  await loadAfter(page, () => modules.getByRole('link', { name: 'Incidents' }).click());
  assert.equal(pathOf(page), '/incidents', `"Incidents" leads elsewhere for ${person.label}`);
  await loadAfter(page, () => page.getByRole('link', { name: REFERENCE }).click());
  assert.equal(pathOf(page), `/tickets/${REFERENCE}`, `${REFERENCE} link leads elsewhere`);
}

async function reload(person: Person): Promise<void> {
  await person.page.goto(`${server.baseUrl}/tickets/${REFERENCE}`);
}

/** Fills the ticket page's text area labelled `label` and clicks the `submit` button. */
async function sendTicketForm(person: Person, label: string, text: string, submit: string) {
  const { page } = person;
  await page.getByLabel(label, { exact: true }).fill(text);
  await loadAfter(page, () => page.getByRole('button', { name: submit, exact: true }).click());
}

/** Checks the invalid form shown again: the alert and the message beside the field. */
async function expectFieldError(person: Person, label: string, message: string) {
  const { page } = person;
  assert.equal(
    (await page.getByRole('alert').textContent())?.trim(),
    "L'action n'a pas été enregistrée : corrigez le champ signalé.",
    `no error summary on the ticket page of ${person.label}`,
  );
  const field = page.getByLabel(label, { exact: true });
  assert.equal(await field.getAttribute('aria-invalid'), 'true', `${label} is not invalid`);
  const described = ((await field.getAttribute('aria-describedby')) ?? '').split(' ');
  const errorId = described.find((id) => id.endsWith('-error'));
  assert.ok(errorId, `${label} is not described by its error message`);
  assert.equal(
    (await page.locator(`[id="${errorId}"]`).textContent())?.trim(),
    message,
    `error message of ${label}`,
  );
}

describe('browser workflow', { skip: browserSkipReason }, () => {
  before(async () => {
    database = await createTestDatabase();
    inboundSmtpPort = await findFreePort();
    server = await startServer({
      DATABASE_URL: database.url,
      ADMIN_EMAIL,
      INBOUND_SMTP_PORT: String(inboundSmtpPort),
      INBOUND_SMTP_HOST: '127.0.0.1',
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await database?.drop();
  });

  test('incident from invitation to closing', async () => {
    const admin = await openBrowserFor('the admin', {
      name: ADMIN_NAME,
      email: ADMIN_EMAIL,
      password: 'cheval agrafe pile correcte',
    });
    const technician = await openBrowserFor('the technician', {
      name: 'Thomas Martin',
      email: 'thomas.martin@example.org',
      password: 'tournevis bleu du lundi',
    });
    const requester = await openBrowserFor('the requester', {
      name: 'Hélène Durand',
      email: 'helene.durand@example.org',
      password: 'parapluie jaune sur le quai',
    });
    const people = [admin, technician, requester];

    // 1. The first admin sets a password from the invitation queued on the server's start.
    await acceptInvitation(admin, '01-admin');
    await signIn(admin);

    // 2. The admin invites a technician and a requester from the "Utilisateurs" module.
    const adminPage = admin.page;
    const modules = adminPage.getByRole('navigation', { name: 'Modules' });
    await loadAfter(adminPage, () => modules.getByRole('link', { name: 'Utilisateurs' }).click());
    assert.equal(pathOf(adminPage), '/admin/users', '"Utilisateurs" leads elsewhere');
    await inspectPage(admin, 'users list', '02-admin-users');
    await loadAfter(adminPage, () =>
      adminPage.getByRole('link', { name: 'Inviter un utilisateur' }).click(),
    );
    await inspectPage(admin, 'invite form', '03-admin-invite-form');
    await loadAfter(adminPage, () =>
      adminPage.getByRole('button', { name: "Envoyer l'invitation" }).click(),
    );
    assert.equal(
      (await adminPage.getByRole('alert').textContent())?.trim(),
      "L'utilisateur n'a pas été enregistré : corrigez les champs signalés.",
      'no error summary after sending the empty invite form',
    );
    assert.equal(
      await adminPage.getByLabel('Adresse e-mail').getAttribute('aria-invalid'),
      'true',
      'the empty email field of the invite form is not marked invalid',
    );
    await inspectPage(admin, 'invite form with errors', '04-admin-invite-errors');
    await loadAfter(adminPage, () => adminPage.getByRole('link', { name: 'Annuler' }).click());

    const technicianPath = await invite(admin, technician, 'Technicien');
    await inspectPage(admin, 'invited technician page', '05-admin-technician');
    await loadAfter(adminPage, () =>
      adminPage.getByRole('link', { name: '← Tous les utilisateurs' }).click(),
    );
    const requesterPath = await invite(admin, requester, 'Demandeur');
    await inspectPage(admin, 'invited requester page', '06-admin-requester');

    for (const [person, prefix] of [
      [technician, '07-technician'],
      [requester, '08-requester'],
    ] as const) {
      const invitation = await acceptInvitation(person, prefix);
      assert.ok(
        invitation.text?.includes(`${ADMIN_NAME} vous a créé un compte`),
        `invitation of ${person.label} does not name the admin who sent it`,
      );
      assert.ok(
        invitation.text?.includes(`Votre identifiant est ${person.email}.`),
        `invitation of ${person.label} does not give the address to sign in with`,
      );
    }
    await adminPage.goto(`${server.baseUrl}/admin/users`);
    for (const person of [technician, requester]) {
      const row = adminPage.getByRole('row').filter({ hasText: person.email });
      const cells = (await row.getByRole('cell').allTextContents()).map((text) => text.trim());
      assert.deepEqual(
        cells.slice(0, 5),
        [
          person.name,
          person.email,
          person === technician ? 'Technicien' : 'Demandeur',
          'Français',
          'Actif',
        ],
        `row of ${person.label} in the users list once the password is set`,
      );
    }
    await inspectPage(admin, 'users list with the invited people', '09-admin-users-active');
    for (const path of [technicianPath, requesterPath]) {
      await adminPage.goto(`${server.baseUrl}${path}`);
      assert.equal((await ticketDetails(adminPage)).get('État'), 'Actif', `state on ${path}`);
    }

    // 3. The requester declares an incident with the orange icon.
    const requesterPage = requester.page;
    await signIn(requester);
    await loadAfter(requesterPage, () =>
      requesterPage.locator('.action-incident .action-icon').click(),
    );
    assert.equal(pathOf(requesterPage), '/incidents/new', 'orange icon leads elsewhere');
    assert.equal(
      await requesterPage.locator('.action-incident').count(),
      0,
      'the home actions are still shown on the incident form',
    );
    await inspectPage(requester, 'incident form', '10-requester-incident-form');
    await requesterPage.getByLabel('Catégorie').selectOption({ label: CATEGORY });
    await requesterPage.getByLabel('Titre').fill(TITLE);
    await requesterPage
      .getByLabel('Description')
      .fill('Outlook demande le mot de passe en boucle depuis ce matin 8 h.');
    await loadAfter(requesterPage, () =>
      requesterPage.getByRole('button', { name: 'Enregistrer et fermer' }).click(),
    );
    await expectFlash(
      requester,
      `Votre ticket ${REFERENCE} a été enregistré. Un e-mail de confirmation vous a été envoyé.`,
      'saving the incident',
    );
    const acknowledgement = await waitForEmailTo(
      requester.email,
      `[${REFERENCE}] Ticket enregistré : ${TITLE}`,
    );
    const threadId = acknowledgement.messageId ?? '';
    assert.match(threadId, /^<[^<>\s@]+@[^<>\s@]+>$/, 'acknowledgement Message-ID');
    await openTicketFromList(requester);
    await expectTicketStatus(requester, 'Nouveau');
    assert.equal(
      (await ticketDetails(requesterPage)).get('Pris en charge par'),
      "Personne pour l'instant",
      'a new ticket is already handled by someone',
    );
    assert.equal(
      await requesterPage.getByRole('region', { name: 'Traitement du ticket' }).count(),
      0,
      "the requester sees the technicians' forms",
    );
    await inspectPage(requester, 'new ticket page', '11-requester-ticket-new');

    // 4. The technician opens the ticket from the incidents list and takes it.
    const technicianPage = technician.page;
    await signIn(technician);
    await openTicketFromList(technician);
    await expectTicketStatus(technician, 'Nouveau');
    await inspectPage(technician, 'new ticket page', '12-technician-ticket-new');
    await loadAfter(technicianPage, () =>
      technicianPage.getByRole('button', { name: 'Prendre en charge' }).click(),
    );
    await expectFlash(
      technician,
      `Vous avez pris en charge le ticket ${REFERENCE}.`,
      'taking the ticket',
    );
    await expectTicketStatus(technician, 'En cours');
    await inspectPage(technician, 'ticket page in progress', '13-technician-ticket-taken');

    const taken = await waitForEmailTo(
      requester.email,
      `[${REFERENCE}] Ticket pris en charge : ${TITLE}`,
    );
    assert.ok(
      taken.text?.includes(`${technician.name} a pris en charge votre ticket ${REFERENCE}`),
      `"taken" email does not name the technician:\n${taken.text}`,
    );
    assert.ok(
      taken.text?.includes(technician.email),
      `"taken" email does not give the technician's address:\n${taken.text}`,
    );
    await reload(requester);
    await expectTicketStatus(requester, 'En cours');
    assert.equal(
      (await ticketDetails(requesterPage)).get('Pris en charge par'),
      `${technician.name} · ${technician.email}`,
      "the requester's page does not name the technician and their address",
    );
    assert.equal(
      await requesterPage.getByRole('link', { name: technician.email }).getAttribute('href'),
      `mailto:${technician.email}`,
      "the technician's address is not a mailto link",
    );
    await inspectPage(requester, 'ticket page in progress', '14-requester-ticket-taken');

    // 5. The technician asks the requester for information.
    const question = 'Quel message d’erreur exact s’affiche, et sur quel poste ?';
    await sendTicketForm(
      technician,
      'Question au demandeur',
      question,
      'Demander des informations',
    );
    await expectFlash(
      technician,
      'Votre question a été envoyée au demandeur.',
      'asking for information',
    );
    await expectTicketStatus(technician, 'En attente (utilisateur)');
    await inspectPage(technician, 'ticket page waiting for the user', '15-technician-asked');

    const questionEmail = await waitForEmailTo(
      requester.email,
      `[${REFERENCE}] Informations demandées : ${TITLE}`,
    );
    assert.ok(questionEmail.text?.includes(question), 'question email lacks the question');
    assert.equal(questionEmail.inReplyTo, threadId, 'question email In-Reply-To');
    assert.deepEqual([questionEmail.references].flat(), [threadId], 'question email References');
    const replyTo = addressesOf(questionEmail.replyTo);
    assert.equal(replyTo.length, 1, 'question email has no single Reply-To address');
    assert.match(replyTo[0], REPLY_TO_PATTERN, 'question email Reply-To address');
    const requesterEmailCount = (await emailsTo(requester.email)).length;

    // 6. An internal note: the technician sees it, the requester never does.
    const note = 'Compte verrouillé côté annuaire après 5 essais, voir avec l’équipe système.';
    await sendTicketForm(technician, 'Note interne', note, 'Ajouter la note');
    await expectFlash(technician, 'La note interne a été ajoutée.', 'adding the note');
    await expectTicketStatus(technician, 'En attente (utilisateur)');
    const noteMessage = technicianPage.locator('.message-internal');
    assert.equal(await noteMessage.count(), 1, 'the technician does not see the internal note');
    assert.ok(
      (await noteMessage.textContent())?.includes(note),
      'the internal message is not the note',
    );
    assert.equal(
      (await noteMessage.locator('.badge').textContent())?.trim(),
      'Interne',
      'the note is not marked "Interne"',
    );
    await inspectPage(technician, 'ticket page with an internal note', '16-technician-note');

    await reload(requester);
    await expectTicketStatus(requester, 'En attente (utilisateur)');
    const conversation = requesterPage.getByRole('region', { name: 'Échanges' });
    assert.ok(
      (await conversation.textContent())?.includes(question),
      'the requester does not see the question',
    );
    assert.ok(!(await requesterPage.content()).includes(note), 'the requester sees the note');
    assert.ok(
      !(await requesterPage.content()).includes('Note interne'),
      'the requester sees that an internal note exists',
    );
    await inspectPage(requester, 'ticket page waiting for the user', '17-requester-asked');

    // 7. The requester answers on the ticket page, after one empty attempt.
    await loadAfter(requesterPage, () =>
      requesterPage.getByRole('button', { name: 'Envoyer', exact: true }).click(),
    );
    await expectFieldError(requester, 'Votre message', 'Saisissez votre message.');
    await inspectPage(requester, 'reply form with an error', '18-requester-reply-error');
    const answer = 'Le poste ACC-02 affiche « Mot de passe incorrect » à chaque ouverture.';
    await sendTicketForm(requester, 'Votre message', answer, 'Envoyer');
    await expectFlash(requester, 'Votre message a été envoyé.', 'replying');
    await expectTicketStatus(requester, 'En cours');
    await inspectPage(requester, 'ticket page after the reply', '19-requester-replied');

    const replyEmail = await waitForEmailTo(
      technician.email,
      `[${REFERENCE}] Réponse du demandeur : ${TITLE}`,
    );
    assert.ok(replyEmail.text?.includes(answer), "reply email lacks the requester's answer");
    // The outbox sends in the order of queueing, so an email caused by the note, queued before
    // the reply, would have been written before the reply email.
    const requesterEmails = await emailsTo(requester.email);
    assert.equal(
      requesterEmails.length,
      requesterEmailCount,
      `the requester received emails after the question: ${requesterEmails
        .slice(requesterEmailCount)
        .map((email) => email.subject)
        .join(', ')}`,
    );
    assert.ok(
      requesterEmails.every((email) => !email.text?.includes(note)),
      'an email to the requester contains the internal note',
    );

    // 8. The technician asks a second question. The requester replies to its email from a mail
    // client, and Guichet receives that reply through its SMTP listener.
    await reload(technician);
    const secondQuestion = 'Le verrouillage revient-il après un redémarrage du poste ?';
    await sendTicketForm(
      technician,
      'Question au demandeur',
      secondQuestion,
      'Demander des informations',
    );
    await expectFlash(
      technician,
      'Votre question a été envoyée au demandeur.',
      'asking for information again',
    );
    await expectTicketStatus(technician, 'En attente (utilisateur)');
    await inspectPage(technician, 'ticket page with a second question', '20-technician-asked');

    const secondQuestionEmail = await server.waitForEmail(
      (email) =>
        addressesOf(email.to).includes(requester.email) &&
        email.subject === `[${REFERENCE}] Informations demandées : ${TITLE}` &&
        (email.text ?? '').includes(secondQuestion),
    );
    const secondReplyTo = addressesOf(secondQuestionEmail.replyTo);
    assert.equal(secondReplyTo.length, 1, 'second question email has no single Reply-To');
    assert.match(secondReplyTo[0], REPLY_TO_PATTERN, 'second question email Reply-To address');
    const emailedAnswer = 'Oui, même après un redémarrage ; le poste ACC-03 a le même souci.';
    await replyByEmail(requester, secondQuestionEmail, emailedAnswer);

    // The listener replies 250 once it has stored the message, and processes it afterwards.
    const messages = requesterPage.locator('.messages > li');
    const answerMessage = messages.filter({ hasText: emailedAnswer });
    const deadline = Date.now() + INBOUND_TIMEOUT_MS;
    await reload(requester);
    while ((await answerMessage.count()) === 0) {
      assert.ok(
        Date.now() < deadline,
        `the emailed answer is not on the requester's page after ${INBOUND_TIMEOUT_MS} ms`,
      );
      await sleep(RELOAD_INTERVAL_MS);
      await reload(requester);
    }
    assert.equal(await answerMessage.count(), 1, 'the emailed answer is shown more than once');
    const answerBody = ((await answerMessage.locator('.prose').textContent()) ?? '').trim();
    assert.equal(
      answerBody,
      emailedAnswer,
      'the emailed answer is shown with text other than its new part',
    );
    assert.equal(
      await messages.filter({ hasText: secondQuestion }).count(),
      1,
      'the second question appears again in the conversation, quoted in the emailed answer',
    );
    await expectTicketStatus(requester, 'En cours');
    await inspectPage(requester, 'ticket page after the emailed answer', '21-requester-emailed');

    const emailedReplyEmail = await server.waitForEmail(
      (email) =>
        addressesOf(email.to).includes(technician.email) &&
        email.subject === `[${REFERENCE}] Réponse du demandeur : ${TITLE}` &&
        (email.text ?? '').includes(emailedAnswer),
    );
    assert.ok(
      !emailedReplyEmail.text?.includes(secondQuestion),
      `the technician's email quotes the question again:\n${emailedReplyEmail.text}`,
    );

    // 9. The technician resolves, after one attempt without an answer.
    await reload(technician);
    await expectTicketStatus(technician, 'En cours');
    assert.ok(
      (await technicianPage.getByRole('region', { name: 'Échanges' }).textContent())?.includes(
        answer,
      ),
      "the technician does not see the requester's answer",
    );
    await inspectPage(technician, 'ticket page after the reply', '22-technician-replied');
    await loadAfter(technicianPage, () =>
      technicianPage.getByRole('button', { name: 'Résoudre', exact: true }).click(),
    );
    await expectFieldError(technician, 'Réponse technique', 'Saisissez la réponse technique.');
    await expectTicketStatus(technician, 'En cours');
    await inspectPage(technician, 'resolve form with an error', '23-technician-resolve-error');
    const resolution = 'Compte déverrouillé dans l’annuaire et mot de passe Outlook ressaisi.';
    await sendTicketForm(technician, 'Réponse technique', resolution, 'Résoudre');
    await expectFlash(
      technician,
      `Le ticket ${REFERENCE} est résolu ; le demandeur a été prévenu.`,
      'resolving',
    );
    await expectTicketStatus(technician, 'Résolu');
    await inspectPage(technician, 'resolved ticket page', '24-technician-resolved');

    const resolvedEmail = await waitForEmailTo(
      requester.email,
      `[${REFERENCE}] Ticket résolu : ${TITLE}`,
    );
    await reload(requester);
    await expectTicketStatus(requester, 'Résolu');
    const openedAt = await requesterPage
      .locator('.details-list dt:text-is("Ouvert le") + dd time')
      .getAttribute('datetime');
    const resolvedAt = await requesterPage
      .locator('.timeline li')
      .filter({ hasText: `Résolu par ${technician.name}` })
      .locator('time')
      .getAttribute('datetime');
    assert.ok(openedAt, 'the ticket page lacks the opening date');
    assert.ok(resolvedAt, 'the ticket page lacks the resolution date');
    const summary = [
      resolution,
      `Référence : ${REFERENCE}`,
      `Titre : ${TITLE}`,
      `Catégorie : ${CATEGORY}`,
      `Ouvert le : ${formatFrenchDateTime(new Date(openedAt))}`,
      `Résolu le : ${formatFrenchDateTime(new Date(resolvedAt))}`,
      `Traité par : ${technician.name}`,
    ];
    for (const line of summary) {
      assert.ok(
        resolvedEmail.text?.includes(line),
        `resolution email lacks "${line}":\n${resolvedEmail.text}`,
      );
    }
    await inspectPage(requester, 'resolved ticket page', '25-requester-resolved');

    // 10. The requester confirms the resolution, which closes the ticket.
    await loadAfter(requesterPage, () =>
      requesterPage.getByRole('button', { name: "Oui, c'est résolu" }).click(),
    );
    await expectFlash(
      requester,
      `Merci ! Le ticket ${REFERENCE} est clos.`,
      'confirming the resolution',
    );
    await expectTicketStatus(requester, 'Clos');
    assert.equal(
      await requesterPage.getByRole('button', { name: 'Envoyer', exact: true }).count(),
      0,
      'a closed ticket still offers the reply form',
    );
    await inspectPage(requester, 'closed ticket page', '26-requester-closed');
    await reload(technician);
    await expectTicketStatus(technician, 'Clos');
    await inspectPage(technician, 'closed ticket page', '27-technician-closed');

    for (const person of people) {
      assert.deepEqual(person.errors, [], `the browser of ${person.label} reported errors`);
      await person.context.close();
    }
  });

  test('flash message after each redirect', () => {
    // express-session 1.19 writes a redirect's status and Location header before it has saved
    // the session (writetop in its index.js), and Chromium requests the next page on those
    // headers alone, so that page may load the session without the action's flash message.
    assert.deepEqual(
      flashProblems,
      [],
      'flash messages were lost or shown on the wrong page; save the session before ' +
        'res.redirect (src/app.ts, after sessionMiddleware)',
    );
  });
});
