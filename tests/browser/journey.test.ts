// The first visit of a new user, in Chromium against a real server process: invitation email,
// first password, sign-in, home page, an incident and a request, their acknowledgement emails,
// the ticket page and sign-out. Every page is checked with axe-core (WCAG 2.1 A and AA).
// Full-page screenshots go to SCREENSHOT_DIR when it is set.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ParsedMail } from 'mailparser';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createDatabaseClient } from '../../src/db/client.ts';
import {
  browserSkipReason,
  expectNoAxeViolations,
  launchBrowser,
  saveScreenshot,
} from '../support/browser.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createUser, PASSWORD } from '../support/factories.ts';
import { startServer, type TestServer } from '../support/server.ts';

const ADMIN_EMAIL = 'admin@example.org';
/** ADMIN_NAME's default in src/config.ts. */
const ADMIN_NAME = 'Administrateur';
const NEW_PASSWORD = 'cheval agrafe pile correcte';
const SESSION_COOKIE = 'guichet.sid';
const REMEMBER_ME_SECONDS = 30 * 24 * 3600;
const PHONE_VIEWPORT = { width: 390, height: 844 };
const DESKTOP_VIEWPORT = { width: 1280, height: 800 };

let database: TestDatabase;
let server: TestServer;
let browser: Browser;

/** Runs `action` and waits for the main frame's next load event, such as after a form post. */
async function loadAfter(page: Page, action: () => Promise<unknown>): Promise<void> {
  const loaded = page.waitForEvent('load');
  await action();
  await loaded;
}

/** Checks the page with axe-core and saves its screenshot as `name`. */
async function inspectPage(page: Page, label: string, name: string): Promise<void> {
  await expectNoAxeViolations(page, label);
  await saveScreenshot(page, name);
}

