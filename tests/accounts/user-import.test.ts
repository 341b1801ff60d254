import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseImportFile } from '../../src/accounts/csv-import.ts';
import { hashToken } from '../../src/accounts/tokens.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { createUser, signIn } from '../support/factories.ts';

let context: TestContext;
let adminSession: Awaited<ReturnType<typeof signIn>>;

before(async () => {
  context = await createTestContext();
  const admin = await createUser(context.db, { role: 'ADMIN', name: 'Alice Admin' });
  adminSession = await signIn(context.app, admin.email);
});
after(() => context.close());

function upload(content: Buffer | string, fileName = 'utilisateurs.csv') {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return adminSession.agent
    .post('/admin/users/import')
    .field('_csrf', adminSession.csrf)
    .attach('file', bytes, { filename: fileName, contentType: 'text/csv' });
}

function counts(html: string) {
  const read = (id: string) => Number(new RegExp(`id="${id}">(\\d+)<`).exec(html)?.[1]);
  return {
    created: read('created-count'),
    skipped: read('skipped-count'),
    rejected: read('rejected-count'),
  };
}

function findUser(email: string) {
  return context.db.user.findUnique({ where: { email } });
}

describe('user import', () => {
  it('shows the form with the expected columns', async () => {
    const page = await adminSession.agent.get('/admin/users/import').expect(200);
    assert.match(page.text, /enctype="multipart\/form-data"/);
    assert.match(page.text, /action="\/admin\/users\/import"/);
    assert.match(
      page.text,
      /name="_csrf" value="[^"]+"/,
      'the token is a form field, not in the URL',
    );
    assert.match(page.text, /email;name;role;language/);
  });

  it('creates and invites the users of a comma file', async () => {
    const response = await upload(
      'email,name,role,language\n' +
        'Helene.Durand@Example.org,Hélène Durand,requester,fr\n' +
        'tom.tech@example.org,Tom Tech,technician,en\n' +
        '"ada@example.org","Lovelace, Ada",admin,EN\n',
    );
    assert.equal(response.status, 200);
    assert.deepEqual(counts(response.text), { created: 3, skipped: 0, rejected: 0 });
    const helene = await findUser('helene.durand@example.org');
    assert.equal(helene?.name, 'Hélène Durand');
    assert.equal(helene?.role, 'REQUESTER');
    assert.equal(helene?.locale, 'fr');
    const ada = await findUser('ada@example.org');
    assert.equal(ada?.name, 'Lovelace, Ada');
    assert.equal(ada?.role, 'ADMIN');
    assert.equal(ada?.locale, 'en');

    const invitation = await context.db.outboundEmail.findFirstOrThrow({
      where: { userId: helene!.id, kind: 'invitation' },
    });
    const token = (invitation.payload as { token: string; inviterName: string }).token;
    assert.equal((invitation.payload as { inviterName: string }).inviterName, 'Alice Admin');
    const stored = await context.db.oneTimeToken.findUniqueOrThrow({
      where: { tokenHash: hashToken(token) },
    });
    assert.equal(stored.purpose, 'INVITATION');
    const days = (stored.expiresAt.getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 6.9, `invitation valid ${days} days, expected 7`);
    assert.ok(days <= 7, `invitation valid ${days} days, expected 7`);
    await adminSession.agent.get(`/password/reset?token=${token}`).expect(200);
  });

  it('reads semicolons and French words', async () => {
    const response = await upload(
      'Courriel;Nom;Rôle;Langue\n' +
        'demandeuse@example.org;Dominique Demandeuse;Demandeur;Français\n' +
        'technicienne@example.org;Thérèse Technicienne;TECHNICIEN;anglais\n' +
        'chef@example.org;Charles Chef;Administrateur;francais\n',
    );
    assert.equal(response.status, 200);
    assert.deepEqual(counts(response.text), { created: 3, skipped: 0, rejected: 0 });
    assert.equal((await findUser('demandeuse@example.org'))?.role, 'REQUESTER');
    const technician = await findUser('technicienne@example.org');
    assert.equal(technician?.role, 'TECHNICIAN');
    assert.equal(technician?.locale, 'en');
    assert.equal((await findUser('chef@example.org'))?.role, 'ADMIN');
  });

  it('decodes a Windows-1252 file', async () => {
    const text = 'email;name;role;language\nlatin@example.org;Hélène Gaëlle Œuvré;demandeur;fr\n';
    const bytes = latin1(text);
    assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes), 'not UTF-8');
    const response = await upload(bytes);
    assert.equal(response.status, 200);
    assert.deepEqual(counts(response.text), { created: 1, skipped: 0, rejected: 0 });
    assert.equal((await findUser('latin@example.org'))?.name, 'Hélène Gaëlle Œuvré');
  });

  it('drops a UTF-8 byte order mark', async () => {
    const text = 'email;name;role;language\r\nbom@example.org;Bérénice Bom;admin;fr\r\n';
    const response = await upload(`\ufeff${text}`);
    assert.equal(response.status, 200);
    assert.deepEqual(counts(response.text), { created: 1, skipped: 0, rejected: 0 });
    assert.equal((await findUser('bom@example.org'))?.name, 'Bérénice Bom');
  });

  it('rejects a wrong header with one message', async () => {
    const response = await upload('mail,prenom,profil\nx@example.org,X,admin\n');
    assert.equal(response.status, 400);
    const message = 'La première ligne doit être l&#39;en-tête avec les colonnes email, name, role';
    assert.match(response.text, new RegExp(`id="file-error"[^>]*>${message}, language`));
    assert.equal(await findUser('x@example.org'), null);
  });

  it('reports invalid rows with their line and reason', async () => {
    const existing = await createUser(context.db, { email: 'deja-la@example.org' });
    const response = await upload(
      [
        'email;name;role;language',
        'bonne@example.org;Bonne Ligne;demandeur;fr',
        'pas-une-adresse;Mauvaise Adresse;demandeur;fr',
        'role@example.org;Rôle Inconnu;chef;fr',
        'langue@example.org;Langue Inconnue;demandeur;de',
        'nom@example.org;;demandeur;fr',
        '',
        'BONNE@example.org;Doublon;technicien;en',
        `${existing.email};Déjà Là;demandeur;fr`,
      ].join('\n'),
    );
    assert.equal(response.status, 200);
    assert.deepEqual(counts(response.text), { created: 1, skipped: 2, rejected: 4 });
    const problems = response.text.split('Utilisateurs créés et invités')[0];
    const cell = String.raw`\s*<td[^>]*>([^<]*)<\/td>`;
    const rows = [...problems.matchAll(new RegExp(`<tr>${cell}${cell}${cell}`, 'g'))].map(
      ([, line, email, reason]) => ({ line: Number(line), email, reason }),
    );
    assert.deepEqual(rows, [
      { line: 3, email: 'pas-une-adresse', reason: 'Adresse e-mail invalide.' },
      {
        line: 4,
        email: 'role@example.org',
        reason: 'Rôle inconnu « chef » : indiquez demandeur, technicien ou admin.',
      },
      {
        line: 5,
        email: 'langue@example.org',
        reason: 'Langue inconnue « de » : indiquez fr ou en.',
      },
      { line: 6, email: 'nom@example.org', reason: 'Nom manquant.' },
      {
        line: 8,
        email: 'bonne@example.org',
        reason: 'Adresse déjà présente à la ligne 2 du fichier.',
      },
      {
        line: 9,
        email: 'deja-la@example.org',
        reason: 'Un utilisateur existe déjà avec cette adresse.',
      },
    ]);
    assert.equal((await findUser('bonne@example.org'))?.name, 'Bonne Ligne');
    assert.equal((await findUser('deja-la@example.org'))?.name, existing.name, 'unchanged');
    assert.equal(await findUser('role@example.org'), null);
  });

  it('writes the report in the admin language', async () => {
    const english = await createUser(context.db, { role: 'ADMIN', locale: 'en' });
    const session = await signIn(context.app, english.email);
    const response = await session.agent
      .post('/admin/users/import')
      .field('_csrf', session.csrf)
      .attach('file', Buffer.from('email,name,role,language\nbad,Bad,boss,fr\n'), 'users.csv');
    assert.equal(response.status, 200);
    assert.match(response.text, /Invalid email address\./);
    assert.match(response.text, /Rejected rows/);
  });

  it('answers 413 to a file over 2 MB', async () => {
    const big = 'email,name,role,language\n' + 'x'.repeat(2 * 1024 * 1024 + 10);
    const response = await upload(big);
    assert.equal(response.status, 413);
    assert.match(response.text, /Le fichier dépasse 2 Mo/);
  });

  it('asks for a file when none is sent', async () => {
    const response = await adminSession.agent
      .post('/admin/users/import')
      .field('_csrf', adminSession.csrf)
      .field('note', 'no file');
    assert.equal(response.status, 400);
    assert.match(response.text, /Choisissez un fichier CSV/);
  });

  it('rejects an upload without the CSRF token', async () => {
    const response = await adminSession.agent
      .post('/admin/users/import')
      .attach('file', Buffer.from('email,name,role,language\ncsrf@example.org,C,admin,fr\n'), {
        filename: 'users.csv',
      });
    assert.equal(response.status, 403);
    assert.equal(await findUser('csrf@example.org'), null);
  });

  it('imports 10,000 rows', async (t) => {
    const lines = ['email;name;role;language'];
    for (let index = 0; index < 10_000; index++) {
      lines.push(`masse-${index}@example.org;Personne n°${index};demandeur;fr`);
    }
    const started = performance.now();
    const response = await upload(lines.join('\r\n'));
    t.diagnostic(`10,000 rows imported in ${Math.round(performance.now() - started)} ms`);
    assert.equal(response.status, 200);
    assert.deepEqual(counts(response.text), { created: 10_000, skipped: 0, rejected: 0 });
    const where = { email: { startsWith: 'masse-' } };
    assert.equal(await context.db.user.count({ where }), 10_000);
    assert.equal(await context.db.oneTimeToken.count({ where: { user: where } }), 10_000);
    assert.equal(
      await context.db.outboundEmail.count({ where: { kind: 'invitation', user: where } }),
      10_000,
    );

    const again = await upload(lines.join('\r\n'));
    assert.deepEqual(counts(again.text), { created: 0, skipped: 10_000, rejected: 0 });
  });
});

