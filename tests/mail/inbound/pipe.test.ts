import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createTestContext, type TestContext } from '../../support/context.ts';
import { createUser } from '../../support/factories.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const PIPE = path.join(root, 'src/mail/inbound/pipe.ts');

let context: TestContext;

before(async () => {
  context = await createTestContext();
});

after(async () => {
  await context.close();
});

/** Runs `npm run mail:pipe`'s script with `input` on standard input. */
function runPipe(input: string, env: Record<string, string | undefined>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', PIPE], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        DATA_DIR: context.dataDir,
        MAIL_FROM: 'Guichet <helpdesk@guichet.test>',
        LOG_LEVEL: 'silent',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

test('a message is stored and processed, exit 0', async () => {
  const user = await createUser(context.db);
  const result = await runPipe(
    `From: ${user.email}\r\nTo: helpdesk@guichet.test\r\nSubject: Écran bleu\r\n` +
      'Message-ID: <pipe-1@example.org>\r\n\r\nÉcran bleu au démarrage.\r\n',
    { DATABASE_URL: context.databaseUrl },
  );
  assert.equal(result.code, 0, result.stderr);
  const message = await context.db.inboundMessage.findUniqueOrThrow({
    where: { messageKey: '<pipe-1@example.org>' },
  });
  assert.equal(message.source, 'pipe');
  assert.equal(message.status, 'PROCESSED');
});

test('a quarantined message still exits 0', async () => {
  const result = await runPipe('garbage without headers\r\n', {
    DATABASE_URL: context.databaseUrl,
  });
  assert.equal(result.code, 0, result.stderr);
});

test('empty input exits 65', async () => {
  const result = await runPipe('', { DATABASE_URL: context.databaseUrl });
  assert.equal(result.code, 65);
  assert.match(result.stderr, /empty/);
});

test('an unreachable database exits 75 without a stack trace', async () => {
  const result = await runPipe('From: a@example.org\r\n\r\nx\r\n', {
    DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/guichet',
  });
  assert.equal(result.code, 75);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
});

test('without DATABASE_URL it explains why, exit 75', async () => {
  const result = await runPipe('From: a@example.org\r\n\r\nx\r\n', {});
  assert.equal(result.code, 75);
  assert.match(result.stderr, /DATABASE_URL/);
  assert.match(result.stderr, /embedded database/);
});