/** Returns the path and query of the page's URL, so assertions do not depend on the port. */
function pathOf(page: Page): string {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

/** Computes the hue in degrees (0 to 360) of a computed colour such as "rgb(194, 65, 12)". */
function hueOf(color: string): number {
  const match = /^rgba?\((\d+), (\d+), (\d+)/.exec(color);
  assert.ok(match, `computed colour "${color}" is not in rgb() notation`);
  const [red, green, blue] = match.slice(1, 4).map((value) => Number(value) / 255);
  const max = Math.max(red, green, blue);
  const chroma = max - Math.min(red, green, blue);
  assert.ok(chroma > 0.3, `colour ${color} is too grey to have a clear hue`);
  let sector: number;
  if (max === red) sector = ((green - blue) / chroma + 6) % 6;
  else if (max === green) sector = (blue - red) / chroma + 2;
  else sector = (red - green) / chroma + 4;
  return sector * 60;
}

async function backgroundOf(page: Page, selector: string): Promise<string> {
  return page.locator(selector).evaluate((element) => getComputedStyle(element).backgroundColor);
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

function recipientsOf(email: ParsedMail): string[] {
  if (!email.to) return [];
  const fields = Array.isArray(email.to) ? email.to : [email.to];
  return fields.flatMap((field) => field.value.map((address) => address.address ?? ''));
}

async function sessionCookie(context: BrowserContext) {
  const cookies = await context.cookies(server.baseUrl);
  return cookies.find((cookie) => cookie.name === SESSION_COOKIE);
}

async function signIn(page: Page, email: string, password: string, remember: boolean) {
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByLabel('Se souvenir de moi').setChecked(remember);
  await loadAfter(page, () => page.getByRole('button', { name: 'Se connecter' }).click());
}

/**
 * Collects script errors, console errors and failed subresources (styles, icons) of the page.
 * Pages themselves may fail on purpose, such as the 400 of an invalid form, so document
 * responses and Chromium's "Failed to load resource" messages, which repeat them, are left out.
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

describe('browser journey', { skip: browserSkipReason }, () => {
  before(async () => {
    database = await createTestDatabase();
    server = await startServer({ DATABASE_URL: database.url, ADMIN_EMAIL });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await database?.drop();
  });

  test('first admin journey in French', async (t) => {
    const context = await browser.newContext({ locale: 'fr-FR', viewport: DESKTOP_VIEWPORT });
    const page = await context.newPage();
    const pageErrors = collectPageErrors(page);

    // 1. The invitation email that the server queued on its first start.
    const invitation = await server.waitForEmail((email) =>
      recipientsOf(email).includes(ADMIN_EMAIL),
    );
    assert.equal(
      invitation.subject,
      "Votre accès au service d'assistance informatique",
      'invitation subject',
    );
    assert.ok(invitation.text?.trim(), 'invitation has no text/plain part');
    assert.equal(typeof invitation.html, 'string', 'invitation has no text/html part');
    assert.match(
      invitation.messageId ?? '',
      /^<[^<>\s@]+@[^<>\s@]+>$/,
      'invitation Message-ID is missing or not of the form <local@domain>',
    );

    // The HTML part is opened in the browser so the link is found by its accessible name.
    await page.setContent(invitation.html as string);
    const button = page.getByRole('link', { name: 'Réinitialiser mon mot de passe' });
    assert.equal(await button.count(), 1, 'invitation HTML has no "Réinitialiser" link');
    const link = (await button.getAttribute('href')) ?? '';
    assert.ok(
      link.startsWith(`${server.baseUrl}/password/reset?token=`),
      `invitation link ${link} does not lead to BASE_URL/password/reset?token=`,
    );
    assert.ok(invitation.text?.includes(link), 'text part does not contain the HTML link');

    // 2. First password.
    await page.goto(link);
    assert.equal(
      await page.getByRole('heading', { level: 1 }).textContent(),
      'Réinitialiser mon mot de passe',
      'password page heading',
    );
    await inspectPage(page, 'password page', '01-password');
    await page.getByLabel('Nouveau mot de passe').fill(NEW_PASSWORD);
    await page.getByLabel('Confirmez le mot de passe').fill(NEW_PASSWORD);
    await loadAfter(page, () =>
      page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click(),
    );
    assert.equal(
      (await page.getByRole('status').textContent())?.trim(),
      'Votre mot de passe a été enregistré.',
      'no "saved" message after setting the password',
    );
    await inspectPage(page, 'password saved page', '02-password-saved');
    await loadAfter(page, () => page.getByRole('link', { name: 'Connectez-vous' }).click());
    assert.equal(pathOf(page), '/login', '"Connectez-vous" does not lead to /login');

    // 3. Sign-in without "remember me": the cookie must end with the browser.
    await inspectPage(page, 'sign-in page', '03-login');
    assert.equal(
      await page.getByLabel('Se souvenir de moi').isChecked(),
      false,
      '"Se souvenir de moi" is checked by default',
    );
    await signIn(page, ADMIN_EMAIL, NEW_PASSWORD, false);
    assert.equal(pathOf(page), '/', 'sign-in does not lead to the home page');
    const cookie = await sessionCookie(context);
    assert.ok(cookie, `no ${SESSION_COOKIE} cookie after sign-in`);
    assert.equal(cookie.expires, -1, 'session cookie has an expiry date without "remember me"');
    assert.equal(cookie.httpOnly, true, 'session cookie is readable from JavaScript');
    assert.equal(cookie.sameSite, 'Lax', 'session cookie SameSite attribute');

    // 4. Home page: modules, the two actions and the "Ouvert" counters.
    const sidebar = page.getByRole('navigation', { name: 'Modules' });
    // Admins see administration modules after the three that every user has.
    assert.deepEqual(
      (await sidebar.getByRole('link').allTextContents()).map((text) => text.trim()).slice(0, 3),
      ['Accueil', 'Incidents', 'Demandes'],
      'sidebar links',
    );
    assert.equal(
      await sidebar.getByRole('link', { name: 'Accueil' }).getAttribute('aria-current'),
      'page',
      '"Accueil" is not marked as the current page',
    );
    const incidentAction = page.getByRole('link', { name: /Déclarer un incident/ });
    const requestAction = page.getByRole('link', { name: /Faire une demande/ });
    assert.equal(await incidentAction.count(), 1, 'no "Déclarer un incident" action');
    assert.equal(await requestAction.count(), 1, 'no "Faire une demande" action');
    const orange = await backgroundOf(page, '.action-incident .action-icon');
    const blue = await backgroundOf(page, '.action-request .action-icon');
    const orangeHue = hueOf(orange);
    const blueHue = hueOf(blue);
    // Orange hues run from about 10° (red-orange) to 45°, blue ones from 200° to 250°.
    assert.ok(orangeHue >= 10, `incident icon ${orange} is red, not orange`);
    assert.ok(orangeHue <= 45, `incident icon ${orange} is yellow or green, not orange`);
    assert.ok(blueHue >= 200, `request icon ${blue} is cyan or green, not blue`);
    assert.ok(blueHue <= 250, `request icon ${blue} is violet, not blue`);
    for (const module of ['incidents', 'requests']) {
      const counter = page.locator(`a.counter[href="/${module}?status=open"]`);
      assert.equal(await counter.count(), 1, `no "Ouvert" counter for ${module}`);
      assert.equal(await counter.locator('.counter-label').textContent(), 'Ouvert', module);
      assert.equal(
        await counter.locator('.counter-value').textContent(),
        '0',
        `"Ouvert" ${module} counter before any ticket`,
      );
    }
    await inspectPage(page, 'home page', '04-home');
    await page.setViewportSize(PHONE_VIEWPORT);
    await inspectPage(page, 'home page on a phone', '05-home-phone');
    await page.setViewportSize(DESKTOP_VIEWPORT);

    // 5. Incident: the empty form is rejected, then a complete one is saved.
    await loadAfter(page, () => page.locator('.action-incident .action-icon').click());
    assert.equal(pathOf(page), '/incidents/new', 'orange icon does not open the incident form');
    await inspectPage(page, 'incident form', '06-incident-form');
    const saveButton = page.getByRole('button', { name: 'Enregistrer et fermer' });
    await loadAfter(page, () => saveButton.click());
    assert.equal(
      (await page.getByRole('alert').textContent())?.trim(),
      "Le ticket n'a pas été enregistré : corrigez les champs signalés.",
      'no error summary after submitting the empty form',
    );
    const fieldErrors: [string, string][] = [
      ['Catégorie', 'Choisissez une catégorie dans la liste.'],
      ['Titre', 'Saisissez un titre.'],
      ['Description', 'Saisissez une description.'],
    ];
    for (const [label, message] of fieldErrors) {
      const field = page.getByLabel(label, { exact: true });
      assert.equal(
        await field.getAttribute('aria-invalid'),
        'true',
        `${label} field is not marked invalid`,
      );
      const errorId = (await field.getAttribute('aria-describedby')) ?? '';
      const error = page.locator(`[id="${errorId}"]`);
      assert.equal(await error.textContent(), message, `error message of the ${label} field`);
    }
    // A subtest, so that a styling failure is reported without ending the journey here.
    await t.test('invalid fields get error border', async () => {
      for (const [label] of fieldErrors) {
        const field = page.getByLabel(label, { exact: true });
        const errorId = (await field.getAttribute('aria-describedby')) ?? '';
        const error = page.locator(`[id="${errorId}"]`);
        const border = await field.evaluate((element) => getComputedStyle(element).borderTopColor);
        const errorColor = await error.evaluate((element) => getComputedStyle(element).color);
        assert.equal(border, errorColor, `${label} field border is not in the error text colour`);
      }
    });
    await inspectPage(page, 'incident form with errors', '07-incident-form-errors');

    const incidentTitle = 'Imprimante du 2e étage hors service';
    await page.getByLabel('Catégorie').selectOption({ label: 'Impression' });
    await page.getByLabel('Titre').fill(incidentTitle);
    await page.getByLabel('Description').fill('Elle affiche « erreur 49 » depuis ce matin.');
    await loadAfter(page, () => saveButton.click());
    assert.equal(pathOf(page), '/incidents', 'saving does not lead to the incidents list');
    assert.equal(
      (await page.getByRole('status').textContent())?.trim(),
      'Votre ticket INC-000001 a été enregistré. Un e-mail de confirmation vous a été envoyé.',
      'confirmation message after saving the incident',
    );
    await inspectPage(page, 'incidents list', '08-incidents');

    const incidentEmail = await server.waitForEmail((email) =>
      Boolean(email.subject?.includes('INC-000001')),
    );
    assert.equal(
      incidentEmail.subject,
      `[INC-000001] Ticket enregistré : ${incidentTitle}`,
      'acknowledgement subject',
    );
    assert.deepEqual(recipientsOf(incidentEmail), [ADMIN_EMAIL], 'acknowledgement recipients');
    assert.ok(
      incidentEmail.text?.includes(`${server.baseUrl}/tickets/INC-000001`),
      'acknowledgement text does not link to the ticket',
    );
    assert.equal(typeof incidentEmail.html, 'string', 'acknowledgement has no text/html part');

    // 6. The ticket page, opened from the list.
    const row = page.getByRole('row').filter({ hasText: 'INC-000001' });
    assert.equal(await row.count(), 1, 'INC-000001 is not listed once');
    assert.equal(
      (await row.locator('.status').textContent())?.trim(),
      'Nouveau',
      'status of INC-000001 in the list',
    );
    await loadAfter(page, () => row.getByRole('link', { name: 'INC-000001' }).click());
    assert.equal(pathOf(page), '/tickets/INC-000001', 'list link does not open the ticket');
    assert.equal(
      (await page.getByRole('heading', { level: 1 }).textContent())?.trim(),
      `INC-000001 ${incidentTitle}`,
      'ticket page heading',
    );
    const incidentDetails = await ticketDetails(page);
    const expectedIncident: [string, string][] = [
      ['Type', 'Incident'],
      ['Catégorie', 'Impression'],
      ['Statut', 'Nouveau'],
      ['Demandeur', ADMIN_NAME],
      ['Pris en charge par', "Personne pour l'instant"],
    ];
    for (const [term, value] of expectedIncident) {
      assert.equal(incidentDetails.get(term), value, `ticket detail "${term}"`);
    }
    const history = page.getByRole('region', { name: 'Historique' }).getByRole('listitem');
    assert.equal(await history.count(), 1, 'a new ticket has one history entry');
    assert.match(
      (await history.textContent()) ?? '',
      new RegExp(`Ticket ouvert par ${ADMIN_NAME}`),
      'history does not say who opened the ticket',
    );
    await inspectPage(page, 'incident page', '09-incident');

    // The request, from the blue icon, in a child category.
    await loadAfter(page, () => page.getByRole('link', { name: 'Accueil' }).click());
    await loadAfter(page, () => page.locator('.action-request .action-icon').click());
    assert.equal(pathOf(page), '/requests/new', 'blue icon does not open the request form');
    await inspectPage(page, 'request form', '10-request-form');
    const requestTitle = 'Ordinateur pour une nouvelle stagiaire';
    await page.getByLabel('Catégorie').selectOption({ label: 'Matériel › Nouvel ordinateur' });
    await page.getByLabel('Titre').fill(requestTitle);
    await page.getByLabel('Description').fill('Arrivée lundi 6 janvier, au service comptable.');
    await loadAfter(page, () => saveButton.click());
    assert.equal(pathOf(page), '/requests', 'saving does not lead to the requests list');
    assert.equal(
      (await page.getByRole('status').textContent())?.trim(),
      'Votre ticket REQ-000001 a été enregistré. Un e-mail de confirmation vous a été envoyé.',
      'confirmation message after saving the request',
    );
    await inspectPage(page, 'requests list', '11-requests');
    const requestEmail = await server.waitForEmail((email) =>
      Boolean(email.subject?.includes('REQ-000001')),
    );
    assert.equal(
      requestEmail.subject,
      `[REQ-000001] Ticket enregistré : ${requestTitle}`,
      'request acknowledgement subject',
    );
    await loadAfter(page, () => page.getByRole('link', { name: 'REQ-000001' }).click());
    const requestDetails = await ticketDetails(page);
    assert.equal(requestDetails.get('Type'), 'Demande', 'request detail "Type"');
    assert.equal(
      requestDetails.get('Catégorie'),
      'Matériel › Nouvel ordinateur',
      'request detail "Catégorie" names the parent and the child',
    );
    await inspectPage(page, 'request page', '12-request');

    // The "Ouvert" counters now count one ticket each and lead to the filtered list.
    await loadAfter(page, () => page.getByRole('link', { name: 'Accueil' }).click());
    for (const module of ['incidents', 'requests']) {
      const value = page.locator(`a.counter[href="/${module}?status=open"] .counter-value`);
      assert.equal(await value.textContent(), '1', `"Ouvert" ${module} counter after one ticket`);
    }
    await loadAfter(page, () => page.locator('a.counter[href="/incidents?status=open"]').click());
    assert.equal(pathOf(page), '/incidents?status=open', 'counter does not filter the list');
    const filters = page.getByRole('navigation', { name: 'Filtrer par statut' });
    assert.equal(
      await filters.getByRole('link', { name: 'Ouvert' }).getAttribute('aria-current'),
      'page',
      'the "Ouvert" filter is not marked as current',
    );
    assert.equal(
      await page.getByRole('row').filter({ hasText: 'INC-000001' }).count(),
      1,
      'INC-000001 is not in the "Ouvert" list',
    );
    await inspectPage(page, 'open incidents list', '13-incidents-open');

    // Sign-out ends the session: a protected page sends back to the sign-in page.
    await loadAfter(page, () => page.getByRole('button', { name: 'Se déconnecter' }).click());
    assert.equal(pathOf(page), '/login?signedOut=1', 'sign-out does not lead to /login');
    assert.equal(
      (await page.getByRole('status').textContent())?.trim(),
      'Vous êtes déconnecté.',
      'no signed-out message',
    );
    await inspectPage(page, 'sign-in page after sign-out', '14-signed-out');
    await page.goto(`${server.baseUrl}/incidents`);
    assert.equal(
      pathOf(page),
      '/login?next=%2Fincidents',
      'a protected page is still open after sign-out',
    );

    assert.deepEqual(pageErrors, [], 'the browser reported errors on some pages');
    await context.close();
  });

  test('remember me lasts 30 days', async () => {
    const db = createDatabaseClient(database.url, 1);
    const requester = await createUser(db, { email: 'requester@example.org' });
    await db.$disconnect();

    const context = await browser.newContext({ locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/login`);
    const signedInAt = Date.now() / 1000;
    await signIn(page, requester.email, PASSWORD, true);
    assert.equal(pathOf(page), '/', 'sign-in with "remember me" does not lead home');

    const cookie = await sessionCookie(context);
    assert.ok(cookie, `no ${SESSION_COOKIE} cookie after sign-in`);
    const lifetime = cookie.expires - signedInAt;
    assert.ok(
      Math.abs(lifetime - REMEMBER_ME_SECONDS) < 300,
      `cookie expires in ${Math.round(lifetime)} s, expected about ${REMEMBER_ME_SECONDS} s`,
    );
    await context.close();
  });
});