describe('parseImportFile', () => {
  it('rejects more rows than the limit', () => {
    const rows = Array.from({ length: 20_001 }, (_, index) => `r${index}@example.org,R,admin,fr`);
    const result = parseImportFile(Buffer.from(['email,name,role,language', ...rows].join('\n')));
    assert.equal(result.status, 'invalid');
    const reason = result.status === 'invalid' ? result.reason : null;
    assert.equal(reason, 'admin.users.import.errors.tooManyRows');
  });

  it('rejects an unclosed quote', () => {
    const text = 'email,name,role,language\n"a@example.org,A,admin,fr\n';
    const result = parseImportFile(Buffer.from(text));
    assert.equal(result.status, 'invalid');
    const reason = result.status === 'invalid' ? result.reason : null;
    assert.equal(reason, 'admin.users.import.errors.malformed');
  });

  it('rejects a file with only a header', () => {
    const result = parseImportFile(Buffer.from('email,name,role,language\n'));
    assert.equal(result.status === 'invalid' && result.reason, 'admin.users.import.errors.empty');
  });

  it('rejects a missing role and language', () => {
    const result = parseImportFile(Buffer.from('email,name,role,language\na@example.org,A,,\n'));
    assert.equal(result.status, 'parsed');
    assert.equal(
      result.status === 'parsed' && result.rejected[0].reason,
      'admin.users.import.reasons.missingRole',
    );
  });
});

/** Encodes text as Windows-1252, as Excel saves "CSV" on French Windows. */
function latin1(text: string): Buffer {
  const windows1252 = new Map([
    ['Œ', 0x8c],
    ['œ', 0x9c],
    ['€', 0x80],
  ]);
  const bytes = [...text].map((character) => windows1252.get(character) ?? character.charCodeAt(0));
  return Buffer.from(bytes);
}
